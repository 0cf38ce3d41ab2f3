/**
 * What a deploy will change, against the emulator: a change that removes a binding and adds a route
 * is named in the log and in diff.json; strict mode refuses it before any write (no request but
 * reads reaches the emulator, no version is created); acknowledged, it deploys, and the diff goes to
 * the job summary too.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest'
import { type Emulator } from '../../src/emulator/index.js'
import { startEmulator } from '../helpers/emulator.js'
import { tempDir } from '../helpers/fixture.js'
import { rejection } from '../helpers/rejection.js'
import { rollupUpload } from '../helpers/rollup-upload.js'

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator({
    preview: false,
    autoCreateWorkers: true,
    zones: [{ name: 'example.com', id: 'zone-example' }],
  })
})
afterAll(() => emu?.close())
afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
})

const WORKER = 'diff-worker'

interface DiffJson {
  worker: string
  compared: boolean
  against: string
  changes: Array<{ kind: string; op: string; subject: string; line: string; guard?: string }>
  notCompared: string[]
  strict?: { refused: string[]; acknowledged: string[] }
}

async function writeConfig(dir: string, config: Record<string, unknown>): Promise<string> {
  const file = join(dir, 'wrangler.jsonc')
  await writeFile(file, JSON.stringify({ compatibility_date: '2025-01-01', ...config }))
  return file
}

it('names a removed binding and an added route; strict mode refuses them before any write; acknowledged, they deploy', async () => {
  const dir = await tempDir('diff')
  const both = {
    kv_namespaces: [
      { binding: 'KEEP', id: 'kv-keep' },
      { binding: 'CACHE', id: 'kv-cache' },
    ],
  }
  // v1: bindings KEEP and CACHE, deployed at 100%.
  await rollupUpload(emu, dir, WORKER, {
    promote: true,
    wrangler: await writeConfig(dir, both),
    version: undefined,
  })
  const v1 = emu.versions(WORKER)
  expect(v1).toHaveLength(1)

  // v2: CACHE removed, a route added; strict mode acknowledges neither.
  const wrangler = await writeConfig(dir, {
    kv_namespaces: [{ binding: 'KEEP', id: 'kv-keep' }],
    routes: [{ pattern: 'diff.example.com/*', zone_name: 'example.com' }],
  })
  const log = vi.spyOn(console, 'log')
  const from = emu.requests.length
  const refused = await rejection(
    rollupUpload(emu, dir, WORKER, { promote: true, wrangler, version: undefined, strict: true }),
  )
  // Rollup keeps the plugin's own code as `pluginCode`.
  expect((refused as unknown as { pluginCode: string }).pluginCode).toBe('UNACKNOWLEDGED_CHANGES')
  expect(refused.message).toContain('- binding CACHE (kv_namespace)')
  expect(refused.message).toContain("'remove-binding:CACHE'")
  // An added route is not guarded: only the removal is refused.
  expect(refused.message).not.toContain('diff.example.com')
  // Nothing was written: only reads reached the emulator, and no version was created.
  const writes = emu.requests.slice(from).filter((r) => r.method !== 'GET')
  expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([])
  expect(emu.versions(WORKER)).toHaveLength(1)

  const printed = log.mock.calls.map((c) => String(c[0])).join('\n')
  expect(printed).toContain(`diff against deployed version ${v1[0]!.id}`)
  expect(printed).toContain('- binding CACHE (kv_namespace)')
  expect(printed).toContain('+ route diff.example.com/*')
  const diffFile = join(dir, '.workers-version', 'diff.json')
  const refusedDiff = JSON.parse(await readFile(diffFile, 'utf8')) as DiffJson
  expect(refusedDiff.worker).toBe(WORKER)
  expect(refusedDiff.changes).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        kind: 'binding',
        op: 'remove',
        subject: 'CACHE',
        guard: 'remove-binding:CACHE',
      }),
      expect.objectContaining({ kind: 'route', op: 'add', subject: 'diff.example.com/*' }),
    ]),
  )
  expect(refusedDiff.strict).toEqual({ refused: ['remove-binding:CACHE'], acknowledged: [] })

  // Acknowledged: it deploys, the route is applied, and the job summary carries the diff.
  const summary = join(dir, 'summary.md')
  vi.stubEnv('GITHUB_STEP_SUMMARY', summary)
  await rollupUpload(emu, dir, WORKER, {
    promote: true,
    wrangler,
    version: undefined,
    strict: { allow: ['remove-binding:CACHE'] },
  })
  const v2 = emu.versions(WORKER)
  expect(v2).toHaveLength(2)
  expect(v2[0]!.bindings.map((b) => b.name)).toEqual(['KEEP'])
  const deployed = JSON.parse(await readFile(diffFile, 'utf8')) as DiffJson
  expect(deployed.strict).toEqual({ refused: [], acknowledged: ['remove-binding:CACHE'] })
  const markdown = await readFile(summary, 'utf8')
  expect(markdown).toContain('- binding CACHE (kv_namespace)')
  expect(markdown).toContain('+ route diff.example.com/*')

  // Nothing changed since: the next diff is empty but for the code, which is the same build.
  log.mockClear()
  await rollupUpload(emu, dir, WORKER, {
    promote: true,
    wrangler,
    version: undefined,
    strict: true,
  })
  const again = JSON.parse(await readFile(diffFile, 'utf8')) as DiffJson
  expect(again.changes).toEqual([])
  expect(log.mock.calls.map((c) => String(c[0])).join('\n')).toContain(': no changes')
})

it('a binding whose target changes is guarded; the diff never shows a variable value or a secret value', async () => {
  const dir = await tempDir('diff-target')
  const worker = 'diff-target'
  vi.stubEnv('DIFF_TOKEN', 'secret-old-value')
  await rollupUpload(emu, dir, worker, {
    promote: true,
    wrangler: await writeConfig(dir, {
      kv_namespaces: [{ binding: 'CACHE', id: 'kv-one' }],
      vars: { GREETING: 'hello-old-value' },
    }),
    version: undefined,
    secrets: { fromEnv: ['DIFF_TOKEN'] },
  })
  vi.stubEnv('DIFF_TOKEN', 'secret-new-value')
  const refused = await rejection(
    rollupUpload(emu, dir, worker, {
      promote: true,
      wrangler: await writeConfig(dir, {
        compatibility_date: '2024-06-01',
        kv_namespaces: [{ binding: 'CACHE', id: 'kv-two' }],
        vars: { GREETING: 'hello-new-value' },
      }),
      version: undefined,
      secrets: { fromEnv: ['DIFF_TOKEN'] },
      strict: { allow: ['lower-compatibility-date'] },
    }),
  )
  expect((refused as unknown as { pluginCode: string }).pluginCode).toBe('UNACKNOWLEDGED_CHANGES')
  expect(refused.message).toContain('~ binding CACHE (kv_namespace): namespace_id kv-one → kv-two')
  expect(refused.message).toContain("'change-binding:CACHE'")
  // The lowered date is acknowledged, so not refused; the changed variable is no target change.
  expect(refused.message).not.toContain('compatibility_date')
  expect(refused.message).not.toContain('GREETING')
  const text = await readFile(join(dir, '.workers-version', 'diff.json'), 'utf8')
  expect(text).toContain('~ compatibility_date 2025-01-01 → 2024-06-01 (lowered)')
  expect(text).toContain('~ binding GREETING (plain_text): value changed')
  for (const value of [
    'hello-old-value',
    'hello-new-value',
    'secret-old-value',
    'secret-new-value',
  ])
    expect(text).not.toContain(value)
})
