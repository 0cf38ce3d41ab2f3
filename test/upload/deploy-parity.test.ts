/**
 * Parity with `wrangler deploy` 4.164 (pinned dev dependency): one wrangler config with routes, a
 * Custom Domain, crons, workers.dev off, Preview URLs on, a queue consumer, a Workflow,
 * observability, logpush and a tail consumer. wrangler deploys it to one emulator, the plugin
 * (Rollup, `promote: true`) to another with the same zones and queues. The calls that change
 * something after the deployment, and their bodies, must be the same apart from the differences
 * listed here (and in the README); what both left behind in the emulators must be the same.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Emulator, type RecordedRequest } from '../../src/emulator/index.js'
import rollupPlugin from '../../src/rollup.js'
import { uploadOptions, startEmulator } from '../helpers/emulator.js'
import { createWorkerOn, runWrangler } from '../helpers/wrangler.js'

const WORKER = 'parity'
const SOURCE = `import { WorkflowEntrypoint } from 'cloudflare:workers'
export class MyWorkflow extends WorkflowEntrypoint { async run() { return 'done' } }
export default {
  fetch() { return new Response('ok') },
  scheduled() {},
  queue() {},
}
`
const CONFIG = {
  name: WORKER,
  main: 'src/index.js',
  compatibility_date: '2025-01-01',
  routes: [
    { pattern: 'api.example.com/*', zone_name: 'example.com' },
    'shop.example.com/v1/*',
    { pattern: 'app.example.com', custom_domain: true },
  ],
  triggers: { crons: ['*/5 * * * *', '0 3 * * *'] },
  workers_dev: false,
  preview_urls: true,
  queues: {
    consumers: [
      {
        queue: 'jobs',
        max_batch_size: 10,
        max_batch_timeout: 5,
        max_retries: 3,
        dead_letter_queue: 'jobs-dlq',
      },
    ],
  },
  workflows: [{ binding: 'FLOW', name: 'my-flow', class_name: 'MyWorkflow' }],
  observability: { enabled: true, head_sampling_rate: 0.5 },
  logpush: true,
  tail_consumers: [{ service: 'tail-worker' }],
}

/**
 * The documented differences, each applied to wrangler's body so the rest must match exactly:
 * - Custom Domains: wrangler, without a terminal to ask, takes over a hostname another Worker or a
 *   DNS record holds (`override_existing_origin/dns_record: true`); the plugin never does (false).
 * - script settings: wrangler also sends `tags` (the Worker's tags plus environment grouping tags);
 *   the plugin leaves tags alone.
 * - wrangler previews the Custom Domain change first (`POST …/domains/changeset`), for its prompts.
 */
const WRANGLER_ONLY = new Set([
  'POST /accounts/local-account/workers/scripts/parity/domains/changeset',
])
function asThePluginSendsIt(call: string, body: unknown): unknown {
  if (call.endsWith('/domains/records'))
    return {
      ...(body as object),
      override_existing_origin: false,
      override_existing_dns_record: false,
    }
  if (call.endsWith('/script-settings')) {
    const { tags: _tags, ...rest } = body as Record<string, unknown>
    return rest
  }
  return body
}

let dir: string
let viaWrangler: Emulator
let viaPlugin: Emulator
const emulator = () =>
  startEmulator({
    preview: false,
    zones: [{ name: 'example.com', id: 'zone-example' }],
    queues: [
      { name: 'jobs', id: 'queue-jobs' },
      { name: 'jobs-dlq', id: 'queue-dlq' },
    ],
  })

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'deploy-parity-'))
  mkdirSync(join(dir, 'src'))
  writeFileSync(join(dir, 'src/index.js'), SOURCE)
  writeFileSync(join(dir, 'wrangler.jsonc'), JSON.stringify(CONFIG, null, 2))
  ;[viaWrangler, viaPlugin] = await Promise.all([emulator(), emulator()])
  // wrangler deploy takes the versions path (the one compared) for a Worker that exists.
  for (const emu of [viaWrangler, viaPlugin])
    for (const name of [WORKER, 'tail-worker']) await createWorkerOn(emu, name)
})
afterAll(async () => {
  await Promise.all([viaWrangler?.close(), viaPlugin?.close()])
  rmSync(dir, { recursive: true, force: true })
})

