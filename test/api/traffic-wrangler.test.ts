/**
 * Cross-check with the real wrangler (pinned dev dependency, 4.164): for a config with migrations
 * v1/v2, `wrangler versions upload` and `pendingMigrations` (from `currentMigrationTag`) agree on
 * whether a step is pending. wrangler refuses a version while one is, as the platform does (10211);
 * what a deploy sends for it is `wrangler deploy`'s script upload. wrangler runs offline against
 * the emulator.
 */
import { runWrangler } from '../helpers/wrangler.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createVersion } from '../../src/api/client.js'
import { createDeployment } from '../../src/api/deployments.js'
import { pendingMigrations, type TaggedMigrationStep } from '../../src/migrations.js'
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

/** Deploys a version carrying `steps` at 100%, as a first deploy would, so the Worker's tag becomes the last step's. */
async function deployWith(ctx: ApiCallContext, steps: TaggedMigrationStep[], tag: string | undefined): Promise<void> {
  const body = {
    main_module: 'index.js',
    modules: [{ name: 'index.js', content_type: 'application/javascript+module', content_base64: Buffer.from(SOURCE).toString('base64') }],
    compatibility_date: '2025-01-01',
    bindings: [{ type: 'durable_object_namespace', name: 'COUNTER', class_name: 'Counter' }],
    migrations: pendingMigrations(steps, tag),
  }
  const version = await createVersion({ ...ctx, worker: WORKER, body: body as unknown as VersionRequestBody })
  await createDeployment(ctx, WORKER, { versions: [{ version_id: version.id, percentage: 100 }] })
}

it('wrangler 4.164 and pendingMigrations agree on what is pending: wrangler refuses a version while a step is, and sends none after', async () => {
  const ctx: ApiCallContext = { baseUrl: emu.url, accountId: emu.accountId, credentials: { apiToken: emu.token } }
  await createWorker(ctx, WORKER)
  await deployWith(ctx, STEPS.slice(0, 1), undefined)
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
  // v2 is pending after v1: ours computes it, and wrangler reads the same tag and refuses to put it in a version.
  expect(pendingMigrations(STEPS, await currentMigrationTag(ctx, WORKER))).toEqual({ old_tag: 'v1', new_tag: 'v2', steps: [{ new_sqlite_classes: ['Tally'] }] })
  const versionsBefore = emu.versions(WORKER).length
  await expect(wrangler(['versions', 'upload', '--config', join(dir, 'wrangler.jsonc')])).rejects.toThrow(/pending Durable Object migration/)
  expect(emu.versions(WORKER)).toHaveLength(versionsBefore)

  // Once v2 is applied nothing is pending for either: wrangler uploads a version without migrations.
  await deployWith(ctx, STEPS, 'v1')
  expect(await currentMigrationTag(ctx, WORKER)).toBe('v2')
  expect(pendingMigrations(STEPS, 'v2')).toBeUndefined()
  const output = await wrangler(['versions', 'upload', '--config', join(dir, 'wrangler.jsonc')])
  const [latest] = emu.versions(WORKER)
  expect(output).toContain(latest?.id)
  expect(latest?.request.migrations).toBeUndefined()
}, 60_000)
