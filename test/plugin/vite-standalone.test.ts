import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { build } from 'vite'
import { afterEach, describe, expect, it, vi } from 'vitest'
import rollupPlugin from '../../src/rollup.js'
import vitePlugin from '../../src/vite.js'
import { TEST_ROOT, readRequest, tempDir } from '../helpers/fixture.js'
import { uploadOptions, useEmulator } from '../helpers/emulator.js'

const ENV_WORKER = join(TEST_ROOT, 'fixtures/env-worker')
const HONO_WORKER = join(TEST_ROOT, 'fixtures/hono-worker')
const emulator = useEmulator()

afterEach(() => {
  vi.unstubAllEnvs()
})

/** The README's standalone recipe: `build.ssr` and the plugin, nothing else. */
async function buildStandalone(
  root: string,
  mode: string | undefined,
  options: Record<string, unknown>,
) {
  const dir = await tempDir('vite-standalone')
  const outputDir = join(dir, '.workers-version')
  await build({
    root,
    mode,
    configFile: false,
    logLevel: 'silent',
    build: { ssr: 'src/index.js', outDir: join(dir, 'dist') },
    plugins: [vitePlugin({ outputDir, ...options } as never)],
  })
  return { dir, outputDir }
}

describe('a standalone Vite Worker', () => {
  it('builds the same code with --mode deploy as with vite build: production env files, MODE, PROD, DEV', async () => {
    // As the Vite CLI runs a build (vitest runs with NODE_ENV=test).
    vi.stubEnv('NODE_ENV', 'production')
    const plain = await buildStandalone(ENV_WORKER, undefined, {
      worker: 'env-worker',
      version: { compatibility_date: '2025-01-01' },
    })
    const deploy = await buildStandalone(
      ENV_WORKER,
      'deploy',
      uploadOptions(emulator(), 'env-worker', { upload: undefined }),
    )
    const plainCode = await readFile(join(plain.dir, 'dist/index.js'))
    const deployCode = await readFile(join(deploy.dir, 'dist/index.js'))
    expect(deployCode.equals(plainCode)).toBe(true)
    const [version] = emulator().versions('env-worker')
    expect(await (await fetch(version!.urls[0]!)).json()).toEqual({
      MODE: 'production',
      PROD: true,
      DEV: false,
      origin: 'https://production.example',
    })
  })

  it('bundles npm dependencies for workerd, uploads, and the version answers', async () => {
    await buildStandalone(HONO_WORKER, undefined, uploadOptions(emulator(), 'hono-worker'))
    const [version] = emulator().versions('hono-worker')
    const response = await fetch(new URL('api/hello', version!.urls[0]!))
    expect(await response.json()).toEqual({ hello: 'from hono' })
  })

  it('refuses output that imports an unbundled package, naming the module, the package and the fix', async () => {
    const dir = await tempDir('rollup-external')
    const outputDir = join(dir, '.workers-version')
    const bundle = await rollup({
      input: join(HONO_WORKER, 'src/index.js'),
      external: ['hono'],
      plugins: [rollupPlugin({ outputDir, worker: 'hono-external' })],
    })
    await expect(bundle.write({ dir: join(dir, 'dist'), format: 'es' })).rejects.toThrow(
      /index\.js imports "hono"[\s\S]*@rollup\/plugin-node-resolve/,
    )
    await expect(readRequest(outputDir)).rejects.toThrow(/ENOENT/)
  })
})
