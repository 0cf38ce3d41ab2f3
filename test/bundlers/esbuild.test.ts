import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as esbuild from 'esbuild'
import { describe, expect, it } from 'vitest'
import workersVersion from '../../src/esbuild.js'
import type { WorkersVersionOptions } from '../../src/index.js'
import {
  WORKER_FIXTURE,
  assertMapsBelongToChunks,
  moduleShape,
  moduleText,
  readRequest,
  tempDir,
} from '../helpers/fixture.js'
import { expectWorkerResponds } from '../helpers/workerd.js'

const version = { compatibility_date: '2025-01-01', compatibility_flags: ['nodejs_compat'] }
const entry = join(WORKER_FIXTURE, 'src/index.js')

async function build(options: esbuild.BuildOptions, pluginOptions: WorkersVersionOptions = {}) {
  const dir = await tempDir('esbuild')
  const outputDir = join(dir, '.workers-version')
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    splitting: true,
    sourcemap: true,
    outdir: join(dir, 'dist'),
    logLevel: 'silent',
    ...options,
    plugins: [workersVersion({ outputDir, worker: 'test', version, ...pluginOptions })],
  })
  return { dir, outputDir, result }
}

const expectedShape = [
  ['add-[hash].wasm', 'application/wasm'],
  ['blob-[hash].bin', 'application/octet-stream'],
  ['index.js', 'application/javascript+module'],
  ['index.js.map', 'application/source-map'],
  ['lazy-[hash].js', 'application/javascript+module'],
  ['lazy-[hash].js.map', 'application/source-map'],
  ['page-[hash].html', 'text/plain'],
]

