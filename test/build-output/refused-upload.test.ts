// A Vite app build whose server environment writes Build Output: what the reader refuses is
// refused before anything reaches the API, so no Worker is deployed without a binding it uses.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createBuilder, type Plugin } from 'vite'
import { describe, expect, it } from 'vitest'
import vitePlugin from '../../src/vite.js'
import { tempDir } from '../helpers/fixture.js'
import { uploadOptions, useEmulator } from '../helpers/emulator.js'

const emulator = useEmulator({ preview: false, autoCreateWorkers: true })

/** Writes the tree's JSON files beside the bundle the worker environment writes, as a Build Output producer does. */
function buildOutputConfigs(root: string, workerConfig: Record<string, unknown>): Plugin {
  return {
    name: 'test:build-output-configs',
    async writeBundle() {
      const version = join(root, '.cloudflare/output/v0')
      await mkdir(join(version, 'workers/default'), { recursive: true })
      await writeFile(
        join(version, 'config.json'),
        JSON.stringify({ buildContext: { isPreview: false, mode: 'production' } }),
      )
      await writeFile(
        join(version, 'workers/default/worker.config.json'),
        JSON.stringify(workerConfig),
      )
    },
  }
}

async function deploy(workerConfig: Record<string, unknown>): Promise<unknown> {
  const root = await tempDir('build-output-refused')
  await writeFile(
    join(root, 'index.js'),
    'export default { fetch(request, env) { return Response.json(Object.keys(env)) } }',
  )
  const builder = await createBuilder({
    root,
    configFile: false,
    logLevel: 'silent',
    environments: {
      worker: {
        consumer: 'server',
        build: {
          outDir: '.cloudflare/output/v0/workers/default/bundle',
          rollupOptions: { input: join(root, 'index.js'), output: { entryFileNames: 'index.js' } },
        },
      },
    },
    builder: { buildApp: async (app) => void (await app.build(app.environments.worker!)) },
    plugins: [
      buildOutputConfigs(root, workerConfig),
      vitePlugin(
        uploadOptions(emulator(), 'bo-app', {
          version: undefined,
          gitAnnotations: false,
          promote: true,
          preflight: false,
        }) as never,
      ),
    ],
  })
  return builder.buildApp().then(
    () => undefined,
    (error: unknown) => error,
  )
}

const writes = (from: number) =>
  emulator()
    .requests.slice(from)
    .filter((r) => r.method !== 'GET')
    .map((r) => `${r.method} ${r.path}`)
const manifest = { type: 'partial', mainModule: 'index.js', modules: {} }

describe('Build Output the reader does not fully understand is never uploaded', () => {
  it('an unknown binding type: the build fails naming it, and nothing reaches the API', async () => {
    const before = emulator().requests.length
    const error = await deploy({
      name: 'bo-future-db',
      compatibilityDate: '2025-01-01',
      env: { DB: { type: 'future_database', id: 'x' } },
      manifest,
    })
    expect(String(error)).toMatch(
      /env\.DB \(type "future_database"\) is not part of the format this plugin reads, so nothing was sent/,
    )
    // Only the reads made while the bundler worked: nothing written.
    expect(writes(before)).toEqual([])
    expect(emulator().versions('bo-app')).toHaveLength(0)
  })

  it('an unknown top-level field: the build fails naming it, and nothing reaches the API', async () => {
    const before = emulator().requests.length
    const error = await deploy({
      name: 'bo-new-field',
      compatibilityDate: '2025-01-01',
      futureSetting: { on: true },
      manifest,
    })
    expect(String(error)).toMatch(/futureSetting is not part of the format this plugin reads/)
    expect(writes(before)).toEqual([])
  })

  it('a tree it understands is uploaded (the same build, nothing unknown)', async () => {
    const error = await deploy({
      name: 'bo-known',
      compatibilityDate: '2025-01-01',
      env: { GREETING: { type: 'text', value: 'hi' } },
      manifest,
    })
    expect(error).toBeUndefined()
    expect(emulator().versions('bo-app')).toHaveLength(1)
    expect(emulator().versions('bo-app')[0]!.request.bindings).toEqual([
      { type: 'plain_text', name: 'GREETING', text: 'hi' },
    ])
  })
})
