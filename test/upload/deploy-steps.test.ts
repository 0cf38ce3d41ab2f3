/**
 * What a promote applies after its deployment, against the emulator: only at 100%, only the steps
 * the config calls for, each under the shared retry policy; a failed step leaves the version
 * deployed, the result written, and fails the build naming what was not applied. A dry run writes
 * the planned calls to `deploy-steps.json`.
 */
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cloudflare } from '@cloudflare/vite-plugin'
import { createBuilder } from 'vite'
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest'
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'
import vitePlugin from '../../src/vite.js'
import { tempDir, TEST_ROOT, WORKER_FIXTURE } from '../helpers/fixture.js'
import { rejection } from '../helpers/rejection.js'
import { rollupUpload } from '../helpers/rollup-upload.js'

let emu: Emulator
beforeAll(async () => {
  // The dead-letter queue is left out on purpose: a consumer does not need it to exist.
  emu = await startEmulator({
    preview: false,
    autoCreateWorkers: true,
    queues: [{ name: 'jobs', id: 'queue-jobs' }],
  })
})
afterAll(() => emu?.close())
afterEach(() => {
  vi.restoreAllMocks()
  emu.clearFaults()
})

/** A project directory with a wrangler config; returns the plugin options that read it. */
async function project(
  prefix: string,
  config: Record<string, unknown>,
): Promise<{ dir: string; wrangler: string }> {
  const dir = await tempDir(prefix)
  const wrangler = join(dir, 'wrangler.jsonc')
  await writeFile(wrangler, JSON.stringify({ compatibility_date: '2025-01-01', ...config }))
  return { dir, wrangler }
}

/** The calls after the Worker's last deployment that change something, as `METHOD path`. */
function changesAfterDeployment(worker: string, from = 0): string[] {
  const requests = emu.requests.slice(from)
  const deployed = requests.findLastIndex(
    (r) => r.method === 'POST' && r.path.endsWith(`/scripts/${worker}/deployments`),
  )
  return requests
    .slice(deployed + 1)
    .filter((r) => r.method !== 'GET')
    .map((r) => `${r.method} ${r.path.replace(`/client/v4/accounts/${emu.accountId}`, '')}`)
}

it('a dry run writes the planned calls to deploy-steps.json; a build without promote writes none and warns that the settings are not applied', async () => {
  const { dir, wrangler } = await project('steps-dry', {
    triggers: { crons: [] },
    workers_dev: true,
    queues: { consumers: [{ queue: 'jobs', max_batch_timeout: 3 }] },
  })
  const warn = vi.spyOn(console, 'warn')
  const outputDir = await rollupUpload(emu, dir, 'steps-dry', {
    upload: false,
    promote: true,
    wrangler,
  })
  const steps = JSON.parse(await readFile(join(outputDir, 'deploy-steps.json'), 'utf8')) as Array<{
    step: string
    calls: Array<{ method: string; path: string; body?: unknown }>
  }>
  expect(steps.map((s) => s.step)).toEqual([
    'script settings',
    'workers.dev and Preview URLs',
    'cron schedules',
    'queue consumers',
  ])
  // A dry run settles no upload target, so the account is a placeholder, like the queue's id.
  const account = '{account_id}'
  expect(steps.flatMap((s) => s.calls)).toEqual([
    {
      method: 'PATCH',
      path: `/accounts/${account}/workers/scripts/steps-dry/script-settings`,
      body: { observability: { enabled: false } },
    },
    {
      method: 'POST',
      path: `/accounts/${account}/workers/scripts/steps-dry/subdomain`,
      body: { enabled: true },
    },
    // An empty list removes every schedule.
    { method: 'PUT', path: `/accounts/${account}/workers/scripts/steps-dry/schedules`, body: [] },
    { method: 'GET', path: `/accounts/${account}/queues`, query: { page: '1', name: 'jobs' } },
    {
      method: 'POST',
      path: `/accounts/${account}/queues/{queue id of jobs}/consumers`,
      body: { type: 'worker', script_name: 'steps-dry', settings: { max_wait_time_ms: 3000 } },
    },
  ])
  expect(emu.requests.some((r) => r.path.includes('steps-dry'))).toBe(false)

  // Without promote: no file (the earlier one is removed), and a warning names what is not applied.
  await rollupUpload(emu, dir, 'steps-dry', { upload: false, wrangler })
  expect(existsSync(join(outputDir, 'deploy-steps.json'))).toBe(false)
  expect(warn.mock.calls.join('\n')).toContain(
    'triggers.crons, workers_dev, queues.consumers are applied only by `promote: true` (100%); without `promote` they are not applied',
  )
})