describe('esbuild', () => {
  it('maps every chunk, import and map onto modules, and the version runs', async () => {
    const { dir, outputDir } = await build({})
    const body = await readRequest(outputDir)
    expect(body.main_module).toBe('index.js')
    expect(body.modules[0]!.name).toBe('index.js')
    expect(moduleShape(body)).toEqual(expectedShape)
    expect(body.modules.map((m) => m.name)).toContainEqual(
      expect.stringMatching(/^add-[A-Z0-9]{8}\.wasm$/),
    )
    expect(assertMapsBelongToChunks(body)).toBe(2)
    const main = moduleText(body, 'index.js')
    // Runtime built-ins and non-JS modules stay imports, with real relative paths.
    expect(main).toMatch(/from "cloudflare:workers"/)
    expect(main).toMatch(/import add from "\.\/add-\w{8}\.wasm"/)
    expect(main).toContain('//# sourceMappingURL=index.js.map')
    // The module is the emitted file, byte for byte.
    const wasm = body.modules.find((m) => m.name.endsWith('.wasm'))!
    expect(Buffer.from(wasm.content_base64, 'base64')).toEqual(
      await readFile(join(WORKER_FIXTURE, 'src/add.wasm')),
    )
    expect(await readFile(join(dir, 'dist', wasm.name))).toEqual(
      await readFile(join(WORKER_FIXTURE, 'src/add.wasm')),
    )
    await expectWorkerResponds(body)
  })

  it('reads outputs from memory with write: false, and nothing reaches the disk', async () => {
    const { dir, outputDir, result } = await build({ write: false })
    await expect(readFile(join(dir, 'dist/index.js'))).rejects.toThrow(/ENOENT/)
    const body = await readRequest(outputDir)
    expect(moduleShape(body)).toEqual(expectedShape)
    expect(
      result.outputFiles?.map((f) => f.path.slice(f.path.lastIndexOf('/') + 1)),
    ).toContainEqual(expect.stringMatching(/^add-\w+\.wasm$/))
    await expectWorkerResponds(body)
  })

  it('sends external (hidden) and inline maps, which the chunk does not point to or carries itself, with sourcemaps: true, and not by default (as wrangler)', async () => {
    for (const sourcemap of ['external', 'inline'] as const) {
      const { outputDir } = await build({ sourcemap }, { sourcemaps: true })
      expect(assertMapsBelongToChunks(await readRequest(outputDir)), sourcemap).toBe(2)
      const byDefault = await build({ sourcemap })
      expect(
        (await readRequest(byDefault.outputDir)).modules.filter((m) => m.name.endsWith('.map')),
        sourcemap,
      ).toEqual([])
    }
  })

  it('tells entries from dynamic-import chunks under entry names and nested chunk directories', async () => {
    const { outputDir } = await build({
      entryPoints: { worker: entry },
      chunkNames: 'chunks/[name]-[hash]',
      assetNames: 'modules/[name]-[hash]',
    })
    const body = await readRequest(outputDir)
    expect(body.main_module).toBe('worker.js')
    expect(moduleShape(body).map(([name]) => name)).toEqual([
      'chunks/lazy-[hash].js',
      'chunks/lazy-[hash].js.map',
      'modules/add-[hash].wasm',
      'modules/blob-[hash].bin',
      'modules/page-[hash].html',
      'worker.js',
      'worker.js.map',
    ])
    await expectWorkerResponds(body)
  })

  it('points a chunk in another directory at the module it imports, and keeps class exports', async () => {
    const nested = join(WORKER_FIXTURE, '../webpack-nested/src/index.js')
    const { outputDir } = await build({ entryPoints: [nested], chunkNames: 'chunks/[name]-[hash]' })
    const body = await readRequest(outputDir)
    expect(moduleShape(body)).toEqual([
      ['chunks/lazy-[hash].js', 'application/javascript+module'],
      ['chunks/lazy-[hash].js.map', 'application/source-map'],
      ['greeting-[hash].txt', 'text/plain'],
      ['index.js', 'application/javascript+module'],
      ['index.js.map', 'application/source-map'],
    ])
    const chunk = body.modules.find((m) => m.name.startsWith('chunks/') && m.name.endsWith('.js'))!
    expect(moduleText(body, chunk.name)).toMatch(/from "\.\.\/greeting-\w{8}\.txt"/)
    expect(moduleText(body, 'index.js')).toContain(
      'import { DurableObject } from "cloudflare:workers"',
    )
    await expectWorkerResponds(body, {
      greeting: 'hello from a nested chunk',
      durableObject: 'function',
    })
  })

  it('imports files that `rules` make modules', async () => {
    const dir = await tempDir('esbuild-rules')
    await mkdir(join(dir, 'src'))
    await writeFile(join(dir, 'src/notes.md'), '# notes\n')
    await writeFile(
      join(dir, 'src/index.js'),
      "import notes from './notes.md'\nexport default { fetch: () => Response.json(notes) }\n",
    )
    const outputDir = join(dir, '.workers-version')
    await esbuild.build({
      entryPoints: [join(dir, 'src/index.js')],
      absWorkingDir: dir,
      bundle: true,
      format: 'esm',
      outdir: join(dir, 'dist'),
      logLevel: 'silent',
      plugins: [
        workersVersion({
          outputDir,
          version,
          rules: [{ test: 'src/**/*.md', type: 'text/plain' }],
        }),
      ],
    })
    const body = await readRequest(outputDir)
    expect(moduleShape(body)).toEqual([
      ['index.js', 'application/javascript+module'],
      ['notes-[hash].md', 'text/plain'],
    ])
    await expectWorkerResponds(body, '# notes\n')
  })

  it('lists the candidates when several entries and no mainModule', async () => {
    const entryPoints = { index: entry, other: join(WORKER_FIXTURE, 'src/shout.js') }
    await expect(build({ entryPoints })).rejects.toThrow(
      /2 entry chunks; set the `mainModule` option[\s\S]*index\.js \(entry "index"\)[\s\S]*other\.js \(entry "other"\)/,
    )
    const { outputDir } = await build({ entryPoints }, { mainModule: 'index' })
    const body = await readRequest(outputDir)
    expect(body.main_module).toBe('index.js')
    expect(body.modules.map((m) => m.name)).toContain('other.js')
  })

  it('refuses a CommonJS main module and says which option to change', async () => {
    await expect(
      build({
        format: 'cjs',
        splitting: false,
        entryPoints: [join(WORKER_FIXTURE, 'src/shout.js')],
      }),
    ).rejects.toThrow("a Worker's main module must be an ES module: set `format: 'esm'`")
  })

  it('checks upload options before building', async () => {
    const dir = await tempDir('esbuild-upload')
    await expect(
      esbuild.build({
        entryPoints: [entry],
        bundle: true,
        format: 'esm',
        outdir: join(dir, 'dist'),
        logLevel: 'silent',
        plugins: [workersVersion({ upload: true })],
      }),
    ).rejects.toThrow(/set the `worker` option \(its name or id\) or `name` in the wrangler config/)
    await expect(readFile(join(dir, 'dist/index.js'))).rejects.toThrow(/ENOENT/)
  })

  it('leaves failed builds and rebuilds of a context alone', async () => {
    const dir = await tempDir('esbuild-context')
    const outputDir = join(dir, '.workers-version')
    const ctx = await esbuild.context({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      splitting: true,
      outdir: join(dir, 'dist'),
      logLevel: 'silent',
      plugins: [workersVersion({ outputDir, version })],
    })
    try {
      await ctx.rebuild()
      const first = await readFile(join(outputDir, 'request.json'), 'utf8')
      await rm(outputDir, { recursive: true })
      await ctx.rebuild()
      await expect(readFile(join(outputDir, 'request.json'))).rejects.toThrow(/ENOENT/)
      expect(first).toContain('"main_module": "index.js"')
    } finally {
      await ctx.dispose()
    }
    const failed = await tempDir('esbuild-failed')
    await expect(
      build({ entryPoints: [join(failed, 'missing.js')] }, { outputDir: join(failed, 'out') }),
    ).rejects.toThrow(/Could not resolve/)
    await expect(readFile(join(failed, 'out/request.json'))).rejects.toThrow(/ENOENT/)
  })
})
