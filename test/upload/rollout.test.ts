// A health-gated rollout on the emulator, with traffic sent to the Worker between steps: a healthy
// version reaches 100% step by step; one that throws on every third request is rolled back with
// the error rates measured; one that fails its check at 0% never gets traffic.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { spawnBuild } from '../helpers/build-process.js'
import { tempDir } from '../helpers/fixture.js'
import { flaky, useRolloutEmulator } from '../helpers/rollout.js'
import { INVOCATIONS_QUERY_FOR_TESTS } from './rollout-query.js'

const emu = useRolloutEmulator()
const { deploy, deployOld } = emu

const HEALTHY = `export default { fetch() { return new Response('new ok') } }\n`
const FLAKY = flaky('new flaky')
const BROKEN_HEALTH = `export default { fetch(request) {
  return new URL(request.url).pathname === '/health' ? new Response('down', { status: 503 }) : new Response('new')
} }\n`

const workerUrl = (worker: string) => `${emu().origin}/workers/${worker}`

/** 100 requests to the Worker as its users reach it (through the current deployment's split). */
const sendTraffic = (worker: string) => emu.sendTraffic(worker, 100)

const deploymentBodies = (worker: string) => emu.deploymentBodies(worker).map((b) => b.versions)

/** A deployment's versions: `created` at `percentage`, `old` at the rest. */
const split = (created: string, percentage: number, old: string) => [
  { version_id: created, percentage },
  { version_id: old, percentage: 100 - percentage },
]

