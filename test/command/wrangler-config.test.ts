/**
 * `unplugin-workers-version deploy` from a wrangler config: a source `main` bundled with esbuild
 * through the plugin's esbuild adapter, a `no_bundle` main uploaded as it is with wrangler's module
 * rules (compared with what wrangler deploy 4.164 sends), and the clear error without esbuild.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { StoredVersion } from '../../src/emulator/index.js'
import { copyFixture, readRequest, tempDir, WORKER_FIXTURE } from '../helpers/fixture.js'
import { useEmulator } from '../helpers/emulator.js'
import { CLI, emulatorEnv, runCli } from '../helpers/deploy-command.js'
import { runWrangler } from '../helpers/wrangler.js'

const emulator = useEmulator()

async function sourceProject(): Promise<string> {
  const root = await copyFixture('deploy-source')
  await cp(join(WORKER_FIXTURE, 'src/add.wasm'), join(root, 'src/add.wasm'))
  return root
}

/** A Worker already built into dist/, configured as wrangler configures a prebuilt one: `no_bundle` and rules. */
async function prebuiltProject(extra: Record<string, unknown> = {}): Promise<string> {
  const root = await tempDir('deploy-prebuilt')
  const files: Record<string, string> = {
    'dist/index.js': [
      "import notes from './notes.md'",
      "import page from './docs/page.html'",
      "import data from './data.bin'",
      'export default {',
      '  async fetch() {',
      "    const { lazy } = await import('./chunks/lazy.js')",
      '    return Response.json({ notes: notes.trim(), page: page.trim(), bytes: data.byteLength, lazy: lazy() })',
      '  },',
      '}',
      '//# sourceMappingURL=index.js.map',
      '',
    ].join('\n'),
    'dist/index.js.map': JSON.stringify({
      version: 3,
      file: 'index.js',
      sources: ['../src/index.ts'],
      sourcesContent: ['export {}'],
      names: [],
      mappings: 'AAAA',
    }),
    'dist/chunks/lazy.js': "export const lazy = () => 'from a chunk'\n",
    'dist/notes.md': '# notes\n',
    'dist/docs/page.html': '<p>page</p>\n',
    'dist/data.bin': '\u0001\u0002\u0003',
    // No rule matches these: neither is a module, as in wrangler.
    'dist/styles.css': 'body { color: red }\n',
    'dist/README': 'built output\n',
  }
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(root, name, '..'), { recursive: true })
    await writeFile(join(root, name), text)
  }
  const config = {
    name: 'deploy-prebuilt',
    main: 'dist/index.js',
    no_bundle: true,
    compatibility_date: '2025-01-01',
    rules: [
      { type: 'ESModule', globs: ['**/*.js'] },
      // Without `fallthrough`, this rule would replace wrangler's default Text rule (`.html` among it).
      { type: 'Text', globs: ['**/*.md'], fallthrough: true },
    ],
    vars: { MODE: 'prebuilt' },
    ...extra,
  }
  await writeFile(join(root, 'wrangler.jsonc'), JSON.stringify(config, null, 2))
  return root
}

type Module = { name: string; content_type: string; content_base64: string }
const shape = (modules: readonly Module[]) =>
  modules
    .map(({ name, content_type, content_base64 }) => ({ name, content_type, content_base64 }))
    .sort((a, b) => a.name.localeCompare(b.name))

