import { cp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { cloudflare } from '@cloudflare/vite-plugin'
import { build, createBuilder, type Plugin } from 'vite'
import { afterEach, describe, expect, it, vi } from 'vitest'
import vitePlugin from '../../src/vite.js'
import { TEST_ROOT, readRequest, tempDir } from '../helpers/fixture.js'
import { projectUploadOptions, useEmulator } from '../helpers/emulator.js'
import { deployViteApp } from '../helpers/vite-app.js'

const emulator = useEmulator()
const FIXTURE = join(TEST_ROOT, 'fixtures/vite-generated-config')

afterEach(() => {
  vi.restoreAllMocks()
})

/** What a framework passes to the Cloudflare plugin instead of a wrangler config file. */
const GENERATED = {
  name: 'generated-worker',
  main: './worker/index.js',
  compatibility_date: '2025-01-01',
  compatibility_flags: ['nodejs_compat'],
  durable_objects: { bindings: [{ name: 'COUNTER', class_name: 'Counter' }] },
  exports: { Counter: { type: 'durable-object' as const, storage: 'sqlite' as const } },
}

/** A second entry chunk in the Worker's environment, as frameworks emit one beside the server entry. */
function extraEntry(): Plugin {
  return {
    name: 'extra-entry',
    applyToEnvironment: (environment) => environment.name === 'generated_worker',
    buildStart() {
      this.emitFile({
        type: 'chunk',
        id: join(this.environment.config.root, 'worker/extra.js'),
        fileName: 'extra.js',
      })
    },
  }
}

/** `vite build --mode deploy` of the project, its config generated, with this plugin given no Worker nor version settings. */
async function deploy(root: string, options: Record<string, unknown>): Promise<string[]> {
  const warned: string[] = []
  vi.spyOn(console, 'warn').mockImplementation((line: unknown) => void warned.push(String(line)))
  const builder = await createBuilder({
    root,
    mode: 'deploy',
    configFile: false,
    logLevel: 'silent',
    plugins: [
      cloudflare({ config: GENERATED, inspectorPort: false, persistState: false }),
      extraEntry(),
      vitePlugin(options as never),
    ],
  })
  await builder.buildApp()
  return warned
}

describe('a Worker whose config the build generates', () => {
  it('takes the name, main, compatibility date and flags and Durable Object exports from it, the same in a dry run and an upload', async () => {
    const root = await tempDir('generated-config')
    await cp(FIXTURE, root, { recursive: true })

    const dryRun = await deploy(
      root,
      projectUploadOptions(emulator(), { upload: false, outputDir: join(root, 'dry-run') }),
    )
    const planned = await readRequest(join(root, 'dry-run'))

    const warned = await deploy(
      root,
      projectUploadOptions(emulator(), { outputDir: join(root, 'deploy') }),
    )
    const [version] = emulator().versions('generated-worker')
    expect(version).toBeDefined()
    const sent = await readRequest(join(root, 'deploy'))
    for (const body of [planned, sent, version!.request as typeof sent]) {
      expect(body.main_module).toBe('index.js')
      expect(body.compatibility_date).toBe('2025-01-01')
      expect(body.compatibility_flags).toEqual(['nodejs_compat'])
      expect(body.exports).toEqual({ Counter: { type: 'durable-object', storage: 'sqlite' } })
    }
    // No warning contradicts what was sent: no missing date, no dropped exports.
    for (const lines of [dryRun, warned]) {
      expect(lines.filter((line) => /compatibility_date|exports/.test(line))).toEqual([])
    }
    expect(await (await fetch(version!.urls[0]!)).json()).toEqual({ counter: 'object' })
  })

  it('with Build Output from cloudflare.config.ts and no wrangler config: the name and date are found in a deploy as in a dry run', async () => {
    const root = await tempDir('generated-build-output')
    await cp(join(TEST_ROOT, 'fixtures/vite-fullstack'), root, {
      recursive: true,
      filter: (source) => !source.includes('/dist'),
    })
    await rm(join(root, 'aux'), { recursive: true })
    await rm(join(root, 'vite.config.js'))
    await rm(join(root, 'wrangler.jsonc'))
    await cp(
      join(TEST_ROOT, 'fixtures/vite-build-output/cloudflare.config.ts'),
      join(root, 'cloudflare.config.ts'),
    )
    const warned: string[] = []
    vi.spyOn(console, 'warn').mockImplementation((line: unknown) => void warned.push(String(line)))
    const cloudflareOptions = {
      experimental: { newConfig: { cfBuildOutput: true, types: { generate: false } } },
    }

    await deployViteApp(
      root,
      cloudflareOptions,
      projectUploadOptions(emulator(), { upload: false, outputDir: join(root, 'dry-run') }),
    )
    expect((await readRequest(join(root, 'dry-run'))).compatibility_date).toBe('2025-01-01')
    await deployViteApp(
      root,
      cloudflareOptions,
      projectUploadOptions(emulator(), { outputDir: join(root, 'deploy') }),
    )

    const [version] = emulator().versions('fullstack-bo')
    expect(version!.request.compatibility_date).toBe('2025-01-01')
    expect(warned.filter((line) => line.includes('compatibility_date'))).toEqual([])
  })

  it('when the Cloudflare plugin generates no config after all, an upload without a name is still refused, before anything is sent', async () => {
    const dir = await tempDir('generated-none')
    const before = emulator().requests.length
    const building = build({
      root: join(TEST_ROOT, 'fixtures/vite-query-imports'),
      configFile: false,
      logLevel: 'silent',
      build: { ssr: 'src/index.js', outDir: join(dir, 'dist') },
      // Named as the Cloudflare plugin's are, but generating nothing.
      plugins: [
        { name: 'vite-plugin-cloudflare:stand-in' },
        vitePlugin(
          projectUploadOptions(emulator(), { upload: true, outputDir: join(dir, 'out') }) as never,
        ),
      ],
    })
    await expect(building).rejects.toThrow(/missing:\n {2}- the Worker: set the `worker` option/)
    expect(emulator().requests.slice(before)).toEqual([])
  })
})
