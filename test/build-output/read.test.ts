import { mkdir, rename, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readBuildOutputConfig } from '../../src/build-output/config.js'
import { readBuildOutput } from '../../src/build-output/read.js'
import { buildOutputWorkers } from '../../src/build-output/workers.js'
import { tempDir } from '../helpers/fixture.js'

/** Writes a Build Output tree: `files` maps paths below `.cloudflare/output/` to their contents (objects as JSON). */
async function tree(files: Record<string, unknown>): Promise<string> {
  const root = await tempDir('build-output-read')
  for (const [path, contents] of Object.entries(files)) {
    const file = join(root, '.cloudflare/output', path)
    await mkdir(dirname(file), { recursive: true })
    await writeFile(
      file,
      typeof contents === 'string' || contents instanceof Uint8Array
        ? contents
        : JSON.stringify(contents),
    )
  }
  return root
}

const WORKER = { name: 'w', compatibilityDate: '2025-01-01' }
const ROOT_V0 = { buildContext: { isPreview: false, mode: 'production' } }
const minimal = (version: string, root: unknown = ROOT_V0) => ({
  [`${version}/config.json`]: root,
  [`${version}/workers/default/worker.config.json`]: {
    ...WORKER,
    manifest: {
      type: 'complete',
      mainModule: 'index.js',
      modules: { 'index.js': { type: 'esm' } },
    },
  },
  [`${version}/workers/default/bundle/index.js`]:
    'export default { fetch() { return new Response("ok") } }',
})