it('promote: true applies only the steps the config calls for; a gradual rollout applies none', async () => {
  const { dir, wrangler } = await project('steps-some', {
    logpush: true,
    queues: { consumers: [{ queue: 'jobs', max_batch_size: 5 }] },
  })
  const from = emu.requests.length
  await rollupUpload(emu, dir, 'steps-some', { promote: true, wrangler })
  // No crons key: the schedules are left alone; no routes, domains or Workflows: none of their calls.
  expect(changesAfterDeployment('steps-some', from)).toEqual([
    'PATCH /workers/scripts/steps-some/script-settings',
    'POST /workers/scripts/steps-some/subdomain',
    'POST /queues/queue-jobs/consumers',
  ])
  expect(emu.worker('steps-some')?.settings).toEqual({
    logpush: true,
    observability: { enabled: false },
  })
  expect(emu.worker('steps-some')?.subdomain).toEqual({ enabled: true, previews_enabled: true })
  expect(emu.attachments.queues[0]?.consumers).toEqual([
    expect.objectContaining({ script: 'steps-some', settings: { batch_size: 5 } }),
  ])

  // Once more at 100%: the consumer exists, so it is updated in place.
  const again = emu.requests.length
  await rollupUpload(emu, dir, 'steps-some', { promote: true, wrangler })
  expect(changesAfterDeployment('steps-some', again)).toContain(
    `PUT /queues/queue-jobs/consumers/${emu.attachments.queues[0]!.consumers[0]!.consumer_id}`,
  )
  expect(emu.attachments.queues[0]?.consumers).toHaveLength(1)

  // A gradual rollout deploys the version and applies nothing after it.
  const gradual = emu.requests.length
  const warn = vi.spyOn(console, 'warn')
  await rollupUpload(emu, dir, 'steps-some', { promote: 50, wrangler })
  expect(changesAfterDeployment('steps-some', gradual)).toEqual([])
  expect(emu.deployments('steps-some')[0]?.versions.map((v) => v.percentage)).toEqual([50, 50])
  expect(warn.mock.calls.join('\n')).toContain(
    'logpush, queues.consumers are applied only by `promote: true` (100%); with a gradual rollout (`promote: 50`) they are not applied',
  )
})

it('a failed step leaves the version deployed and result.json written, applies the other steps, and fails the build naming what was not applied', async () => {
  const { dir, wrangler } = await project('steps-fail', {
    triggers: { crons: ['0 * * * *'] },
    queues: { consumers: [{ queue: 'no-such-queue' }] },
  })
  const error = await rejection(rollupUpload(emu, dir, 'steps-fail', { promote: true, wrangler }))
  const [version] = emu.versions('steps-fail')
  // Rollup keeps the plugin's own code as `pluginCode`.
  expect((error as unknown as { pluginCode: string }).pluginCode).toBe('DEPLOY_STEPS_FAILED')
  expect(error.message).toContain(
    `Version ${version!.id} of steps-fail IS deployed (100% of traffic)`,
  )
  expect(error.message).toContain(
    '- queue consumers (consumer of no-such-queue): Queue "no-such-queue" (queues.consumers) does not exist: create it with `wrangler queues create no-such-queue`.',
  )
  expect(error.message).toContain(
    'applied: script settings, workers.dev and Preview URLs, cron schedules',
  )
  expect(error.message).toContain('`wrangler triggers deploy`')
  expect(emu.versions('steps-fail')).toHaveLength(1)
  expect(emu.deployments('steps-fail')[0]?.versions).toEqual([
    { version_id: version!.id, percentage: 100 },
  ])
  expect(emu.worker('steps-fail')?.schedules?.map((s) => s.cron)).toEqual(['0 * * * *'])
  const result = JSON.parse(await readFile(join(dir, '.workers-version/result.json'), 'utf8')) as {
    result: { id: string }
    deployment: unknown
  }
  expect(result.result.id).toBe(version!.id)
  expect(result.deployment).toEqual({
    strategy: 'percentage',
    versions: [{ version_id: version!.id, percentage: 100 }],
  })
})