describe('a gated rollout on the emulator', () => {
  it('a healthy version goes through its steps to 100% while traffic flows, each step recorded', async () => {
    const worker = 'gate-healthy'
    const old = await deployOld(worker)
    const waited: number[] = []
    const ci = await tempDir('rollout-ci')
    vi.stubEnv('GITHUB_OUTPUT', join(ci, 'output'))
    vi.stubEnv('GITHUB_STEP_SUMMARY', join(ci, 'summary.md'))
    const { dir, build } = await deploy(worker, HEALTHY, {
      promote: {
        steps: [0, 50, 100],
        interval: '10ms',
        url: workerUrl(worker),
        checks: [{ path: '/', text: 'new ok' }],
        minRequests: 20,
        wait: async (ms: number, step: { percentage: number }) => {
          waited.push(step.percentage)
          expect(ms).toBe(10)
          await sendTraffic(worker)
        },
      },
    })
    const outputDir = await build.finally(() => vi.unstubAllEnvs())
    const created = emu()
      .versions(worker)
      .find((v) => v.id !== old)!.id
    expect(deploymentBodies(worker).slice(1)).toEqual([
      split(created, 0, old),
      split(created, 50, old),
      [{ version_id: created, percentage: 100 }],
    ])
    // Only the step with traffic waited; 0% is probed, 100% ends the rollout.
    expect(waited).toEqual([50])
    expect(emu().deployments(worker)[0]!.versions).toEqual([
      { version_id: created, percentage: 100 },
    ])
    const result = JSON.parse(await readFile(join(outputDir, 'result.json'), 'utf8'))
    expect(result.deployment.versions).toEqual([{ version_id: created, percentage: 100 }])
    expect(
      result.deployment.rollout.map((s: { percentage: number; outcome: string }) => [
        s.percentage,
        s.outcome,
      ]),
    ).toEqual([
      [0, 'checked'],
      [50, 'passed'],
      [100, 'deployed'],
    ])
    // Its half of the traffic, and the check sent to it at that step through version overrides.
    expect(result.deployment.rollout[1].new).toEqual({ requests: 51, errors: 0, subrequests: 0 })
    expect(result.deployment.rollout[1].previous).toEqual({
      requests: 50,
      errors: 0,
      subrequests: 0,
    })
    expect(result.deployment.rollout[2].checks).toBe(1)
    const figures =
      '(new: 0 errors / 51 requests (0.00%); previous: 0 errors / 50 requests (0.00%))'
    expect(await readFile(join(ci, 'output'), 'utf8')).toContain(
      `rollout=0% checked; 50% passed ${figures}; 100% deployed\n`,
    )
    expect(await readFile(join(ci, 'summary.md'), 'utf8')).toContain(
      `rollout 50% passed ${figures}`,
    )
    expect(dir).toBeTruthy()
  })

  it('a version failing on a third of its requests is rolled back to the previous one at 100%, the build failing with the rates it measured', async () => {
    const worker = 'gate-flaky'
    const old = await deployOld(worker)
    const { build } = await deploy(worker, FLAKY, {
      promote: {
        steps: [0, 50, 100],
        interval: '10ms',
        minRequests: 20,
        maxErrorRate: 0.05,
        wait: () => sendTraffic(worker),
      },
    })
    const failure = await build.then(
      () => undefined,
      (error: unknown) => error as Error & { pluginCode?: string },
    )
    // Rollup keeps the plugin's own code as `pluginCode`.
    expect(failure?.pluginCode).toBe('ROLLOUT_ROLLED_BACK')
    expect(failure?.message).toContain('stopped at 50%')
    expect(failure?.message).toContain(
      'new: 16 errors / 50 requests (32.00%), previous: 0 errors / 50 requests (0.00%)',
    )
    expect(failure?.message).toContain(`Version ${old} serves 100% again`)
    const created = emu()
      .versions(worker)
      .find((v) => v.id !== old)!.id
    // Traffic went 0%, 50%, then back: the previous version alone, as before the build.
    expect(deploymentBodies(worker).slice(1)).toEqual([
      split(created, 0, old),
      split(created, 50, old),
      [{ version_id: old, percentage: 100 }],
    ])
    expect(emu().deployments(worker)[0]!.versions).toEqual([{ version_id: old, percentage: 100 }])
    const answers = await Promise.all(
      [1, 2, 3].map(async () => (await fetch(`${workerUrl(worker)}/`)).text()),
    )
    expect(answers).toEqual(['old', 'old', 'old'])
  })

  it('a check failing at 0% through version overrides stops the rollout before any traffic moves', async () => {
    const worker = 'gate-check'
    const old = await deployOld(worker)
    let waits = 0
    const { build } = await deploy(worker, BROKEN_HEALTH, {
      promote: {
        steps: [0, 10, 100],
        interval: '10ms',
        url: workerUrl(worker),
        checks: [{ path: '/health', status: 200 }],
        wait: async () => {
          waits++
        },
      },
    })
    const failure = await build.then(
      () => undefined,
      (error: unknown) => error as Error & { pluginCode?: string },
    )
    // Rollup keeps the plugin's own code as `pluginCode`.
    expect(failure?.pluginCode).toBe('ROLLOUT_CHECK_FAILED')
    expect(failure?.message).toContain('the check GET /health answered 503, expected 200')
    expect(failure?.message).toContain('stopped at 0%')
    const created = emu()
      .versions(worker)
      .find((v) => v.id !== old)!.id
    expect(deploymentBodies(worker).slice(1)).toEqual([
      split(created, 0, old),
      [{ version_id: old, percentage: 100 }],
    ])
    expect(waits).toBe(0)
    expect(emu().deployments(worker)[0]!.versions).toEqual([{ version_id: old, percentage: 100 }])
  })
})

describe('a gated rollout with nothing to roll from', () => {
  it('is refused before a version is created', async () => {
    const worker = 'gate-first'
    const { build } = await deploy(worker, HEALTHY, { promote: {}, createWorker: true })
    const failure = await build.then(
      () => undefined,
      (error: unknown) => error as Error & { pluginCode?: string },
    )
    expect(failure?.pluginCode).toBe('PROMOTE_NOT_POSSIBLE')
    expect(failure?.message).toContain('nothing is deployed yet')
    expect(emu().versions(worker)).toEqual([])
    expect(emu().worker(worker)).toBeUndefined()
  })
})

