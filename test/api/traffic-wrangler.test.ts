/**
 * Cross-check with the real `wrangler deploy` (pinned dev dependency, 4.164) on one config with a
 * Durable Object migration: for the first deploy (every step) and after a new step (only the
 * pending one, from the current tag), wrangler and the plugin both take the script upload and send
 * the same `metadata`, apart from the documented differences below. While a step is pending,
 * `wrangler versions upload` refuses to send a version, as the platform would (10211).
 *
 * Documented differences (README, "Deploying"):
 * - wrangler 4.164 adds `code_update_strategy: { mode: "deferred", max_delay: 300 }`, its default
 *   for how running Durable Objects pick up new code; the plugin sends none, leaving the API's default;
 * - wrangler sends `compatibility_flags: []` when there are none; the plugin leaves the field out;
 * - the module parts are each tool's own bundle (esbuild's for wrangler, Rollup's here).
 *
 * After the upload wrangler 4.164 goes on to the Worker's triggers (workers.dev), which this
 * emulator does not model yet, so its run ends in an error after the upload was answered; the
 * comparison is of the recorded upload requests, each checked to have been answered 200.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Emulator } from '../../src/emulator/index.js'
import { metadataOf, startEmulator } from '../helpers/emulator.js'
import { tempDir } from '../helpers/fixture.js'
import { rollupUpload } from '../helpers/rollup-upload.js'
import { runWrangler } from '../helpers/wrangler.js'

const SOURCE = `import { DurableObject } from 'cloudflare:workers'
export class Counter extends DurableObject {}
export class Tally extends DurableObject {}
export default { fetch() { return new Response('ok') } }
`
const STEPS = [
  { tag: 'v1', new_sqlite_classes: ['Counter'] },
  { tag: 'v2', renamed_classes: [{ from: 'Counter', to: 'Tally' }] },
]

let emu: Emulator
let dir = ''
beforeAll(async () => {
  // No previews: only the requests matter here.
  emu = await startEmulator({ preview: false })
  dir = await tempDir('traffic-wrangler')
  await writeFile(join(dir, 'index.js'), SOURCE)
})
afterAll(async () => {
  await emu?.close()
})

async function config(name: string, migrations: unknown[]): Promise<string> {
  const file = join(dir, `${name}.jsonc`)
  const bindings = [{ name: 'TALLY', class_name: 'Tally' }]
  await writeFile(
    file,
    JSON.stringify({
      name,
      main: 'index.js',
      compatibility_date: '2025-01-01',
      workers_dev: false,
      durable_objects: { bindings },
      migrations,
    }),
  )
  return file
}

/** `wrangler deploy`, which must succeed: the upload and the triggers it goes on to. */
async function wranglerDeploy(name: string, migrations: unknown[]): Promise<void> {
  const file = await config(name, migrations)
  const before = puts(name).length
  const outcome = await runWrangler(emu, ['deploy', '--config', file], dir)
  expect(outcome).toContain(`Uploaded ${name}`)
  expect(
    puts(name)
      .slice(before)
      .map((r) => r.status),
  ).toEqual([200])
}

async function pluginDeploy(name: string, migrations: unknown[]): Promise<void> {
  const file = await config(name, migrations)
  await rollupUpload(
    emu,
    dir,
    name,
    {
      wrangler: file,
      gitAnnotations: false,
      promote: true,
      version: { compatibility_date: '2025-01-01' },
    },
    { input: join(dir, 'index.js') },
  )
}

const puts = (name: string) =>
  emu.requests.filter((r) => r.method === 'PUT' && r.path.endsWith(`/workers/scripts/${name}`))

/** wrangler's metadata without the documented differences. */
function withoutDocumentedDifferences(metadata: Record<string, unknown>): Record<string, unknown> {
  const { code_update_strategy: strategy, compatibility_flags: flags, ...rest } = metadata
  expect(strategy).toEqual({ mode: 'deferred', max_delay: 300 })
  expect(flags).toEqual([])
  return rest
}

it('wrangler deploy 4.164 and the plugin send the same script upload for a first deploy and for a pending rename step', async () => {
  await wranglerDeploy('by-wrangler', STEPS.slice(0, 1))
  await pluginDeploy('by-plugin', STEPS.slice(0, 1))
  const [wranglerFirst] = puts('by-wrangler')
  const [pluginFirst] = puts('by-plugin')
  expect(pluginFirst!.query).toEqual(wranglerFirst!.query)
  const first = await metadataOf(pluginFirst!)
  expect(first).toEqual(withoutDocumentedDifferences(await metadataOf(wranglerFirst!)))
  expect(first.migrations).toEqual({ new_tag: 'v1', steps: [{ new_sqlite_classes: ['Counter'] }] })

  // v2 is pending for both: `wrangler versions upload` refuses to put it in a version, and sends nothing.
  const file = await config('by-wrangler', STEPS)
  const versions = emu.versions('by-wrangler').length
  await expect(runWrangler(emu, ['versions', 'upload', '--config', file], dir)).rejects.toThrow(
    /pending Durable Object migration/,
  )
  expect(emu.versions('by-wrangler')).toHaveLength(versions)

  await wranglerDeploy('by-wrangler', STEPS)
  await pluginDeploy('by-plugin', STEPS)
  const second = await metadataOf(puts('by-plugin')[1]!)
  expect(second).toEqual(withoutDocumentedDifferences(await metadataOf(puts('by-wrangler')[1]!)))
  expect(second.migrations).toEqual({
    old_tag: 'v1',
    new_tag: 'v2',
    steps: [{ renamed_classes: [{ from: 'Counter', to: 'Tally' }] }],
  })
  expect(emu.worker('by-wrangler')?.migration_tag).toBe('v2')
  expect(emu.worker('by-plugin')?.migration_tag).toBe('v2')
}, 90_000)
