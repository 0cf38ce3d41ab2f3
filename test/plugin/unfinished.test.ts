import { stripVTControlCharacters } from 'node:util'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { build, createLogger, type Plugin } from 'vite'
import { afterEach, describe, expect, it, vi } from 'vitest'
import rollupPlugin from '../../src/rollup.js'
import vitePlugin from '../../src/vite.js'
import { lateFrameworkOf, placeholderLeft } from '../../src/modules/unfinished.js'
import { TEST_ROOT, readRequest, tempDir } from '../helpers/fixture.js'
import { posts, uploadOptions, useEmulator } from '../helpers/emulator.js'

// A framework that finishes the Worker after the bundler's last hook (Astro injects its manifest
// into the entry chunk then): the output the plugin is handed is not the Worker to ship.
const emulator = useEmulator({ autoCreateWorkers: true })
const FIXTURE = join(TEST_ROOT, 'fixtures/vite-query-imports')
const DEPLOY = 'npx unplugin-workers-version deploy'

afterEach(() => {
  vi.restoreAllMocks()
})

/** A Worker whose entry still holds Astro's manifest placeholder, as Vite hands it over inside `astro build`. */
async function unfinishedWorker(): Promise<string> {
  const dir = await tempDir('unfinished')
  await writeFile(
    join(dir, 'index.js'),
    "const manifest = '@@ASTRO_MANIFEST_REPLACE@@'\nexport default { fetch: () => new Response(manifest) }\n",
  )
  return dir
}

/** Stands in for Astro's own build plugin, by its name (the test installs no Astro). */
const astroPlugin: Plugin = { name: 'astro:build-generate' }

describe('output a framework finishes after the bundler', () => {
  it('is refused before any upload when a chunk still holds a known placeholder, naming the file and the deploy command', async () => {
    const dir = await unfinishedWorker()
    const bundle = await rollup({
      input: join(dir, 'index.js'),
      plugins: [
        rollupPlugin(
          uploadOptions(emulator(), 'unfinished-rollup', { outputDir: join(dir, 'out') }),
        ),
      ],
    })
    const written = bundle.write({ dir: join(dir, 'dist'), format: 'es' })
    await expect(written).rejects.toThrow(
      /Astro finishes the Worker after the bundler is done[\s\S]*index\.js still holds @@ASTRO_MANIFEST_REPLACE@@[\s\S]*nothing was uploaded/,
    )
    await expect(written).rejects.toThrow(DEPLOY)
    expect(posts(emulator(), 'unfinished-rollup')).toHaveLength(0)
    await expect(readRequest(join(dir, 'out'))).rejects.toThrow(/ENOENT/)
  })

  it('is refused when Astro is among the Vite plugins, even before a placeholder is seen', async () => {
    const dir = await tempDir('unfinished-vite')
    const building = build({
      root: FIXTURE,
      configFile: false,
      logLevel: 'silent',
      build: { ssr: 'src/index.js', outDir: join(dir, 'dist') },
      plugins: [
        astroPlugin,
        vitePlugin(uploadOptions(emulator(), 'unfinished-vite', { outputDir: join(dir, 'out') })),
      ],
    })
    await expect(building).rejects.toThrow(
      /Astro finishes the Worker[\s\S]*run `astro build` without uploading[\s\S]*then `npx unplugin-workers-version deploy`/,
    )
    expect(posts(emulator(), 'unfinished-vite')).toHaveLength(0)
  })

  it('in a dry run, warns once that request.json is of the unfinished output, and still prints the summary', async () => {
    const dir = await unfinishedWorker()
    const log = vi.spyOn(console, 'log')
    const warn = vi.spyOn(console, 'warn')
    const bundle = await rollup({
      input: join(dir, 'index.js'),
      plugins: [
        rollupPlugin({
          worker: 'unfinished',
          outputDir: join(dir, 'out'),
          version: { compatibility_date: '2025-01-01' },
        }),
      ],
    })
    await bundle.write({ dir: join(dir, 'dist'), format: 'es' })
    const warned = warn.mock.calls
      .map(([line]) => String(line))
      .filter((line) => line.includes('Astro'))
    expect(warned).toHaveLength(1)
    expect(warned[0]).toContain(`run \`${DEPLOY}\` after \`astro build\``)
    expect(
      log.mock.calls.some(([line]) =>
        stripVTControlCharacters(String(line)).includes('Workers version for unfinished'),
      ),
    ).toBe(true)
    expect((await readRequest(join(dir, 'out'))).main_module).toBe('index.js')
  })
})

describe('a dry run inside a framework that routes Vite’s output through its own logger', () => {
  it("prints its summary although the framework set Vite's level to 'error' (as Astro does)", async () => {
    const dir = await tempDir('framework-logger')
    const log = vi.spyOn(console, 'log')
    await build({
      root: FIXTURE,
      configFile: false,
      logLevel: 'error',
      customLogger: createLogger('error'),
      build: { ssr: 'src/index.js', outDir: join(dir, 'dist') },
      plugins: [
        vitePlugin({
          worker: 'framework-logger',
          outputDir: join(dir, 'out'),
          version: { compatibility_date: '2025-01-01' },
        }),
      ],
    })
    expect(
      log.mock.calls.some(([line]) =>
        stripVTControlCharacters(String(line)).includes('Workers version for framework-logger'),
      ),
    ).toBe(true)
  })
})

describe('which output is unfinished', () => {
  it("knows Astro by its plugins' names and its manifest placeholder", () => {
    expect(lateFrameworkOf(['vite:build', 'astro:build-generate'])?.name).toBe('Astro')
    expect(lateFrameworkOf(['vite:build', 'vite-plugin-cloudflare'])).toBeUndefined()
    const chunk = (text: string) => ({
      fileName: 'entry.mjs',
      kind: 'chunk' as const,
      format: 'esm' as const,
      contents: Buffer.from(text),
    })
    expect(placeholderLeft([chunk('const m = "@@ASTRO_MANIFEST_REPLACE@@"')])).toMatchObject({
      framework: { name: 'Astro' },
      file: 'entry.mjs',
    })
    expect(placeholderLeft([chunk('const m = {"routes":[]}')])).toBeUndefined()
    // Only chunks: an asset that mentions the marker (a page documenting Astro) is no sign.
    expect(
      placeholderLeft([
        {
          fileName: 'doc.html',
          kind: 'asset',
          contents: Buffer.from('@@ASTRO_MANIFEST_REPLACE@@'),
        },
      ]),
    ).toBeUndefined()
  })
})
