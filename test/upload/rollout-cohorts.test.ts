// A gated rollout with cohort steps on the emulator: each cohort step deploys with strategy
// "cohorts", so requests carrying `Cloudflare-Workers-Cohort` reach the new version at the cohort's
// share while the others stay on the previous one; a new version failing in its cohort is rolled
// back to the previous version at 100%. The emulator refuses malformed cohort deployments.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { tempDir } from '../helpers/fixture.js'
import { flaky, useRolloutEmulator } from '../helpers/rollout.js'
import { rollupUpload } from '../helpers/rollup-upload.js'

const emu = useRolloutEmulator()
const { deployOld } = emu

const HEALTHY = `export default { fetch() { return new Response('new') } }\n`
const FLAKY = flaky('new')

const workerUrl = (worker: string) => `${emu().origin}/workers/${worker}`

/** `count` requests to the Worker as its users reach it, with `cohort` as their cohort header; the answers counted by text. */
const sendTraffic = (worker: string, count: number, cohort?: string) =>
  emu.sendTraffic(
    worker,
    count,
    cohort === undefined ? {} : { 'cloudflare-workers-cohort': cohort },
  )

/** Builds and uploads `source`; resolves with the build's outcome. */
const deploy = async (worker: string, source: string, options: Record<string, unknown>) =>
  (await emu.deploy(worker, source, options)).build

const deploymentBodies = (worker: string) =>
  emu
    .deploymentBodies(worker)
    // The message (from the last commit) aside: the split is what is compared.
    .map(({ annotations: _message, ...split }) => split)

const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
  fetch(`${emu().url}/accounts/${emu().accountId}/workers/scripts/${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${emu().token}`, 'content-type': 'application/json' },
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
  })

