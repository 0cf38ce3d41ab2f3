import { cp, readFile, readdir } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { cloudflare } from '@cloudflare/vite-plugin'
import { rollup } from 'rollup'
import { preview } from 'vite'
import { describe, expect, it } from 'vitest'
import * as esbuild from 'esbuild'
import { readBuildOutput } from '../../src/build-output/read.js'
import esbuildPlugin from '../../src/esbuild.js'
import rollupPlugin from '../../src/rollup.js'
import { TEST_ROOT, tempDir } from '../helpers/fixture.js'

// `buildOutput: true` on a Rollup build, checked by the Cloudflare plugin's own reader: `vite preview`
// in Build Output mode reads the tree we wrote (readBuildOutputWorkers) and serves it in workerd.
const FIXTURE = join(TEST_ROOT, 'fixtures/build-output-worker')
const version = {
  compatibility_date: '2025-01-01',
  bindings: [
    { type: 'plain_text', name: 'GREETING', text: 'hello from a var' },
    { type: 'kv_namespace', name: 'KV', namespace_id: '0123456789abcdef0123456789abcdef' },
  ],
}

async function buildWithBuildOutput(options: Record<string, unknown> = {}): Promise<string> {
  const root = await tempDir('build-output-write')
  await cp(join(FIXTURE, 'public'), join(root, 'public'), { recursive: true })
  const bundle = await rollup({
    input: join(FIXTURE, 'src/index.js'),
    logLevel: 'silent',
    plugins: [
      rollupPlugin({
        root,
        worker: 'bo-out',
        version,
        assets: { directory: 'public', binding: 'ASSETS' },
        buildOutput: true,
        logLevel: 'silent',
        ...options,
      } as never),
    ],
  })
  try {
    await bundle.write({ dir: join(root, 'dist'), format: 'es', sourcemap: true })
  } finally {
    await bundle.close()
  }
  return root
}

async function listFiles(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort()
}

/** `vite preview` with the installed Cloudflare plugin in Build Output mode, on a free loopback port. */
async function expectPreviewServes(root: string): Promise<void> {
  const server = await preview({
    root,
    configFile: false,
    logLevel: 'silent',
    plugins: [
      cloudflare({
        experimental: { newConfig: { cfBuildOutput: true } },
        inspectorPort: false,
        persistState: false,
      }),
    ],
    preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false },
  })
  try {
    const { port } = server.httpServer.address() as AddressInfo
    const base = `http://127.0.0.1:${port}`
    expect(await (await fetch(`${base}/api/info?who=vite-preview`)).json()).toEqual({
      greeting: 'hello from a var',
      kv: 'vite-preview',
      lazy: 'loaded lazily',
    })
    expect(await (await fetch(`${base}/api/add?a=20&b=22`)).json()).toEqual({ sum: 42 })
    const asset = await fetch(`${base}/docs/readme.txt`)
    expect(asset.status).toBe(200)
    expect(await asset.text()).toBe('A nested static file.\n')
    expect(await (await fetch(`${base}/`)).text()).toContain('Served from Build Output assets')
  } finally {
    await server.close()
  }
}

describe('buildOutput: true', () => {
  it('writes a v0 tree that the Cloudflare plugin reads and serves: the API route, a wasm call and an asset answer', async () => {
    const root = await buildWithBuildOutput()
    const out = join(root, '.cloudflare/output/v0')
    const files = (await listFiles(out)).map((f) => f.replace(/-[\w-]{8}(?=\.)/g, '-[hash]'))
    expect(files).toEqual([
      'config.json',
      'workers/default/assets/docs/readme.txt',
      'workers/default/assets/index.html',
      'workers/default/bundle/assets/add-[hash].wasm',
      'workers/default/bundle/index.js',
      'workers/default/bundle/index.js.map',
      'workers/default/bundle/lazy-[hash].js',
      'workers/default/bundle/lazy-[hash].js.map',
      'workers/default/worker.config.json',
    ])
    const config = JSON.parse(
      await readFile(join(out, 'workers/default/worker.config.json'), 'utf8'),
    )
    expect(config).toMatchObject({
      name: 'bo-out',
      compatibilityDate: '2025-01-01',
      env: {
        GREETING: { type: 'text', value: 'hello from a var' },
        KV: { type: 'kv', id: '0123456789abcdef0123456789abcdef' },
        ASSETS: { type: 'assets' },
      },
      manifest: { type: 'complete', mainModule: 'index.js' },
    })
    expect(
      Object.values(config.manifest.modules)
        .map((m) => (m as { type: string }).type)
        .sort(),
    ).toEqual(['esm', 'esm', 'sourcemap', 'sourcemap', 'wasm'])
    expect(JSON.parse(await readFile(join(out, 'config.json'), 'utf8'))).toEqual({
      buildContext: { isPreview: false },
    })

    await expectPreviewServes(root)
  })

  it('works the same from esbuild', async () => {
    const root = await tempDir('build-output-esbuild')
    await cp(join(FIXTURE, 'public'), join(root, 'public'), { recursive: true })
    await esbuild.build({
      entryPoints: [join(FIXTURE, 'src/index.js')],
      bundle: true,
      format: 'esm',
      splitting: true,
      sourcemap: true,
      outdir: join(root, 'dist'),
      logLevel: 'silent',
      plugins: [
        esbuildPlugin({
          root,
          worker: 'bo-out',
          version,
          assets: { directory: 'public', binding: 'ASSETS' },
          buildOutput: true,
          logLevel: 'silent',
        } as never),
      ],
    })
    expect(
      readBuildOutput(root)
        .workers[0]!.files.map((f) => f.importedType)
        .sort(),
    ).toEqual([
      'application/javascript+module',
      'application/javascript+module',
      'application/wasm',
      undefined,
      undefined,
    ])
    await expectPreviewServes(root)
  })
})