describe('a gated rollout whose analytics cannot be read', () => {
  it('fails after three reads, leaving the split as it is and saying so, with result.json written', async () => {
    const worker = 'gate-unread'
    const old = await deployOld(worker)
    const graphql = { method: 'POST', path: /\/graphql$/ }
    const { dir, build } = await deploy(worker, HEALTHY, {
      promote: {
        steps: [50, 100],
        interval: '10ms',
        minRequests: 1,
        wait: () => {
          emu().injectFaults(
            ...[1, 2, 3].map(() => ({ kind: 'status' as const, status: 502, match: graphql })),
          )
          return Promise.resolve()
        },
      },
    })
    const failure = await build.then(
      () => undefined,
      (error: unknown) => error as Error & { pluginCode?: string },
    )
    expect(failure?.pluginCode).toBe('API_ERROR')
    const created = emu()
      .versions(worker)
      .find((v) => v.id !== old)!.id
    expect(failure?.message).toContain('failed 3 times; the last: HTTP 502.')
    expect(failure?.message).toContain(
      `The deployment is left as it is (50% → ${created}, 50% → ${old}); nothing was rolled back.`,
    )
    const left = split(created, 50, old)
    expect(emu().deployments(worker)[0]!.versions).toEqual(left)
    const result = JSON.parse(await readFile(join(dir, '.workers-version/result.json'), 'utf8'))
    expect(result.deployment.versions).toEqual(left)
  })
})

describe('a gated rollout interrupted while a step waits', () => {
  it('SIGINT leaves the split as it is and says so; the process ends as a SIGINT ends it', async () => {
    const worker = 'gate-sigint'
    const old = await deployOld(worker)
    const dir = await tempDir(`rollout-${worker}`)
    const input = join(dir, 'worker.js')
    await writeFile(input, HEALTHY)
    // A user's build in a process of its own (the published dist entry), the step an hour long.
    const build = spawnBuild(emu(), dir, worker, input, {
      promote: { steps: [10, 100], interval: '1h' },
    })
    await build.printed('step 1/2: 10%: waiting 60 min')
    build.kill('SIGINT')
    expect((await build.exit).signal).toBe('SIGINT')
    const created = emu()
      .versions(worker)
      .find((v) => v.id !== old)!.id
    expect(emu().deployments(worker)[0]!.versions).toEqual(split(created, 10, old))
    expect(build.output()).toContain(
      `✖ interrupted (SIGINT) during the gated rollout (step 1/2: 10%) for Worker ${worker}: the deployment is left as it is (10% → ${created}, 90% → ${old})`,
    )
  })
})

describe("the emulator's GraphQL Analytics API", () => {
  const query = (body: unknown, token = emu().token) =>
    fetch(`${emu().url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })

  it('refuses a request without the token, and any query but the rollout one with GraphQL errors', async () => {
    expect((await query({ query: '{ viewer { zones { id } } }' }, 'wrong')).status).toBe(401)
    const answer = (await (
      await query({
        query: '{ viewer { accounts { workersInvocationsAdaptive { sum { requests } } } } }',
      })
    ).json()) as { data: unknown; errors: Array<{ message: string }> }
    expect(answer.data).toBeNull()
    expect(answer.errors[0]?.message).toContain('answers only the Workers invocations query')
  })

  it("refuses the rollout's query for another account or with a time that is not RFC 3339", async () => {
    const variables = {
      accountTag: emu().accountId,
      scriptName: 'gate-healthy',
      datetimeStart: '2026-01-01T00:00:00Z',
      datetimeEnd: new Date().toISOString(),
    }
    const answer = async (vars: Record<string, string>) =>
      (await (await query({ query: INVOCATIONS_QUERY_FOR_TESTS, variables: vars })).json()) as {
        data: { viewer: { accounts: Array<{ workersInvocationsAdaptive: unknown[] }> } } | null
        errors: Array<{ message: string }> | null
      }
    // The healthy rollout above sent traffic to both of its versions.
    const served = await answer(variables)
    expect(served.errors).toBeNull()
    expect(served.data?.viewer.accounts[0]?.workersInvocationsAdaptive.length).toBe(2)
    const foreign = await answer({ ...variables, accountTag: 'someone-else' })
    expect(foreign.data).toBeNull()
    expect(foreign.errors?.[0]?.message).toBe('not authorized for that account')
    const sloppy = await answer({ ...variables, datetimeStart: 'yesterday' })
    expect(sloppy.errors?.[0]?.message).toContain('RFC 3339')
  })
})