describe('reading Build Output', () => {
  it('refuses a version it does not know, naming it', async () => {
    const root = await tree(minimal('v2'))
    expect(() => readBuildOutput(root)).toThrow(
      /\.cloudflare\/output\/v2 .*is a version this plugin does not read \(it reads v0 and v1\)/,
    )
  })

  it('refuses two versions side by side rather than picking one', async () => {
    const root = await tree({
      ...minimal('v0'),
      ...minimal('v1', { buildContext: { isPreview: false } }),
    })
    expect(() => readBuildOutput(root)).toThrow(/v0 and .*v1 are both in/)
  })

  it('refuses a root config.json that declares another version, or fields of another version', async () => {
    await expect(readBuildOutput_(minimal('v0', { ...ROOT_V0, version: 'v3' }))).rejects.toThrow(
      /declares version "v3"/,
    )
    await expect(
      readBuildOutput_(minimal('v0', { ...ROOT_V0, settings: { accountId: 'a' } })),
    ).rejects.toThrow(/fields this plugin does not know for v0: settings/)
  })

  it('reads v1, whose root config nests the settings and names its producer', async () => {
    const output = await readBuildOutput_(
      minimal('v1', {
        settings: { accountId: 'a' },
        producer: { name: 'x' },
        buildContext: { isPreview: false },
      }),
    )
    expect(output.version).toBe('v1')
    expect(output.workers.map((w) => w.directory)).toEqual(['default'])
  })

  it('completes a partial manifest from the files: .js/.mjs are ES modules, .map source maps, the rest as listed', async () => {
    const output = await readBuildOutput_({
      'v0/config.json': ROOT_V0,
      'v0/workers/default/worker.config.json': {
        ...WORKER,
        manifest: {
          type: 'partial',
          mainModule: 'index.js',
          modules: { 'add.wasm': { type: 'wasm' }, 'page.html': { type: 'text' } },
        },
      },
      'v0/workers/default/bundle/index.js': 'import "./chunks/lazy.mjs"\nexport default {}',
      'v0/workers/default/bundle/index.js.map': '{"version":3,"sources":[],"mappings":""}',
      'v0/workers/default/bundle/chunks/lazy.mjs': 'export const x = 1',
      'v0/workers/default/bundle/add.wasm': new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]),
      'v0/workers/default/bundle/page.html': '<h1>hi</h1>',
      'v0/workers/default/bundle/notes.md': 'not a module: a partial manifest does not list it',
    })
    const files = output.workers[0]!.files
    const shape = files
      .map((f) => [f.fileName, f.kind, f.importedType ?? null, f.isEntry ?? false])
      .sort()
    expect(shape).toEqual([
      ['add.wasm', 'asset', 'application/wasm', false],
      ['chunks/lazy.mjs', 'chunk', 'application/javascript+module', false],
      ['index.js', 'chunk', 'application/javascript+module', true],
      ['index.js.map', 'asset', null, false],
      ['page.html', 'asset', 'text/plain', false],
    ])
    expect(files.find((f) => f.fileName === 'index.js')).toMatchObject({
      mapFileName: 'index.js.map',
      map: expect.stringContaining('"version":3'),
    })
  })

  it('refuses what it cannot read exactly: a missing module, a json module, no default Worker', async () => {
    const base = minimal('v0')
    const listing = (modules: Record<string, unknown>) => ({
      ...base,
      'v0/workers/default/worker.config.json': {
        ...WORKER,
        manifest: {
          type: 'complete',
          mainModule: 'index.js',
          modules: { 'index.js': { type: 'esm' }, ...modules },
        },
      },
    })
    await expect(readBuildOutput_(listing({ 'gone.wasm': { type: 'wasm' } }))).rejects.toThrow(
      /lists "gone\.wasm", which is not a file/,
    )
    await expect(
      readBuildOutput_({
        ...listing({ 'data.json': { type: 'json' } }),
        'v0/workers/default/bundle/data.json': '{}',
      }),
    ).rejects.toThrow(/"data\.json" has type "json"/)
    await expect(readBuildOutput_(listing({ '../escape.js': { type: 'esm' } }))).rejects.toThrow(
      /module name "\.\.\/escape\.js"/,
    )
    const {
      ['v0/workers/default/worker.config.json']: config,
      ['v0/workers/default/bundle/index.js']: main,
      ...rest
    } = base
    await expect(
      readBuildOutput_({
        ...rest,
        'v0/workers/other/worker.config.json': config,
        'v0/workers/other/bundle/index.js': main,
      }),
    ).rejects.toThrow(/no "default" Worker/)
  })

  it('makes one Worker per directory, the default one the entry', async () => {
    const base = minimal('v0')
    const root = await tree({
      ...base,
      'v0/workers/aux/worker.config.json': {
        ...WORKER,
        name: 'aux',
        manifest: { type: 'partial', mainModule: 'index.js', modules: {} },
      },
      'v0/workers/aux/bundle/index.js': 'export default {}',
    })
    const workers = buildOutputWorkers(root)
    expect(
      workers.map((w) => [
        w.generated!.configFile.split('/').slice(-2)[0],
        w.generated!.entry,
        w.generated!.buildOutput,
      ]),
    ).toEqual([
      ['default', true, true],
      ['aux', false, true],
    ])
  })
})