it('steps are retried under the shared policy: a 429 is sent again, and a consumer whose answer was lost is found, not created twice', async () => {
  const { dir, wrangler } = await project('steps-retry', {
    queues: { consumers: [{ queue: 'jobs' }] },
  })
  // A queue takes one Worker consumer: the one an earlier test registered is dropped from the emulator's state.
  emu.attachments.queues[0]!.consumers.length = 0
  emu.injectFaults(
    {
      match: { method: 'PATCH', path: /script-settings$/ },
      kind: 'status',
      status: 429,
      retryAfter: 0,
    },
    { match: { method: 'POST', path: /\/consumers$/ }, kind: 'lose-response' },
  )
  const from = emu.requests.length
  await rollupUpload(emu, dir, 'steps-retry', { promote: true, wrangler })
  const sent = emu.requests.slice(from)
  expect(sent.filter((r) => r.method === 'PATCH').map((r) => r.status)).toEqual([429, 200])
  // The lost POST did its work; the lookup before a resend found the consumer, so nothing was resent.
  expect(sent.filter((r) => r.method === 'POST' && r.path.endsWith('/consumers'))).toHaveLength(1)
  expect(emu.attachments.queues[0]?.consumers.map((c) => c.script)).toEqual(['steps-retry'])
})

it('with @cloudflare/vite-plugin the settings come from its generated wrangler.json, `cloudflare({ config })` overrides included', async () => {
  const dir = await tempDir('steps-vite')
  const outputDir = join(dir, '.workers-version')
  const warn = vi.spyOn(console, 'warn')
  const builder = await createBuilder({
    root: WORKER_FIXTURE,
    configFile: false,
    logLevel: 'silent',
    build: { outDir: join(dir, 'dist') },
    plugins: [
      cloudflare({
        configPath: join(TEST_ROOT, 'fixtures/vite-cloudflare/wrangler.jsonc'),
        inspectorPort: false,
        persistState: false,
        config: {
          triggers: { crons: ['0 0 * * *'] },
          routes: [{ pattern: 'cf.example.com/*', zone_name: 'example.com' }],
          workers_dev: false,
        },
      }),
      vitePlugin({ outputDir, worker: 'cf-worker', promote: true, logLevel: 'info' } as never),
    ],
  })
  await builder.buildApp()
  const steps = JSON.parse(await readFile(join(outputDir, 'deploy-steps.json'), 'utf8')) as Array<{
    step: string
    calls: Array<{ method: string; path: string; body?: unknown }>
  }>
  const call = (step: string) => steps.find((s) => s.step === step)?.calls[0]
  expect(steps.map((s) => s.step)).toEqual([
    'script settings',
    'workers.dev and Preview URLs',
    'routes',
    'cron schedules',
  ])
  expect(call('workers.dev and Preview URLs')?.body).toEqual({ enabled: false })
  expect(call('routes')).toEqual({
    method: 'PUT',
    path: '/accounts/{account_id}/workers/scripts/cf-worker/routes',
    body: [{ pattern: 'cf.example.com/*', zone_name: 'example.com' }],
  })
  expect(call('cron schedules')?.body).toEqual([{ cron: '0 0 * * *' }])
  // Applied on promote, so no longer reported as "not sent".
  expect(warn.mock.calls.join('\n')).not.toMatch(/routes|triggers|workers_dev/)
})

it('the steps after the deployment are sent together, not one after the other: the others arrive while the first is still unanswered', async () => {
  const { dir, wrangler } = await project('steps-parallel', {
    logpush: true,
    triggers: { crons: ['0 * * * *'] },
    workers_dev: true,
  })
  // The script settings' answer is held back: a step sent after it would arrive only once it is answered.
  emu.injectFaults({
    match: { method: 'PATCH', path: /\/script-settings$/ },
    kind: 'slow',
    delayMs: 3000,
  })
  const inFlightTogether = new Set<string>()
  const watch = setInterval(() => {
    const settings = emu.requests.find(
      (r) => r.method === 'PATCH' && r.path.endsWith('/steps-parallel/script-settings'),
    )
    if (settings?.status !== 0) return
    for (const r of emu.requests)
      if (
        r.path.includes('/scripts/steps-parallel/') &&
        r !== settings &&
        r.method !== 'GET' &&
        !r.path.endsWith('/deployments')
      )
        inFlightTogether.add(`${r.method} ${r.path.split('/steps-parallel/')[1]}`)
  }, 20)
  try {
    await rollupUpload(emu, dir, 'steps-parallel', { promote: true, wrangler })
  } finally {
    clearInterval(watch)
  }
  expect([...inFlightTogether].sort()).toEqual(['POST subdomain', 'PUT schedules'])
  expect(emu.worker('steps-parallel')?.schedules?.map((s) => s.cron)).toEqual(['0 * * * *'])
})