/** The calls after the deployment that change something, `METHOD path` → body. */
function changesAfterDeployment(
  requests: RecordedRequest[],
  worker = WORKER,
): Map<string, unknown> {
  // The deployment: a deployment of the new version, or the script upload that deploys it (a pending migration).
  const deployed = requests.findIndex(
    (r) =>
      (r.method === 'POST' && r.path.endsWith(`/scripts/${worker}/deployments`)) ||
      (r.method === 'PUT' && r.path.endsWith(`/scripts/${worker}`)),
  )
  expect(deployed).toBeGreaterThan(-1)
  const after = requests.slice(deployed + 1).filter((r) => r.method !== 'GET')
  for (const r of after) expect(r.status, `${r.method} ${r.path}`).toBe(200)
  return new Map(after.map((r) => [`${r.method} ${r.path.replace('/client/v4', '')}`, r.body]))
}

it('promote applies what wrangler deploy 4.164 applies after its deployment: the same calls and bodies, apart from the documented differences', async () => {
  await runWrangler(viaWrangler, ['deploy'], dir)
  const outputDir = join(dir, '.workers-version')
  const bundle = await rollup({
    input: join(dir, 'src/index.js'),
    external: [/^cloudflare:/],
    logLevel: 'silent',
    plugins: [
      rollupPlugin({
        outputDir,
        ...uploadOptions(viaPlugin, WORKER, {
          wrangler: join(dir, 'wrangler.jsonc'),
          promote: true,
          preflight: false,
          version: {},
        }),
      } as never),
    ],
  })
  await bundle.write({ dir: join(dir, 'dist'), format: 'es' })
  await bundle.close()

  const theirs = changesAfterDeployment(viaWrangler.requests)
  const ours = changesAfterDeployment(viaPlugin.requests)
  expect([...ours.keys()].sort()).toEqual(
    [...theirs.keys()].filter((call) => !WRANGLER_ONLY.has(call)).sort(),
  )
  for (const [call, body] of ours)
    expect(body, call).toEqual(asThePluginSendsIt(call, theirs.get(call)))
  // The calls themselves, so that a change on either side shows here by name.
  expect([...ours.keys()].sort()).toEqual([
    'PATCH /accounts/local-account/workers/scripts/parity/script-settings',
    'POST /accounts/local-account/queues/queue-jobs/consumers',
    'POST /accounts/local-account/workers/scripts/parity/subdomain',
    'PUT /accounts/local-account/workers/scripts/parity/domains/records',
    'PUT /accounts/local-account/workers/scripts/parity/routes',
    'PUT /accounts/local-account/workers/scripts/parity/schedules',
    'PUT /accounts/local-account/workflows/my-flow',
  ])

  // What both deploys left behind is the same.
  const state = (emu: Emulator) => {
    const worker = emu.worker(WORKER)
    const { attachments: a } = emu
    return {
      subdomain: worker?.subdomain,
      settings: { ...worker?.settings, tags: undefined },
      schedules: worker?.schedules?.map((s) => s.cron),
      routes: a.routes.map((r) => [r.zone_id, r.pattern, r.script]),
      domains: a.customDomains.map((d) => [d.hostname, d.zone_id, d.service]),
      consumers: a.queues.map((q) =>
        q.consumers.map((c) => [q.queue_name, c.script, c.settings, c.dead_letter_queue]),
      ),
      workflows: [...a.workflows.values()].map((w) => [w.name, w.script_name, w.class_name]),
    }
  }
  expect(state(viaPlugin)).toEqual(state(viaWrangler))
  expect(state(viaPlugin)).toMatchObject({
    subdomain: { enabled: false, previews_enabled: true },
    schedules: ['*/5 * * * *', '0 3 * * *'],
    routes: [
      ['zone-example', 'api.example.com/*', WORKER],
      ['zone-example', 'shop.example.com/v1/*', WORKER],
    ],
    domains: [['app.example.com', 'zone-example', WORKER]],
    workflows: [['my-flow', WORKER, 'MyWorkflow']],
  })
}, 60_000)