describe('a gated rollout with cohort steps', () => {
  it('gives each cohort the new version at its share, the requests of no cohort staying on the previous one, then moves everyone to 100%', async () => {
    const worker = 'cohort-healthy'
    const old = await deployOld(worker)
    const seen: Record<string, Record<string, Record<string, number>>> = {}
    let listed: unknown
    const ci = await tempDir('cohorts-ci')
    vi.stubEnv('GITHUB_OUTPUT', join(ci, 'output'))
    vi.stubEnv('GITHUB_STEP_SUMMARY', join(ci, 'summary.md'))
    const outputDir = await deploy(worker, HEALTHY, {
      promote: {
        steps: [{ cohort: 'employee', percentage: 100 }, { cohort: 'beta', percentage: 50 }, 100],
        interval: '10ms',
        url: workerUrl(worker),
        // Sent through version overrides: the new version is in the cohorts only, not in the default split.
        checks: [{ path: '/', text: 'new' }],
        minRequests: 20,
        wait: async (_ms: number, step: { cohort?: string }) => {
          seen[step.cohort!] = {
            // The platform matches cohort names case-insensitively.
            employee: await sendTraffic(worker, 20, 'EMPLOYEE'),
            none: await sendTraffic(worker, 20),
            unknown: await sendTraffic(worker, 20, 'nobody'),
            beta: await sendTraffic(worker, 100, 'beta'),
          }
          listed ??= (
            (await (await api(`${worker}/deployments`)).json()) as {
              result: { deployments: unknown[] }
            }
          ).result.deployments[0]
        },
      },
    }).finally(() => vi.unstubAllEnvs())
    const created = emu()
      .versions(worker)
      .find((v) => v.id !== old)!.id

    expect(seen.employee).toEqual({
      employee: { new: 20 },
      none: { old: 20 },
      unknown: { old: 20 },
      beta: { old: 100 },
    })
    expect(seen.beta).toEqual({
      employee: { new: 20 },
      none: { old: 20 },
      unknown: { old: 20 },
      beta: { new: 50, old: 50 },
    })

    const oldOnly = [{ version_id: old, percentage: 100 }]
    const newOnly = [{ version_id: created, percentage: 100 }]
    const employee = { name: 'employee', versions: newOnly }
    expect(deploymentBodies(worker).slice(1)).toEqual([
      { strategy: 'cohorts', versions: oldOnly, cohorts: [employee] },
      {
        strategy: 'cohorts',
        versions: oldOnly,
        cohorts: [
          employee,
          {
            name: 'beta',
            versions: [
              { version_id: created, percentage: 50 },
              { version_id: old, percentage: 50 },
            ],
          },
        ],
      },
      { strategy: 'percentage', versions: newOnly },
    ])
    // The list endpoint gives the cohort deployment back as it was made.
    expect(listed).toMatchObject({ strategy: 'cohorts', versions: oldOnly, cohorts: [employee] })
    expect(emu().deployments(worker)[0]).toMatchObject({
      strategy: 'percentage',
      versions: newOnly,
    })
    expect(emu().deployments(worker)[0]!.cohorts).toBeUndefined()
    expect(await sendTraffic(worker, 10)).toEqual({ new: 10 })

    const result = JSON.parse(await readFile(join(outputDir, 'result.json'), 'utf8'))
    const rollout = result.deployment.rollout as Array<Record<string, unknown>>
    expect(
      rollout.map(({ cohort, percentage, outcome }) => ({ cohort, percentage, outcome })),
    ).toEqual([
      { cohort: 'employee', percentage: 100, outcome: 'passed' },
      { cohort: 'beta', percentage: 50, outcome: 'passed' },
      { cohort: undefined, percentage: 100, outcome: 'deployed' },
    ])
    // The first step's window: the employees' 20 requests and the check went to the new version.
    expect(rollout[0]!.new).toEqual({ requests: 21, errors: 0, subrequests: 0 })
    expect(rollout[0]!.previous).toEqual({ requests: 140, errors: 0, subrequests: 0 })
    expect(await readFile(join(ci, 'output'), 'utf8')).toMatch(
      /rollout=cohort employee 100% passed \(new: 0 errors \/ 21 requests.*; cohort beta 50% passed \(new: .*; 100% deployed\n/,
    )
    expect(await readFile(join(ci, 'summary.md'), 'utf8')).toContain(
      'rollout cohort beta 50% passed (new: 0 errors / 71 requests (0.00%); previous: 0 errors / 90 requests (0.00%))',
    )
  })

  it('rolls a new version failing in its cohort back to the previous version at 100%, the build failing with the cohort named', async () => {
    const worker = 'cohort-flaky'
    const old = await deployOld(worker)
    const failure = await deploy(worker, FLAKY, {
      promote: {
        steps: [{ cohort: 'employee', percentage: 100 }, 100],
        interval: '10ms',
        minRequests: 20,
        maxErrorRate: 0.05,
        wait: async () => {
          await sendTraffic(worker, 60, 'employee')
          await sendTraffic(worker, 30)
        },
      },
    }).then(
      () => undefined,
      (error: unknown) => error as Error & { pluginCode?: string },
    )
    expect(failure?.pluginCode).toBe('ROLLOUT_ROLLED_BACK')
    expect(failure?.message).toContain('stopped at cohort employee 100%')
    expect(failure?.message).toContain(
      'new: 20 errors / 60 requests (33.33%), previous: 0 errors / 30 requests (0.00%)',
    )
    expect(failure?.message).toContain(`Version ${old} serves 100% again`)
    const created = emu()
      .versions(worker)
      .find((v) => v.id !== old)!.id
    expect(deploymentBodies(worker).slice(1)).toEqual([
      {
        strategy: 'cohorts',
        versions: [{ version_id: old, percentage: 100 }],
        cohorts: [{ name: 'employee', versions: [{ version_id: created, percentage: 100 }] }],
      },
      { strategy: 'percentage', versions: [{ version_id: old, percentage: 100 }] },
    ])
    expect(await sendTraffic(worker, 10, 'employee')).toEqual({ old: 10 })
    expect(emu().deployments(worker)[0]!.cohorts).toBeUndefined()
  })
})

describe('a gated rollout stopped in a cohort step', () => {
  it('leaves the cohort deployment as it is, saying so, and result.json records its cohorts', async () => {
    const worker = 'cohort-unread'
    const old = await deployOld(worker)
    const dir = await tempDir(`cohorts-${worker}`)
    const input = join(dir, 'worker.js')
    await writeFile(input, HEALTHY)
    const graphql = { method: 'POST', path: /\/graphql$/ }
    const failure = await rollupUpload(
      emu(),
      dir,
      worker,
      {
        promote: {
          steps: [{ cohort: 'beta', percentage: 50 }, 100],
          interval: '10ms',
          minRequests: 1,
          wait: () => {
            emu().injectFaults(
              ...[1, 2, 3].map(() => ({ kind: 'status' as const, status: 502, match: graphql })),
            )
            return Promise.resolve()
          },
        },
      },
      { input },
    ).then(
      () => undefined,
      (error: unknown) => error as Error & { pluginCode?: string },
    )
    expect(failure?.pluginCode).toBe('API_ERROR')
    const created = emu()
      .versions(worker)
      .find((v) => v.id !== old)!.id
    const beta = {
      name: 'beta',
      versions: [
        { version_id: created, percentage: 50 },
        { version_id: old, percentage: 50 },
      ],
    }
    expect(failure?.message).toContain(
      `The deployment is left as it is (cohort beta: 50% → ${created}, 50% → ${old}; others: 100% → ${old}); nothing was rolled back.`,
    )
    expect(emu().deployments(worker)[0]).toMatchObject({ strategy: 'cohorts', cohorts: [beta] })
    const result = JSON.parse(await readFile(join(dir, '.workers-version/result.json'), 'utf8'))
    expect(result.deployment).toMatchObject({
      strategy: 'cohorts',
      versions: [{ version_id: old, percentage: 100 }],
      cohorts: [beta],
    })
  })
})

describe("the emulator's cohort deployments", () => {
  it('refuses malformed cohort deployment bodies, each problem with its pointer', async () => {
    const worker = 'cohort-flaky'
    // A third version, deployed nowhere: a deployment may use two distinct versions at most.
    await deploy(worker, HEALTHY, {})
    const [third, second, first] = emu()
      .versions(worker)
      .map((v) => v.id)
    const share = (id: string | undefined, percentage = 100) => ({ version_id: id, percentage })
    const refused = async (body: unknown) => {
      const response = await api(`${worker}/deployments`, { method: 'POST', body })
      expect(response.status).toBe(400)
      const answer = (await response.json()) as {
        success: boolean
        errors: Array<{ code: number; message: string; source?: { pointer: string } }>
      }
      expect(answer.success).toBe(false)
      return answer.errors.map((e) => `${e.source?.pointer ?? ''} ${e.message}`)
    }
    const before = emu().deployments(worker).length

    expect(await refused({ strategy: 'cohorts', versions: [share(first)] })).toEqual([
      '/cohorts cohorts must list at least one cohort with strategy "cohorts"',
    ])
    expect(
      await refused({
        strategy: 'percentage',
        versions: [share(first)],
        cohorts: [{ name: 'beta', versions: [share(second)] }],
      }),
    ).toEqual(['/cohorts cohorts can only be set with strategy "cohorts"'])
    expect(
      await refused({
        strategy: 'cohorts',
        versions: [share(first)],
        cohorts: [
          { name: 'beta testers', versions: [share(second)] },
          { name: 'Beta', versions: [share(second, 50), share(first, 40)] },
          { name: 'BETA', versions: [share(second)], rules: [] },
          { name: 'canary', versions: [] },
        ],
      }),
    ).toEqual([
      '/cohorts/0/name A cohort name must be 1 to 10 characters of a-z, A-Z, 0-9, - and _',
      '/cohorts/1/versions The percentages must add up to 100, got 90',
      "/cohorts/2/rules Unknown cohort field 'rules'",
      "/cohorts/2/name Cohort 'BETA' is listed twice",
      '/cohorts/3/versions cohorts.3.versions must list one or two versions',
    ])
    expect(
      await refused({
        strategy: 'cohorts',
        versions: [share(first)],
        cohorts: [{ name: 'beta', versions: [share(second, 50), share(third, 50)] }],
      }),
    ).toEqual([
      '/cohorts A deployment can use at most 2 distinct versions across its default split and its cohorts, got 3',
    ])
    const six = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => ({ name, versions: [share(second)] }))
    expect(await refused({ strategy: 'cohorts', versions: [share(first)], cohorts: six })).toEqual([
      '/cohorts A deployment can have at most 5 cohorts',
    ])
    // Nothing refused was stored.
    expect(emu().deployments(worker).length).toBe(before)
  })
})
