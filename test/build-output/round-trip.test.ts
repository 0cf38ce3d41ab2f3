import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readAssetsDirectory } from '../../src/assets/manifest.js'
import { readBuildOutputConfig } from '../../src/build-output/config.js'
import { readBuildOutput } from '../../src/build-output/read.js'
import { writeBuildOutput, type BuildOutputSource } from '../../src/build-output/write.js'
import type { Binding } from '../../src/options/version-schema.js'
import { TEST_ROOT, tempDir } from '../helpers/fixture.js'

// What `buildOutput` writes, read back by this plugin's own Build Output reader: the same version.
const SECRET = 'not-for-any-file-9f2c'
const bindings = [
  { type: 'plain_text', name: 'TEXT', text: 'plain' },
  { type: 'json', name: 'SETTINGS', json: { retries: 3 } },
  { type: 'secret_text', name: 'TOKEN', text: SECRET },
  { type: 'kv_namespace', name: 'KV', namespace_id: 'kv-id' },
  { type: 'd1', name: 'DB', database_id: 'd1-id' },
  { type: 'r2_bucket', name: 'BUCKET', bucket_name: 'bucket', jurisdiction: 'eu' },
  { type: 'service', name: 'OTHER', service: 'other', entrypoint: 'Api' },
  { type: 'durable_object_namespace', name: 'COUNTER', class_name: 'Counter' },
  { type: 'queue', name: 'JOBS', queue_name: 'jobs' },
  { type: 'version_metadata', name: 'META' },
  { type: 'agent_memory', name: 'MEMORY', namespace: 'memories' },
  { type: 'k2', name: 'EVENTS', stream: 'events' },
  { type: 'analytics', name: 'SQL' },
  { type: 'assets', name: 'ASSETS' },
] as Binding[]

async function source(
  root: string,
  extra: Partial<BuildOutputSource> = {},
): Promise<BuildOutputSource> {
  const publicDir = join(root, 'public')
  await mkdir(join(publicDir, 'img'), { recursive: true })
  await writeFile(join(publicDir, 'index.html'), '<p>home</p>')
  await writeFile(join(publicDir, 'img/dot.svg'), '<svg/>')
  await writeFile(join(publicDir, '_headers'), '/*\n  X-Test: 1\n')
  const assets = await readAssetsDirectory(publicDir)
  const text = (s: string) => Buffer.from(s)
  return {
    projectRoot: root,
    version: 'v0',
    entry: true,
    name: 'round-trip',
    mainModule: 'index.js',
    modules: [
      {
        name: 'index.js',
        content_type: 'application/javascript+module',
        contents: text('export default {}'),
      },
      {
        name: 'index.js.map',
        content_type: 'application/source-map',
        contents: text('{"version":3,"sources":[],"mappings":""}'),
      },
      {
        name: 'chunks/old.cjs',
        content_type: 'application/javascript',
        contents: text('module.exports = 1'),
      },
      {
        name: 'add.wasm',
        content_type: 'application/wasm',
        contents: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]),
      },
      { name: 'page.html', content_type: 'text/plain', contents: text('<h1>hi</h1>') },
      {
        name: 'blob.bin',
        content_type: 'application/octet-stream',
        contents: new Uint8Array([1, 2, 3]),
      },
      { name: '_headers', content_type: 'text/plain', contents: text(assets.headers!) },
    ],
    config: {
      compatibility_date: '2025-01-01',
      compatibility_flags: ['nodejs_compat'],
      bindings,
      placement: { mode: 'smart' },
      limits: { cpu_ms: 100 },
      assets: {
        config: { not_found_handling: 'single-page-application', run_worker_first: ['/api/*'] },
      },
      migrations: { new_tag: 'v1', new_sqlite_classes: ['Counter'] },
    },
    inherit: ['OLD_SECRET'],
    assets,
    ...extra,
  }
}

