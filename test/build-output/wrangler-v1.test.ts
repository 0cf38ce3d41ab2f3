import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { describe, expect, it } from 'vitest'
import { readBuildOutputConfig } from '../../src/build-output/config.js'
import { readBuildOutput, type BuildOutputWorker } from '../../src/build-output/read.js'
import { compileRules } from '../../src/modules/content-types.js'
import { toWorkerModules } from '../../src/modules/index.js'
import { toRequestBody } from '../../src/core/serialize.js'
import rollupPlugin from '../../src/rollup.js'
import { TEST_ROOT, WORKER_FIXTURE, tempDir } from '../helpers/fixture.js'
import { expectWorkerResponds } from '../helpers/workerd.js'
import { WRANGLER } from '../helpers/wrangler.js'

// Build Output v1 as wrangler 4.164 writes it (the installed package confirms v1's shape): this
// plugin reads that tree into a version that runs, and writes the same shape with `buildOutput: 'v1'`.
const FIXTURE = join(TEST_ROOT, 'fixtures/build-output-wrangler')
const EXPECTED = { greeting: 'hello from v1', kv: 'stored', sum: 5 }

async function project(): Promise<string> {
  const root = await tempDir('build-output-wrangler')
  await cp(FIXTURE, root, { recursive: true })
  await cp(join(WORKER_FIXTURE, 'src/add.wasm'), join(root, 'src/add.wasm'))
  return root
}

/** `wrangler build` into Build Output, offline: no credentials, and an API address nothing listens on. */
async function wranglerBuild(cwd: string): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'wrangler-home-'))
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_CONFIG_HOME: home,
    CI: 'true',
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_API_BASE_URL: 'http://127.0.0.1:9/client/v4',
  }
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      [WRANGLER, 'build', '--experimental-new-config', '--experimental-cf-build-output'],
      { cwd, env },
      (error, stdout, stderr) =>
        error ? reject(new Error(`wrangler build failed:\n${stdout}\n${stderr}`)) : resolve(),
    )
  })
}

async function runs(root: string, worker: BuildOutputWorker): Promise<void> {
  const { mainModule, modules } = toWorkerModules(worker.files, {
    bundler: 'vite',
    matchRule: compileRules(undefined),
    sourcemaps: true,
  })
  const config = readBuildOutputConfig(worker.configFile, root)
  await expectWorkerResponds(
    toRequestBody({ mainModule, modules, config: config.version }),
    EXPECTED,
  )
}

const keysOf = (value: object) => Object.keys(value).sort()

describe('Build Output v1, as wrangler 4.164 writes it', () => {
  it('is read into a version that runs, and buildOutput: "v1" writes the same shape', async () => {
    const byWrangler = await project()
    await wranglerBuild(byWrangler)
    const theirs = readBuildOutput(byWrangler)
    expect(theirs.version).toBe('v1')
    await runs(byWrangler, theirs.workers[0]!)

    const byPlugin = await project()
    const bundle = await rollup({
      input: join(byPlugin, 'src/index.js'),
      logLevel: 'silent',
      plugins: [
        rollupPlugin({
          root: byPlugin,
          worker: 'bo-wrangler',
          logLevel: 'silent',
          buildOutput: 'v1',
          version: {
            compatibility_date: '2025-01-01',
            bindings: [
              { type: 'plain_text', name: 'GREETING', text: 'hello from v1' },
              {
                type: 'kv_namespace',
                name: 'KV',
                namespace_id: '0123456789abcdef0123456789abcdef',
              },
            ],
          },
        }),
      ],
    })
    await bundle.write({ dir: join(byPlugin, 'dist'), format: 'es', sourcemap: true })
    await bundle.close()
    const ours = readBuildOutput(byPlugin)
    await runs(byPlugin, ours.workers[0]!)

    const rootConfig = async (root: string) =>
      JSON.parse(await readFile(join(root, '.cloudflare/output/v1/config.json'), 'utf8'))
    const [theirRoot, ourRoot] = [await rootConfig(byWrangler), await rootConfig(byPlugin)]
    expect(keysOf(ourRoot)).toEqual(keysOf(theirRoot))
    expect(keysOf(ourRoot.producer)).toEqual(keysOf(theirRoot.producer))
    expect(ourRoot.buildContext).toEqual({ isPreview: false })
    const workerConfig = async (root: string) =>
      JSON.parse(
        await readFile(
          join(root, '.cloudflare/output/v1/workers/default/worker.config.json'),
          'utf8',
        ),
      )
    const [theirWorker, ourWorker] = [await workerConfig(byWrangler), await workerConfig(byPlugin)]
    expect(keysOf(ourWorker)).toEqual(keysOf(theirWorker))
    expect(ourWorker.env).toEqual(theirWorker.env)
    expect(ourWorker.manifest).toMatchObject({
      type: 'complete',
      mainModule: theirWorker.manifest.mainModule,
    })
    const types = (manifest: { modules: Record<string, { type: string }> }) =>
      Object.values(manifest.modules)
        .map((m) => m.type)
        .sort()
    expect(types(ourWorker.manifest)).toEqual(types(theirWorker.manifest))
  })
})