/**
 * The same config with a Durable Object class to create: both tools deploy through the script upload
 * (a version may not carry a migration), then apply the same settings and triggers. One more
 * documented difference: wrangler puts the script settings into the upload's metadata and sends no
 * separate PATCH; the plugin sends the PATCH after every promote (the same values, so the same result).
 */
it('with a pending Durable Object migration: both deploy through the script upload, then apply the same calls', async () => {
  const worker = 'parity-do'
  const doDir = mkdtempSync(join(tmpdir(), 'deploy-parity-do-'))
  mkdirSync(join(doDir, 'src'))
  writeFileSync(
    join(doDir, 'src/index.js'),
    `${SOURCE}import { DurableObject } from 'cloudflare:workers'\nexport class Counter extends DurableObject {}\n`,
  )
  const config = {
    ...CONFIG,
    name: worker,
    routes: [{ pattern: 'do.example.com/*', zone_name: 'example.com' }],
    workflows: [{ binding: 'FLOW', name: 'do-flow', class_name: 'MyWorkflow' }],
    queues: { consumers: [{ queue: 'do-jobs', max_batch_size: 10 }] },
    durable_objects: { bindings: [{ name: 'COUNTER', class_name: 'Counter' }] },
    migrations: [{ tag: 'v1', new_sqlite_classes: ['Counter'] }],
  }
  writeFileSync(join(doDir, 'wrangler.jsonc'), JSON.stringify(config, null, 2))
  const start = () =>
    startEmulator({
      preview: false,
      zones: [{ name: 'example.com', id: 'zone-example' }],
      queues: [
        { name: 'do-jobs', id: 'queue-do' },
        { name: 'jobs-dlq', id: 'queue-dlq' },
      ],
    })
  const [theirsEmu, oursEmu] = await Promise.all([start(), start()])
  try {
    for (const emu of [theirsEmu, oursEmu])
      for (const name of [worker, 'tail-worker']) await createWorkerOn(emu, name)
    await runWrangler(theirsEmu, ['deploy'], doDir)
    const bundle = await rollup({
      input: join(doDir, 'src/index.js'),
      external: [/^cloudflare:/],
      logLevel: 'silent',
      plugins: [
        rollupPlugin({
          outputDir: join(doDir, '.workers-version'),
          ...uploadOptions(oursEmu, worker, {
            wrangler: join(doDir, 'wrangler.jsonc'),
            promote: true,
            preflight: false,
            version: {},
          }),
        } as never),
      ],
    })
    await bundle.write({ dir: join(doDir, 'dist'), format: 'es' })
    await bundle.close()

    const uploads = (emu: Emulator) =>
      emu.requests
        .filter((r) => r.method === 'PUT' && r.path.endsWith(`/workers/scripts/${worker}`))
        .map((r) => r.status)
    expect(uploads(theirsEmu)).toEqual([200])
    expect(uploads(oursEmu)).toEqual([200])
    for (const emu of [theirsEmu, oursEmu]) {
      expect(
        emu.requests.some(
          (r) => r.method === 'POST' && r.path.endsWith(`/workers/${worker}/versions`),
        ),
      ).toBe(false)
      expect(emu.worker(worker)?.migration_tag).toBe('v1')
    }
    const theirs = changesAfterDeployment(theirsEmu.requests, worker)
    const ours = changesAfterDeployment(oursEmu.requests, worker)
    const settings = `PATCH /accounts/local-account/workers/scripts/${worker}/script-settings`
    const wranglerOnly = new Set([
      `POST /accounts/local-account/workers/scripts/${worker}/domains/changeset`,
    ])
    expect(
      [...ours.keys()].filter((call) => call !== settings || theirs.has(settings)).sort(),
    ).toEqual([...theirs.keys()].filter((call) => !wranglerOnly.has(call)).sort())
    for (const [call, body] of ours)
      if (theirs.has(call)) expect(body, call).toEqual(asThePluginSendsIt(call, theirs.get(call)))
  } finally {
    await Promise.all([theirsEmu.close(), oursEmu.close()])
    rmSync(doDir, { recursive: true, force: true })
  }
}, 60_000)
