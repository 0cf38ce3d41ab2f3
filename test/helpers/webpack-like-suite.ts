import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { WorkersVersionOptions } from '../../src/index.js'
import {
  TEST_ROOT,
  WORKER_FIXTURE,
  assertMapsBelongToChunks,
  moduleShape,
  moduleText,
  readRequest,
  tempDir,
  type CodeRequestBody,
} from './fixture.js'
import { expectWorkerResponds } from './workerd.js'

/**
 * The same real builds for webpack and rspack (they share the adapter and the config
 * format). Lives here rather than in a `.test.ts` so both test files can run it.
 */

/** What the suite needs of `webpack` / `rspack`, typed loosely since their types differ. */
export interface WebpackLike {
  name: 'webpack' | 'rspack'
  create(config: Record<string, unknown>): Compiler
  plugin(options: WorkersVersionOptions): unknown
}

interface Stats {
  hasErrors(): boolean
  toJson(options: unknown): { errors?: Array<{ message: string }> }
}
interface Compiler {
  run(callback: (error: Error | null, stats?: Stats) => void): void
  watch(
    options: object,
    callback: (error: Error | null, stats?: Stats) => void,
  ): { close(callback: () => void): void }
  close(callback: (error?: Error | null) => void): void
}

const version = { compatibility_date: '2025-01-01', compatibility_flags: ['nodejs_compat'] }
const NESTED_FIXTURE = join(TEST_ROOT, 'fixtures/webpack-nested')

/** An ES-module Worker build, as webpack and rspack need it spelled out. */
function workerConfig(dir: string, context: string, output: Record<string, unknown> = {}) {
  return {
    mode: 'production',
    context,
    entry: { index: './src/index.js' },
    target: 'webworker',
    devtool: 'source-map',
    experiments: { outputModule: true },
    output: {
      path: join(dir, 'dist'),
      module: true,
      library: { type: 'module' },
      chunkFormat: 'module',
      chunkLoading: 'import',
      ...output,
    },
  }
}

function run(compiler: Compiler): Promise<Stats> {
  return new Promise((resolve, reject) => {
    compiler.run((error, stats) => {
      compiler.close(() => (error ? reject(error) : resolve(stats!)))
    })
  })
}

function errorsOf(stats: Stats): string {
  return (stats.toJson({ all: false, errors: true }).errors ?? []).map((e) => e.message).join('\n')
}

/** Chunk ids differ between webpack and rspack: `899.mjs` → `[id].mjs`. */
function shapeOf(body: CodeRequestBody) {
  return moduleShape(body).map(([name, type]) => [
    name.replace(/(^|\/)\d+\.mjs/, '$1[id].mjs'),
    type,
  ])
}