describe('a worker.config.json as the version config', () => {
  it('maps env bindings, compatibility, placement, limits and assets to the Create Version fields, and says what it leaves out', async () => {
    const root = await tree({
      'v0/config.json': ROOT_V0,
      'v0/workers/default/worker.config.json': {
        ...WORKER,
        compatibilityFlags: ['nodejs_compat'],
        placement: { mode: 'smart' },
        limits: { cpuMs: 50 },
        assets: { htmlHandling: 'none', notFoundHandling: '404-page' },
        triggers: [
          { type: 'scheduled', schedule: '* * * * *' },
          { type: 'fetch', pattern: 'api.example.com/*', zone: 'example.com' },
          { type: 'queue', name: 'jobs', maxBatchSize: 5, maxBatchTimeout: 2 },
          { type: 'email', addresses: ['a@example.com'] },
        ],
        domains: [
          'app.example.com',
          { hostname: 'beta.example.com', production: false, previews: true },
        ],
        workersDev: false,
        observability: { enabled: true, headSamplingRate: 0.25, logs: { invocationLogs: false } },
        tailConsumers: [{ worker: 'tail' }],
        env: {
          TEXT: { type: 'text', value: 'plain' },
          JSON: { type: 'json', value: { a: 1 } },
          TOKEN: { type: 'secret' },
          KV: { type: 'kv', id: 'kv-id' },
          DB: { type: 'd1', id: 'd1-id' },
          BUCKET: { type: 'r2', name: 'bucket' },
          OTHER: { type: 'worker', worker: 'other', exportName: 'Api' },
          COUNTER: { type: 'durable-object', worker: 'w', exportName: 'Counter' },
          JOBS: { type: 'queue', name: 'jobs' },
          META: { type: 'version-metadata' },
          ASSETS: { type: 'assets' },
        },
        manifest: {
          type: 'complete',
          mainModule: 'index.js',
          modules: { 'index.js': { type: 'esm' } },
        },
      },
      'v0/workers/default/bundle/index.js': 'export default {}',
      'v0/workers/default/assets/index.html': '<p>hi</p>',
    })
    await writeFile(
      join(root, 'wrangler.jsonc'),
      '{ "name": "stale", "vars": { "GREETING": "hello" } }',
    )
    const configFile = join(root, '.cloudflare/output/v0/workers/default/worker.config.json')
    const config = readBuildOutputConfig(configFile, root)
    expect(config.worker).toBe('w')
    expect(config.secrets.inherit).toEqual(['TOKEN'])
    expect(config.assets).toMatchObject({
      directory: join(root, '.cloudflare/output/v0/workers/default/assets'),
      binding: 'ASSETS',
    })
    expect(config.version).toMatchObject({
      compatibility_date: '2025-01-01',
      compatibility_flags: ['nodejs_compat'],
      placement: { mode: 'smart' },
      limits: { cpu_ms: 50 },
      assets: { config: { html_handling: 'none', not_found_handling: '404-page' } },
    })
    expect(config.version.bindings).toEqual(
      expect.arrayContaining([
        { type: 'plain_text', name: 'TEXT', text: 'plain' },
        { type: 'json', name: 'JSON', json: { a: 1 } },
        { type: 'kv_namespace', name: 'KV', namespace_id: 'kv-id' },
        { type: 'd1', name: 'DB', database_id: 'd1-id' },
        { type: 'r2_bucket', name: 'BUCKET', bucket_name: 'bucket' },
        { type: 'service', name: 'OTHER', service: 'other', entrypoint: 'Api' },
        { type: 'durable_object_namespace', name: 'COUNTER', class_name: 'Counter' },
        { type: 'queue', name: 'JOBS', queue_name: 'jobs' },
        { type: 'version_metadata', name: 'META' },
      ]),
    )
    expect(config.version.bindings!.some((b) => b.name === 'GREETING')).toBe(false)
    expect(config.warnings).toEqual(
      expect.arrayContaining([
        "this Worker's config comes from here; wrangler.jsonc is ignored",
        'triggers: a trigger of type "email" is not applied by this plugin; not sent',
      ]),
    )
    // The settings a promote applies, in wrangler's keys, as wrangler 4.164 converts them.
    expect(config.deploy).toEqual({
      routes: [
        { pattern: 'api.example.com/*', zone_name: 'example.com' },
        { pattern: 'app.example.com', custom_domain: true },
        {
          pattern: 'beta.example.com',
          custom_domain: true,
          enabled: false,
          previews_enabled: true,
        },
      ],
      crons: ['* * * * *'],
      workersDev: false,
      observability: { enabled: true, head_sampling_rate: 0.25, logs: { invocation_logs: false } },
      tailConsumers: [{ service: 'tail' }],
      queueConsumers: [{ queue: 'jobs', max_batch_size: 5, max_batch_timeout: 2 }],
      workflows: [],
    })
  })

  it('names every config it does not read, in one line', async () => {
    const root = await tempDir('bo-ignored')
    const worker = join(root, '.cloudflare/output/v0/workers/default')
    await mkdir(worker, { recursive: true })
    await writeFile(
      join(worker, 'worker.config.json'),
      JSON.stringify({
        name: 'w',
        compatibilityDate: '2025-06-01',
        env: {},
        manifest: { type: 'partial', mainModule: 'index.js', modules: {} },
      }),
    )
    await writeFile(join(root, 'wrangler.jsonc'), '{ "name": "stale" }')
    await mkdir(join(root, '.wrangler/deploy'), { recursive: true })
    await writeFile(
      join(root, '.wrangler/deploy/config.json'),
      '{ "configPath": "../../dist/w/wrangler.json" }',
    )
    const { warnings } = readBuildOutputConfig(join(worker, 'worker.config.json'), root)
    expect(
      warnings.filter((line) => line.startsWith("this Worker's config comes from here")),
    ).toEqual([
      "this Worker's config comes from here; wrangler.jsonc and .wrangler/deploy/config.json (generated configs of an earlier build) are ignored",
    ])
  })
})