describe('Build Output written, then read back', () => {
  it('gives the same modules, bindings and settings; secrets only as declarations; _headers among the assets', async () => {
    const root = await tempDir('build-output-round-trip')
    const dir = writeBuildOutput(await source(root))
    const text = await readFile(join(dir, 'worker.config.json'), 'utf8')
    expect(text).not.toContain(SECRET)
    const written = JSON.parse(text)
    expect(written.env.TOKEN).toEqual({ type: 'secret' })
    expect(written.env.OLD_SECRET).toEqual({ type: 'secret' })
    expect(written.exports).toEqual({ Counter: { type: 'durable-object', storage: 'sqlite' } })

    const [worker] = readBuildOutput(root).workers
    expect(worker!.files.map((f) => [f.fileName, f.kind, f.importedType ?? null]).sort()).toEqual([
      ['add.wasm', 'asset', 'application/wasm'],
      ['blob.bin', 'asset', 'application/octet-stream'],
      ['chunks/old.cjs', 'chunk', 'application/javascript'],
      ['index.js', 'chunk', 'application/javascript+module'],
      ['index.js.map', 'asset', null],
      ['page.html', 'asset', 'text/plain'],
    ])
    expect(await readFile(join(dir, 'assets/_headers'), 'utf8')).toContain('X-Test: 1')
    expect(await readFile(join(dir, 'assets/img/dot.svg'), 'utf8')).toBe('<svg/>')

    const config = readBuildOutputConfig(join(dir, 'worker.config.json'), root)
    expect(config.worker).toBe('round-trip')
    expect(config.secrets.inherit.sort()).toEqual(['OLD_SECRET', 'TOKEN'])
    const notSecret = bindings.filter((b) => b.type !== 'secret_text' && b.type !== 'assets')
    expect(config.version.bindings).toEqual(expect.arrayContaining(notSecret))
    expect(config.version.bindings).toHaveLength(notSecret.length + 1)
    expect(config.assets?.binding).toBe('ASSETS')
    expect(config.version).toMatchObject({
      compatibility_date: '2025-01-01',
      compatibility_flags: ['nodejs_compat'],
      placement: { mode: 'smart' },
      limits: { cpu_ms: 100 },
      assets: {
        config: { not_found_handling: 'single-page-application', run_worker_first: ['/api/*'] },
      },
    })
  })

  it('writes v1 with the producer in its root config, as wrangler 4.164 does, and reads it back', async () => {
    const root = await tempDir('build-output-v1')
    const dir = writeBuildOutput({ ...(await source(root)), version: 'v1' })
    const pkg = JSON.parse(await readFile(join(TEST_ROOT, '../package.json'), 'utf8'))
    expect(
      JSON.parse(await readFile(join(root, '.cloudflare/output/v1/config.json'), 'utf8')),
    ).toEqual({
      producer: { name: 'unplugin-workers-version', version: pkg.version },
      buildContext: { isPreview: false },
    })
    expect(dir).toBe(join(root, '.cloudflare/output/v1/workers/default'))
    const tree = readBuildOutput(root)
    expect([tree.version, tree.workers[0]!.config.name]).toEqual(['v1', 'round-trip'])
    // A later v0 build replaces the v1 tree rather than leaving two versions side by side.
    writeBuildOutput({ ...(await source(root)), version: 'v0' })
    expect(readBuildOutput(root).version).toBe('v0')
  })

  it('refuses what Build Output cannot say instead of leaving it out', async () => {
    const root = await tempDir('build-output-refusals')
    const base = await source(root)
    expect(() => writeBuildOutput({ ...base, name: undefined })).toThrow(
      /set the `worker` option or `name` in the wrangler config/,
    )
    expect(() =>
      writeBuildOutput({ ...base, config: { ...base.config, compatibility_date: undefined } }),
    ).toThrow(/compatibility date/)
    expect(() =>
      writeBuildOutput({
        ...base,
        config: {
          bindings: [{ type: 'wasm_module', name: 'W', part: 'w.wasm' }] as Binding[],
          compatibility_date: '2025-01-01',
        },
      }),
    ).toThrow(/W \(wasm_module\)/)
    expect(() =>
      writeBuildOutput({
        ...base,
        modules: [
          ...base.modules,
          { name: 'x.md', content_type: 'text/markdown', contents: new Uint8Array() },
        ],
      }),
    ).toThrow(/x\.md \(text\/markdown\)/)
  })

  it('starts the tree afresh for the entry Worker, and puts another Worker beside it', async () => {
    const root = await tempDir('build-output-fresh')
    const base = await source(root)
    writeBuildOutput(base)
    await writeFile(join(root, '.cloudflare/output/v0/workers/default/bundle/stale.js'), 'old')
    writeBuildOutput(base)
    writeBuildOutput({ ...base, entry: false, name: 'Side-Worker' })
    const tree = readBuildOutput(root)
    expect(tree.workers.map((w) => [w.directory, w.config.name])).toEqual([
      ['default', 'round-trip'],
      ['side-worker', 'Side-Worker'],
    ])
    expect(existsSync(join(root, '.cloudflare/output/v0/workers/default/bundle/stale.js'))).toBe(
      false,
    )
  })
})