export function webpackLikeSuite(bundler: WebpackLike) {
  async function build(
    overrides: (config: ReturnType<typeof workerConfig>) => Record<string, unknown> = (c) => c,
    pluginOptions: WorkersVersionOptions = {},
    context = WORKER_FIXTURE,
  ) {
    const dir = await tempDir(bundler.name)
    const outputDir = join(dir, '.workers-version')
    const config = overrides(workerConfig(dir, context))
    const plugin = bundler.plugin({ outputDir, worker: 'test', version, ...pluginOptions })
    const stats = await run(bundler.create({ ...config, plugins: [plugin] }))
    return { dir, outputDir, stats }
  }

  describe(bundler.name, () => {
    it('maps every chunk, import and map onto modules, and the version runs', async () => {
      const { dir, outputDir, stats } = await build()
      expect(errorsOf(stats)).toBe('')
      const body = await readRequest(outputDir)
      expect(body.main_module).toBe('index.mjs')
      expect(body.modules[0]!.name).toBe('index.mjs')
      expect(shapeOf(body)).toEqual([
        ['[id].mjs', 'application/javascript+module'],
        ['[id].mjs.map', 'application/source-map'],
        ['add-[hash].wasm', 'application/wasm'],
        ['blob-[hash].bin', 'application/octet-stream'],
        ['index.mjs', 'application/javascript+module'],
        ['index.mjs.map', 'application/source-map'],
        ['page-[hash].html', 'text/plain'],
      ])
      expect(assertMapsBelongToChunks(body)).toBe(2)
      const wasm = body.modules.find((m) => m.name.endsWith('.wasm'))!
      expect(wasm.name).toMatch(/^add-[0-9a-f]{8}\.wasm$/)
      const source = await readFile(join(WORKER_FIXTURE, 'src/add.wasm'))
      expect(Buffer.from(wasm.content_base64, 'base64')).toEqual(source)
      expect(await readFile(join(dir, 'dist', wasm.name))).toEqual(source)
      // Minified, yet the imports stay imports with real relative paths.
      const main = moduleText(body, 'index.mjs')
      expect(main).toMatch(/from\s*"cloudflare:workers"/)
      expect(main).toMatch(/from\s*"\.\/add-[0-9a-f]{8}\.wasm"/)
      expect(main).not.toContain('__WORKERS_MODULE_')
      expect(main).toContain('//# sourceMappingURL=index.mjs.map')
      await expectWorkerResponds(body)
    })

    it('points a chunk in another directory at the module it imports, and keeps class exports', async () => {
      const { outputDir, stats } = await build(
        (c) => ({ ...c, output: { ...c.output, chunkFilename: 'chunks/[id].mjs' } }),
        {},
        NESTED_FIXTURE,
      )
      expect(errorsOf(stats)).toBe('')
      const body = await readRequest(outputDir)
      expect(shapeOf(body)).toEqual([
        ['chunks/[id].mjs', 'application/javascript+module'],
        ['chunks/[id].mjs.map', 'application/source-map'],
        ['greeting-[hash].txt', 'text/plain'],
        ['index.mjs', 'application/javascript+module'],
        ['index.mjs.map', 'application/source-map'],
      ])
      const chunk = body.modules.find((m) => /^chunks\/\d+\.mjs$/.test(m.name))!
      expect(moduleText(body, chunk.name)).toMatch(/from\s*"\.\.\/greeting-[0-9a-f]{8}\.txt"/)
      expect(moduleText(body, 'index.mjs')).toMatch(
        /import\s*\{\s*DurableObject\b[^}]*\}\s*from\s*"cloudflare:workers"/,
      )
      await expectWorkerResponds(body, {
        greeting: 'hello from a nested chunk',
        durableObject: 'function',
      })
    })

    it('keeps a split runtime chunk as a module of its own', async () => {
      const { outputDir, stats } = await build((c) => ({
        ...c,
        optimization: { runtimeChunk: 'single' },
      }))
      expect(errorsOf(stats)).toBe('')
      const body = await readRequest(outputDir)
      expect(body.main_module).toBe('index.mjs')
      expect(body.modules.map((m) => m.name)).toContain('runtime.mjs')
      await expectWorkerResponds(body)
    })

    it('sends hidden and inline maps with sourcemaps: true, and not by default (no chunk links them to a file, so wrangler sends none)', async () => {
      for (const devtool of ['hidden-source-map', 'inline-source-map']) {
        const { outputDir } = await build((c) => ({ ...c, devtool }), { sourcemaps: true })
        expect(assertMapsBelongToChunks(await readRequest(outputDir)), devtool).toBe(2)
        const byDefault = await build((c) => ({ ...c, devtool }))
        expect(
          (await readRequest(byDefault.outputDir)).modules.filter((m) => m.name.endsWith('.map')),
          devtool,
        ).toEqual([])
      }
    })

    it('lists the candidates when several entries and no mainModule', async () => {
      const entry = { index: './src/index.js', other: './src/shout.js' }
      const ambiguous = await build((c) => ({ ...c, entry }))
      expect(ambiguous.stats.hasErrors()).toBe(true)
      expect(errorsOf(ambiguous.stats)).toMatch(
        /2 entry chunks; set the `mainModule` option[\s\S]*index\.mjs \(entry "index"\)[\s\S]*other\.mjs \(entry "other"\)/,
      )
      await expect(readFile(join(ambiguous.outputDir, 'request.json'))).rejects.toThrow(/ENOENT/)

      const { outputDir } = await build((c) => ({ ...c, entry }), { mainModule: 'index' })
      const body = await readRequest(outputDir)
      expect(body.main_module).toBe('index.mjs')
      expect(body.modules.map((m) => m.name)).toContain('other.mjs')
    })

    it('refuses a CommonJS main module and says which option to change', async () => {
      const { stats } = await build((c) => ({
        ...c,
        entry: './src/shout.js',
        experiments: {},
        output: { path: c.output.path, library: { type: 'commonjs2' } },
      }))
      expect(errorsOf(stats)).toContain(
        "a Worker's main module must be an ES module: set `experiments.outputModule: true` and `output.module: true`",
      )
    })

    it('imports files that `rules` make modules', async () => {
      const dir = await tempDir(`${bundler.name}-rules`)
      await mkdir(join(dir, 'src'))
      await writeFile(join(dir, 'src/notes.md'), '# notes\n')
      await writeFile(
        join(dir, 'src/index.js'),
        "import notes from './notes.md'\nexport default { fetch: () => Response.json(notes) }\n",
      )
      const { outputDir } = await build(
        (c) => c,
        { rules: [{ test: 'src/**/*.md', type: 'text/plain' }] },
        dir,
      )
      const body = await readRequest(outputDir)
      expect(shapeOf(body)).toEqual([
        ['index.mjs', 'application/javascript+module'],
        ['index.mjs.map', 'application/source-map'],
        ['notes-[hash].md', 'text/plain'],
      ])
      await expectWorkerResponds(body, '# notes\n')
    })

    it('checks upload options before building', async () => {
      const dir = await tempDir(`${bundler.name}-upload`)
      const compiler = bundler.create({
        ...workerConfig(dir, WORKER_FIXTURE),
        plugins: [bundler.plugin({ upload: true, outputDir: join(dir, 'out') })],
      })
      await expect(run(compiler)).rejects.toThrow(
        /set the `worker` option \(its name or id\) or `name` in the wrangler config/,
      )
      await expect(readFile(join(dir, 'dist/index.mjs'))).rejects.toThrow(/ENOENT/)
    })

    it('leaves failed builds and watch mode alone', async () => {
      const failed = await build((c) => ({ ...c, entry: './src/missing.js' }))
      expect(failed.stats.hasErrors()).toBe(true)
      await expect(readFile(join(failed.outputDir, 'request.json'))).rejects.toThrow(/ENOENT/)

      const dir = await tempDir(`${bundler.name}-watch`)
      const outputDir = join(dir, '.workers-version')
      const compiler = bundler.create({
        ...workerConfig(dir, WORKER_FIXTURE),
        plugins: [bundler.plugin({ outputDir, version })],
      })
      const stats = await new Promise<Stats>((resolve, reject) => {
        const watching = compiler.watch({}, (error, result) =>
          watching.close(() => (error ? reject(error) : resolve(result!))),
        )
      })
      expect(errorsOf(stats)).toBe('')
      // The build itself works in watch mode (the wasm is emitted), but no version is made.
      expect(await readdir(join(dir, 'dist'))).toContainEqual(
        expect.stringMatching(/^add-[0-9a-f]{8}\.wasm$/),
      )
      await expect(readFile(join(outputDir, 'request.json'))).rejects.toThrow(/ENOENT/)
      await rm(dir, { recursive: true })
    })
  })
}
