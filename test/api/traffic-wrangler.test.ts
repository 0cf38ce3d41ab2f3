/**
 * Cross-check with the real wrangler (pinned dev dependency): for a config with migrations v1/v2
 * and v1 deployed, `wrangler versions upload` sends the same `migrations` as `pendingMigrations`
 * computes from `currentMigrationTag`. wrangler runs offline against the emulator.
 */
import { runWrangler } from '../helpers/wrangler.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createVersion } from '../../src/api/client.js'
import { createDeployment } from '../../src/api/deployments.js'
import { pendingMigrations, type TaggedMigrationStep } from '../../src/api/migrations.js'
import type { ApiCallContext } from '../../src/api/request.js'
import { createWorker, currentMigrationTag } from '../../src/api/workers.js'
import type { VersionRequestBody } from '../../src/core/body.js'
import { startEmulator, type Emulator } from '../../src/emulator/index.js'

const WORKER = 'migrating'
const STEPS: TaggedMigrationStep[] = [
  { tag: 'v1', new_sqlite_classes: ['Counter'] },
  { tag: 'v2', new_sqlite_classes: ['Tally'] },
]
const SOURCE = `import { DurableObject } from 'cloudflare:workers'
export class Counter extends DurableObject {}
export class Tally extends DurableObject {}
export default { fetch() { return new Response('ok') } }
`

let emu: Emulator
let dir: string
beforeAll(async () => {
  // No previews: only the request bodies matter here.
  emu = await startEmulator({ preview: false })
  dir = mkdtempSync(join(tmpdir(), 'traffic-wrangler-'))
})
afterAll(async () => {
  await emu?.close()
  rmSync(dir, { recursive: true, force: true })
})

function wrangler(args: string[]): Promise<string> {
  return runWrangler(emu, args, dir)
}

it('with v1 deployed, wrangler versions upload sends the same migrations as pendingMigrations', async () => {
  const ctx: ApiCallContext = { baseUrl: emu.url, accountId: emu.accountId, credentials: { apiToken: emu.token } }
  await createWorker(ctx, WORKER)
  const body = {
    main_module: 'index.js',
    modules: [{ name: 'index.js', content_type: 'application/javascript+module', content_base64: Buffer.from(SOURCE).toString('base64') }],
    compatibility_date: '2025-01-01',
    bindings: [{ type: 'durable_object_namespace', name: 'COUNTER', class_name: 'Counter' }],
    migrations: pendingMigrations(STEPS.slice(0, 1), undefined),
  }
  const first = await createVersion({ ...ctx, worker: WORKER, body: body as unknown as VersionRequestBody })
  await createDeployment(ctx, WORKER, { versions: [{ version_id: first.id, percentage: 100 }] })
  expect(await currentMigrationTag(ctx, WORKER)).toBe('v1')

  writeFileSync(join(dir, 'index.js'), SOURCE)
  writeFileSync(
    join(dir, 'wrangler.jsonc'),
    JSON.stringify({
      name: WORKER,
      main: 'index.js',
      compatibility_date: '2025-01-01',
      durable_objects: { bindings: [{ name: 'COUNTER', class_name: 'Counter' }, { name: 'TALLY', class_name: 'Tally' }] },
      migrations: STEPS,
    }),
  )
  const before = emu.requests.length
  const output = await wrangler(['versions', 'upload', '--config', join(dir, 'wrangler.jsonc')])
  const [latest] = emu.versions(WORKER)
  expect(output).toContain(latest?.id)

  // wrangler read the tag the way currentMigrationTag does, and sent only what is pending after it.
  const calls = emu.requests.slice(before).map((r) => `${r.method} ${r.path}`)
  expect(calls).toContain(`GET /client/v4/accounts/${emu.accountId}/workers/scripts`)
  const ours = pendingMigrations(STEPS, await currentMigrationTag(ctx, WORKER))
  expect(ours).toEqual({ old_tag: 'v1', new_tag: 'v2', steps: [{ new_sqlite_classes: ['Tally'] }] })
  expect(latest?.request.migrations).toEqual(ours)
}, 60_000)
