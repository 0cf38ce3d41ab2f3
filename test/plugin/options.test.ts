import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as esbuild from 'esbuild'
import { rollup } from 'rollup'
import { build as viteBuild } from 'vite'
import { afterEach, describe, expect, it, vi } from 'vitest'
import esbuildPlugin from '../../src/esbuild.js'
import rollupPlugin from '../../src/rollup.js'
import vitePlugin from '../../src/vite.js'
import {
  EXPECTED_RESPONSE,
  TEST_ROOT,
  WORKER_FIXTURE,
  readRequest,
  tempDir,
} from '../helpers/fixture.js'
import { posts, uploadOptions, useEmulator } from '../helpers/emulator.js'

const WRANGLER_WORKER = join(TEST_ROOT, 'fixtures/wrangler-worker')
const emulator = useEmulator({ autoCreateWorkers: true })

afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

/** A Vite SSR build of the wrangler fixture with the given plugin options. */
async function buildWranglerWorker(options: Record<string, unknown>) {
  const dir = await tempDir('wrangler')
  const outputDir = join(dir, '.workers-version')
  await viteBuild({
    root: WRANGLER_WORKER,
    configFile: false,
    logLevel: 'silent',
    build: { ssr: 'src/index.js', outDir: join(dir, 'dist') },
    plugins: [vitePlugin({ outputDir, root: WRANGLER_WORKER, ...options } as never)],
  })
  return { dir, outputDir }
}

describe('options at the plugin', () => {
  it('rejects bad options before any build work, naming each one', async () => {
    const transform = vi.fn()
    const build = () =>
      rollup({
        input: join(WORKER_FIXTURE, 'src/index.js'),
        plugins: [
          rollupPlugin({
            sourcemap: false,
            outputDir: 3,
            version: {
              compatibility_date: '2025-13-01',
              bindings: [{ type: 'kv_namespace', name: 'KV' }],
            },
          } as never),
          { name: 'spy', transform },
        ],
      })
    // Thrown when the plugin is created: before the bundler reads a single file.
    expect(build).toThrow(
      /sourcemap: is not an option[\s\S]*outputDir: expected a non-empty string/,
    )
    expect(transform).not.toHaveBeenCalled()
    expect(() =>
      rollupPlugin({
        version: {
          compatibility_date: '2025-13-01',
          bindings: [{ type: 'kv_namespace', name: 'KV' }],
        },
      }),
    ).toThrow(
      /version\.compatibility_date[\s\S]*version\.bindings\[0\]\.namespace_id: required for kv_namespace/,
    )
  })

  it('reads wrangler.jsonc: name, vars, bindings and required secrets', async () => {
    const { outputDir } = await buildWranglerWorker({ wrangler: true })
    const body = await readRequest(outputDir)
    expect(body.compatibility_date).toBe('2025-01-01')
    expect(body.bindings).toEqual([
      { type: 'plain_text', name: 'GREETING', text: 'hello' },
      { type: 'json', name: 'LIMITS', json: { max: 3 } },
      { type: 'kv_namespace', name: 'CACHE', namespace_id: '0123456789abcdef0123456789abcdef' },
      { type: 'inherit', name: 'API_KEY' },
    ])
  })

  it('selects env.staging with CLOUDFLARE_ENV and lets plugin options override the file', async () => {
    vi.stubEnv('CLOUDFLARE_ENV', 'staging')
    const { outputDir } = await buildWranglerWorker({
      wrangler: true,
      version: { compatibility_flags: ['nodejs_compat'] },
    })
    const body = await readRequest(outputDir)
    expect(body.compatibility_flags).toEqual(['nodejs_compat'])
    expect(body.bindings).toContainEqual({
      type: 'plain_text',
      name: 'GREETING',
      text: 'hello from staging',
    })
    expect(body.bindings).toContainEqual({
      type: 'kv_namespace',
      name: 'CACHE',
      namespace_id: 'fedcba9876543210fedcba9876543210',
    })
  })

  it('uploads as the wrangler name with -env, sends fromEnv secrets, then keeps them with inherit', async () => {
    vi.stubEnv('CLOUDFLARE_ENV', 'staging')
    const target = {
      ...uploadOptions(emulator(), 'ignored'),
      worker: undefined,
      version: undefined,
    }
    vi.stubEnv('API_KEY', 'first-secret-value')
    await buildWranglerWorker({ wrangler: true, ...target, secrets: { fromEnv: ['API_KEY'] } })
    vi.stubEnv('API_KEY', '')
    // The first build set the value from the environment (fromEnv wins over the config's
    // `secrets.required`); the second does not know it, so `secrets.required` inherits it.
    await buildWranglerWorker({ wrangler: true, ...target })
    const versions = emulator().versions('greeter-staging')
    expect(versions).toHaveLength(2)
    expect(versions[1]!.bindings).toContainEqual({
      type: 'secret_text',
      name: 'API_KEY',
      text: 'first-secret-value',
    })
    expect(versions[0]!.request.bindings).toContainEqual({ type: 'inherit', name: 'API_KEY' })
    const response = await fetch(versions[0]!.urls[0]!)
    expect(await response.json()).toEqual({
      greeting: 'hello from staging',
      max: 1,
      apiKey: 'first-secret-value',
      cached: 'yes',
    })
  })

  it('writes worker-env.d.ts for the bindings', async () => {
    await buildWranglerWorker({
      wrangler: true,
      types: join('..', '..', '.tmp', 'types-out', 'worker-env.d.ts'),
    })
    const types = await readFile(join(TEST_ROOT, '.tmp/types-out/worker-env.d.ts'), 'utf8')
    expect(types).toMatch(
      /interface Env \{[\s\S]*GREETING: string[\s\S]*LIMITS: \{ max: 3 \}[\s\S]*CACHE: KVNamespace[\s\S]*API_KEY: string/,
    )
  })

  it('uploads from esbuild with upload: true', async () => {
    const dir = await tempDir('esbuild-upload')
    const outputDir = join(dir, '.workers-version')
    await esbuild.build({
      entryPoints: [join(WORKER_FIXTURE, 'src/index.js')],
      bundle: true,
      splitting: true,
      format: 'esm',
      sourcemap: true,
      outdir: join(dir, 'dist'),
      logLevel: 'silent',
      plugins: [
        esbuildPlugin({ outputDir, ...uploadOptions(emulator(), 'esbuild-upload') } as never),
      ],
    })
    expect(posts(emulator(), 'esbuild-upload')).toHaveLength(1)
    const [version] = emulator().versions('esbuild-upload')
    expect(JSON.parse(await readFile(join(outputDir, 'result.json'), 'utf8')).result.id).toBe(
      version!.id,
    )
    expect(await (await fetch(version!.urls[0]!)).json()).toEqual(EXPECTED_RESPONSE)
  })
})