describe('deploy: a wrangler config', () => {
  it('bundles a source main with esbuild, in the environment --env or CLOUDFLARE_ENV names, and the version answers', async () => {
    const root = await sourceProject()
    const run = await runCli(
      ['deploy', '--promote', '--env', 'staging'],
      root,
      emulatorEnv(emulator()),
    )
    expect(run.stderr).not.toContain('deploy failed')
    expect(run.code).toBe(0)
    // Nothing about build settings "having no effect": the command applies them.
    expect(run.stderr).not.toContain('no effect')
    const [version] = emulator().versions('deploy-source-staging')
    expect(await (await fetch(version!.urls[0]!)).json()).toEqual({
      greeting: 'hello from staging',
      page: '<h1>a text module</h1>',
      notes: '# release notes',
      sum: 3,
      lazy: 'loaded lazily',
    })
    // The `.md` import is a text module by the config's rule; `.html` and `.wasm` by wrangler's defaults.
    const types = version!.modules.map((m) => m.content_type).sort()
    expect(types).toEqual([
      'application/javascript+module',
      'application/source-map',
      'application/wasm',
      'text/plain',
      'text/plain',
    ])

    const dry = await runCli(
      ['deploy', '--dry-run'],
      root,
      emulatorEnv(emulator(), { CLOUDFLARE_ENV: 'staging' }),
    )
    expect(dry.code).toBe(0)
    expect((await readRequest(join(root, '.workers-version'))).bindings).toEqual([
      { type: 'plain_text', name: 'GREETING', text: 'hello from staging' },
    ])
  })

  it('uploads a no_bundle main as it is, with the files its rules match, as wrangler deploy does', async () => {
    const root = await prebuiltProject()
    const run = await runCli(['deploy', '--promote'], root, emulatorEnv(emulator()))
    expect(run.stderr).not.toContain('deploy failed')
    expect(run.code).toBe(0)
    await runWrangler(emulator(), ['deploy'], root)
    const versions = emulator().versions('deploy-prebuilt')
    expect(versions).toHaveLength(2)
    // Newest first: wrangler's came last.
    const [theirs, ours] = versions as [StoredVersion, StoredVersion]
    expect(shape(ours.modules)).toEqual(shape(theirs.modules))
    // wrangler 4.164 uploads the map a module's sourceMappingURL names unless `upload_source_maps` is false.
    expect(ours.modules.map((m) => [m.name, m.content_type]).sort()).toEqual([
      ['chunks/lazy.js', 'application/javascript+module'],
      ['data.bin', 'application/octet-stream'],
      ['docs/page.html', 'text/plain'],
      ['index.js', 'application/javascript+module'],
      ['index.js.map', 'application/source-map'],
      ['notes.md', 'text/plain'],
    ])
    expect(ours.bindings).toEqual(theirs.bindings)
    expect(ours.main_module).toBe(theirs.main_module)
    expect(await (await fetch(ours.urls[0]!)).json()).toEqual({
      notes: '# notes',
      page: '<p>page</p>',
      bytes: 3,
      lazy: 'from a chunk',
    })
  })

  it('with find_additional_modules: false uploads the main module alone, and with upload_source_maps: false no map', async () => {
    const root = await prebuiltProject({ find_additional_modules: false })
    const run = await runCli(['deploy', '--dry-run'], root, emulatorEnv(emulator()))
    expect(run.code).toBe(0)
    expect((await readRequest(join(root, '.workers-version'))).modules.map((m) => m.name)).toEqual([
      'index.js',
      'index.js.map',
    ])
    const withoutMaps = await prebuiltProject({
      find_additional_modules: false,
      upload_source_maps: false,
    })
    expect((await runCli(['deploy', '--dry-run'], withoutMaps, emulatorEnv(emulator()))).code).toBe(
      0,
    )
    expect(
      (await readRequest(join(withoutMaps, '.workers-version'))).modules.map((m) => m.name),
    ).toEqual(['index.js'])
  })

  it('applies a pending Durable Object migration through the script upload with --promote, and refuses it without', async () => {
    const root = await tempDir('deploy-do')
    await mkdir(join(root, 'dist'))
    await writeFile(
      join(root, 'dist/index.js'),
      [
        "import { DurableObject } from 'cloudflare:workers'",
        'export class Counter extends DurableObject {',
        "  async fetch() { const n = ((await this.ctx.storage.get('n')) ?? 0) + 1; await this.ctx.storage.put('n', n); return Response.json({ n }) }",
        '}',
        "export default { fetch: (request, env) => env.COUNTER.get(env.COUNTER.idFromName('one')).fetch(request) }",
        '',
      ].join('\n'),
    )
    const config = {
      name: 'deploy-do',
      main: 'dist/index.js',
      no_bundle: true,
      compatibility_date: '2025-01-01',
      durable_objects: { bindings: [{ name: 'COUNTER', class_name: 'Counter' }] },
      migrations: [{ tag: 'v1', new_sqlite_classes: ['Counter'] }],
    }
    await writeFile(join(root, 'wrangler.jsonc'), JSON.stringify(config))

    // Without traffic a version cannot carry a migration: refused before any write.
    const refused = await runCli(['deploy'], root, emulatorEnv(emulator()))
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/migration/i)
    expect(
      emulator().requests.filter((r) => r.method !== 'GET' && r.path.includes('deploy-do')),
    ).toEqual([])

    const run = await runCli(['deploy', '--promote'], root, emulatorEnv(emulator()))
    expect(run.code, run.stderr).toBe(0)
    expect(
      emulator().requests.filter(
        (r) => r.method === 'PUT' && r.path.endsWith('/workers/scripts/deploy-do'),
      ),
    ).toHaveLength(1)
    expect(emulator().worker('deploy-do')!.migration_tag).toBe('v1')
    const [version] = emulator().versions('deploy-do')
    expect(await (await fetch(version!.urls[0]!)).json()).toEqual({ n: 1 })
  })

  it('reads the config --config names, for the project --cwd names, under the name --worker gives', async () => {
    const root = await prebuiltProject()
    await mkdir(join(root, 'config'))
    const config = JSON.parse(await readFile(join(root, 'wrangler.jsonc'), 'utf8'))
    await writeFile(
      join(root, 'config/prebuilt.jsonc'),
      JSON.stringify({ ...config, main: '../dist/index.js', vars: { MODE: 'from --config' } }),
    )
    const run = await runCli(
      [
        'deploy',
        '--dry-run',
        '--cwd',
        root,
        '--config',
        'config/prebuilt.jsonc',
        '--worker',
        'prebuilt-renamed',
      ],
      tmpdir(),
      emulatorEnv(emulator()),
    )
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('prebuilt-renamed')
    const body = await readRequest(join(root, '.workers-version'))
    expect(body.bindings).toEqual([{ type: 'plain_text', name: 'MODE', text: 'from --config' }])
    expect(body.modules.map((m) => m.name).sort()).toEqual([
      'chunks/lazy.js',
      'data.bin',
      'docs/page.html',
      'index.js',
      'index.js.map',
      'notes.md',
    ])
  })

  it('says how to go on when esbuild, an optional peer, is not installed', async () => {
    // The package as installed without esbuild: dist/ and every dependency but esbuild, outside this
    // repository (whose node_modules would otherwise be found by walking up).
    const pkg = join(await mkdtemp(join(tmpdir(), 'deploy-no-esbuild-')), 'pkg')
    const repo = resolve(CLI, '../..')
    await cp(join(repo, 'dist'), join(pkg, 'dist'), { recursive: true })
    await cp(join(repo, 'package.json'), join(pkg, 'package.json'))
    await mkdir(join(pkg, 'node_modules'))
    for (const entry of await readdir(join(repo, 'node_modules'))) {
      if (entry === 'esbuild' || entry === '.bin') continue
      await symlink(join(repo, 'node_modules', entry), join(pkg, 'node_modules', entry))
    }
    const root = await sourceProject()
    const before = emulator().requests.length
    const run = await runCli(
      ['deploy', '--promote'],
      root,
      emulatorEnv(emulator()),
      join(pkg, 'dist/cli.js'),
    )
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(
      'bundling needs esbuild, an optional peer dependency that is not installed',
    )
    expect(run.stderr).toContain('no_bundle')
    expect(emulator().requests.length).toBe(before)
  })
})
