import { join } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { build, createBuilder, createLogger, type InlineConfig } from 'vite'
import { cloudflare } from '@cloudflare/vite-plugin'
import { afterEach, describe, expect, it, vi } from 'vitest'
import workersVersion from '../../src/vite.js'
import {
  TEST_ROOT,
  WORKER_FIXTURE,
  assertMapsBelongToChunks,
  moduleShape,
  readRequest,
  tempDir,
} from '../helpers/fixture.js'
import { expectWorkerResponds } from '../helpers/workerd.js'

const version = { compatibility_date: '2025-01-01', compatibility_flags: ['nodejs_compat'] }

/** Counts the version summaries printed: one per request body written. */
function countSummaries() {
  const spy = vi.spyOn(console, 'log')
  return () => spy.mock.calls.filter(([line]) => String(line).includes('Workers version')).length
}

afterEach(() => {
  vi.restoreAllMocks()
})

const expectedModules = [
  ['assets/add-[hash].wasm', 'application/wasm'],
  ['assets/blob-[hash].bin', 'application/octet-stream'],
  ['assets/page-[hash].html', 'text/plain'],
  ['index.js', 'application/javascript+module'],
  ['index.js.map', 'application/source-map'],
]

describe('vite', () => {
  it('follows build.reportCompressedSize: false, gzipping nothing for the summary', async () => {
    const lines = async (reportCompressedSize: boolean) => {
      const dir = await tempDir('vite-gzip')
      const log = vi.spyOn(console, 'log').mockImplementation(() => undefined)
      await build({
        root: WORKER_FIXTURE,
        configFile: false,
        logLevel: 'silent',
        build: { ssr: 'src/index.js', outDir: join(dir, 'dist'), reportCompressedSize },
        plugins: [
          workersVersion({
            outputDir: join(dir, '.workers-version'),
            worker: 'test',
            version,
            logLevel: 'info',
          }),
        ],
      })
      const printed = log.mock.calls.map(([line]) => stripVTControlCharacters(String(line)))
      log.mockRestore()
      return printed.filter((line) => line.includes('index.js') || line.includes(' modules, '))
    }
    const reported = await lines(true)
    expect(reported.some((line) => line.includes('gzip'))).toBe(true)
    const unreported = await lines(false)
    expect(unreported.some((line) => line.includes(' modules, '))).toBe(true)
    expect(unreported.filter((line) => line.includes('gzip'))).toEqual([])
  })

  it('builds a standalone Worker with build.ssr (programmatic build, no buildApp)', async () => {
    const dir = await tempDir('vite-ssr')
    const outputDir = join(dir, '.workers-version')
    const summaries = countSummaries()
    await build({
      root: WORKER_FIXTURE,
      configFile: false,
      logLevel: 'silent',
      build: { ssr: 'src/index.js', outDir: join(dir, 'dist'), sourcemap: true },
      plugins: [workersVersion({ outputDir, worker: 'test', version, logLevel: 'info' })],
    })
    expect(summaries()).toBe(1)
    const body = await readRequest(outputDir)
    expect(body.main_module).toBe('index.js')
    const shape = moduleShape(body)
    expect(
      shape.filter(([name]) => !name.startsWith('lazy') && !name.startsWith('assets/lazy')),
    ).toEqual(expectedModules)
    expect(shape.filter(([name]) => name.includes('lazy')).map(([, type]) => type)).toEqual([
      'application/javascript+module',
      'application/source-map',
    ])
    expect(assertMapsBelongToChunks(body)).toBe(2)
    await expectWorkerResponds(body)
  })

  it('is as quiet as Vite: logLevel silent prints nothing, but request.json is written', async () => {
    const dir = await tempDir('vite-silent')
    const outputDir = join(dir, '.workers-version')
    const log = vi.spyOn(console, 'log')
    const warn = vi.spyOn(console, 'warn')
    await build({
      root: WORKER_FIXTURE,
      configFile: false,
      logLevel: 'silent',
      build: { ssr: 'src/index.js', outDir: join(dir, 'dist') },
      plugins: [workersVersion({ outputDir, worker: 'test', version })],
    })
    expect([...log.mock.calls, ...warn.mock.calls]).toEqual([])
    expect((await readRequest(outputDir)).main_module).toBe('index.js')
  })

  it('puts back the module files Vite drops from a server build without a bundler warning', async () => {
    const dir = await tempDir('vite-restored')
    const outputDir = join(dir, '.workers-version')
    const warnings: string[] = []
    const customLogger = createLogger('warn')
    customLogger.warn = (message) => void warnings.push(message)
    await build({
      root: WORKER_FIXTURE,
      configFile: false,
      customLogger,
      build: { ssr: 'src/index.js', outDir: join(dir, 'dist'), emptyOutDir: true },
      plugins: [workersVersion({ outputDir, worker: 'test', version, logLevel: 'silent' })],
    })
    // Without the plugin's log filter Rolldown reports each restored file as overwriting itself.
    expect(warnings).toEqual([])
    const names = moduleShape(await readRequest(outputDir)).map(([name]) => name)
    expect(names.filter((name) => /\.(wasm|bin|html)$/.test(name))).toHaveLength(3)
  })

  it('builds a Worker from a plain rollupOptions.input in the CLI path (buildApp)', async () => {
    const dir = await tempDir('vite-input')
    const outputDir = join(dir, '.workers-version')
    const summaries = countSummaries()
    const builder = await createBuilder(
      {
        root: WORKER_FIXTURE,
        configFile: false,
        logLevel: 'silent',
        build: {
          outDir: join(dir, 'dist'),
          sourcemap: true,
          rollupOptions: { input: 'src/index.js', output: { entryFileNames: '[name].js' } },
        },
        plugins: [workersVersion({ outputDir, worker: 'test', version, logLevel: 'info' })],
      },
      null,
    )
    await builder.buildApp()
    expect(summaries()).toBe(1)
    const body = await readRequest(outputDir)
    expect(body.main_module).toBe('index.js')
    await expectWorkerResponds(body)
  })

  it('makes exactly one request in a multi-environment app build, from the worker environment', async () => {
    const dir = await tempDir('vite-app')
    const outputDir = join(dir, '.workers-version')
    const summaries = countSummaries()
    const config: InlineConfig = {
      root: WORKER_FIXTURE,
      configFile: false,
      logLevel: 'silent',
      builder: {},
      environments: {
        client: {
          build: {
            outDir: join(dir, 'client'),
            rollupOptions: { input: join(TEST_ROOT, 'fixtures/vite-app/client.js') },
          },
        },
        ssr: {
          build: {
            outDir: join(dir, 'worker'),
            sourcemap: true,
            rollupOptions: { input: 'src/index.js' },
          },
        },
      },
      plugins: [workersVersion({ outputDir, worker: 'test', version, logLevel: 'info' })],
    }
    const builder = await createBuilder(config)
    await builder.buildApp()
    expect(builder.environments.client!.isBuilt).toBe(true)
    expect(summaries()).toBe(1)
    const body = await readRequest(outputDir)
    expect(body.modules.some((m) => m.name.includes('client'))).toBe(false)
    await expectWorkerResponds(body)
  })

  it('works beside @cloudflare/vite-plugin: one request from the Worker environment', async () => {
    const dir = await tempDir('vite-cloudflare')
    const outputDir = join(dir, '.workers-version')
    const summaries = countSummaries()
    const builder = await createBuilder({
      root: WORKER_FIXTURE,
      configFile: false,
      logLevel: 'silent',
      build: { outDir: join(dir, 'dist'), sourcemap: true },
      plugins: [
        cloudflare({
          configPath: join(TEST_ROOT, 'fixtures/vite-cloudflare/wrangler.jsonc'),
          inspectorPort: false,
          persistState: false,
        }),
        workersVersion({ outputDir, worker: 'cf-worker', version, logLevel: 'info' }),
      ],
    })
    await builder.buildApp()
    expect(summaries()).toBe(1)
    const body = await readRequest(outputDir)
    expect(body.main_module).toBe('index.js')
    // The plugin's deploy config is not a module.
    expect(body.modules.map((m) => m.name)).not.toContain('wrangler.json')
    await expectWorkerResponds(body)
  })
})