describe('all or nothing: what the reader does not fully understand is refused before anything is sent', () => {
  const config = (extra: Record<string, unknown>) => ({
    ...WORKER,
    ...extra,
    manifest: {
      type: 'complete',
      mainModule: 'index.js',
      modules: { 'index.js': { type: 'esm' } },
    },
  })
  const withConfig = (extra: Record<string, unknown>) => ({
    ...minimal('v0'),
    'v0/workers/default/worker.config.json': config(extra),
  })

  it('an unknown binding type is an error naming the binding and its type, in the tree and in the config reader', async () => {
    const root = await tree(
      withConfig({
        env: { KV: { type: 'kv', id: 'k' }, DB: { type: 'future_database', id: 'x' } },
      }),
    )
    expect(() => readBuildOutput(root)).toThrow(
      /worker\.config\.json: env\.DB \(type "future_database"\) is not part of the format this plugin reads, so nothing was sent/,
    )
    expect(() =>
      readBuildOutputConfig(
        join(root, '.cloudflare/output/v0/workers/default/worker.config.json'),
        root,
      ),
    ).toThrow(/env\.DB \(type "future_database"\)/)
    // A name of Object.prototype is no binding type either.
    const proto = await tree(withConfig({ env: { X: { type: 'constructor' } } }))
    expect(() => readBuildOutput(proto)).toThrow(/env\.X \(type "constructor"\)/)
    // A name with a line break or an escape sequence is shown escaped, on one line.
    const odd = await tree(withConfig({ env: { 'A\nB\u001b[31m': { type: 'x' } } }))
    expect(() => readBuildOutput(odd)).toThrow(/env\.A\\nB\\u001b\[31m \(type "x"\)/)
  })

  it('an unknown top-level field is an error naming it', async () => {
    const root = await tree(
      withConfig({ experimental: { something: true }, observability: { enabled: true } }),
    )
    expect(() => readBuildOutput(root)).toThrow(
      /worker\.config\.json: experimental is not part of the format this plugin reads/,
    )
  })

  it('two Worker directories that name one Worker are refused, naming both', async () => {
    const root = await tree({
      ...minimal('v0'),
      'v0/workers/aux/worker.config.json': config({}),
      'v0/workers/aux/bundle/index.js': 'export default {}',
    })
    expect(() => readBuildOutput(root)).toThrow(
      /workers\/default and workers\/aux both name Worker "w"/,
    )
  })

  it('a Worker directory that is a link out of the project is refused, as is any directory of the tree', async () => {
    const root = await tree(minimal('v0'))
    const outside = await tempDir('build-output-outside')
    await rename(join(root, '.cloudflare/output/v0/workers/default'), join(outside, 'default'))
    await symlink(
      join(outside, 'default'),
      join(root, '.cloudflare/output/v0/workers/default'),
      'dir',
    )
    expect(() => readBuildOutput(root)).toThrow(
      /workers\/default resolves to .*, outside the project/,
    )

    const linkedTree = await tree(minimal('v0'))
    const elsewhere = await tempDir('build-output-elsewhere')
    await rename(join(linkedTree, '.cloudflare/output/v0/workers'), join(elsewhere, 'workers'))
    await symlink(
      join(elsewhere, 'workers'),
      join(linkedTree, '.cloudflare/output/v0/workers'),
      'dir',
    )
    expect(() => readBuildOutput(linkedTree)).toThrow(
      /v0\/workers resolves to .*, outside the project/,
    )

    // A plain file beside the Worker directories (a .DS_Store) is no Worker, as before.
    const withFile = await tree({ ...minimal('v0'), 'v0/workers/.DS_Store': 'x' })
    expect(readBuildOutput(withFile).workers.map((w) => w.directory)).toEqual(['default'])

    // Inside the project, a Worker directory that is a link is still refused: the tree must be self-contained.
    const inside = await tree({
      ...minimal('v0'),
      'v0/spare/worker.config.json': config({ name: 'spare' }),
      'v0/spare/bundle/index.js': 'export default {}',
    })
    await symlink(
      join(inside, '.cloudflare/output/v0/spare'),
      join(inside, '.cloudflare/output/v0/workers/spare'),
      'dir',
    )
    expect(() => readBuildOutput(inside)).toThrow(/workers\/spare is a symlink/)
  })

  /** The error, which must be there, as its lines. */
  function errorLines(run: () => unknown): string[] {
    try {
      run()
    } catch (error) {
      return (error as Error).message.split('\n')
    }
    throw new Error('no error')
  }

  it('a huge or deeply nested worker.config.json stops at the first bound, with one line', async () => {
    const file = '.cloudflare/output/v0/workers/default/worker.config.json'
    // 300,000 entries in one object (3.6 MB): past the 10,000 keys an object may have.
    const many = await tree(minimal('v0'))
    const keys = Array.from({ length: 300_000 }, (_, i) => `"k${i}":0`).join(',')
    await writeFile(join(many, file), `{"name":"w","compatibilityDate":"2025-01-01",${keys}}`)
    const manyLines = errorLines(() => readBuildOutput(many))
    expect(manyLines.filter((line) => line.startsWith('  - '))).toEqual([
      expect.stringMatching(/an object with more than 10,000 keys/),
    ])
    expect(manyLines.length).toBeLessThanOrEqual(2)
    expect(
      errorLines(() => readBuildOutputConfig(join(many, file), many)).length,
    ).toBeLessThanOrEqual(2)

    // A key nested 200,000 levels deep.
    const deep = await tree(minimal('v0'))
    await writeFile(
      join(deep, file),
      `{"name":"w","compatibilityDate":"2025-01-01","x":${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}}`,
    )
    const deepLines = errorLines(() => readBuildOutput(deep))
    expect(deepLines.filter((line) => line.startsWith('  - '))).toEqual([
      expect.stringMatching(/nested more than 100 levels deep/),
    ])

    // Over the size bound: refused before it is parsed.
    const big = await tree(minimal('v0'))
    await writeFile(
      join(big, file),
      `{"name":"w","compatibilityDate":"2025-01-01","pad":"${'x'.repeat(5 * 2 ** 20)}"}`,
    )
    expect(
      errorLines(() => readBuildOutput(big)).filter((line) => line.startsWith('  - ')),
    ).toEqual([expect.stringMatching(/characters, over the 4,194,304/)])

    // Within the bounds, 9,000 unknown fields are one line naming five of them.
    const unknown = await tree(
      withConfig(Object.fromEntries(Array.from({ length: 9_000 }, (_, i) => [`field${i}`, i]))),
    )
    expect(errorLines(() => readBuildOutput(unknown))).toEqual([
      expect.stringMatching(
        /field0, field1, field2, field3, field4 and 8,995 more are not part of the format/,
      ),
    ])
  })

  it('many triggers it does not apply are one warning line', async () => {
    const root = await tree(
      withConfig({
        triggers: Array.from({ length: 5_000 }, (_, i) => ({ type: i % 2 ? 'email' : 'connect' })),
      }),
    )
    const { warnings } = readBuildOutputConfig(
      join(root, '.cloudflare/output/v0/workers/default/worker.config.json'),
      root,
    )
    expect(warnings.filter((line) => line.startsWith('triggers:'))).toEqual([
      'triggers: triggers of type 2500× "connect", 2500× "email" are not applied by this plugin; not sent',
    ])
  })
})

async function readBuildOutput_(files: Record<string, unknown>) {
  return readBuildOutput(await tree(files))
}
