import { readdir, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { build } from 'vite'
import { afterEach, describe, expect, it, vi } from 'vitest'
import rollupPlugin from '../../src/rollup.js'
import vitePlugin from '../../src/vite.js'
import { readRequest, tempDir } from '../helpers/fixture.js'
import { expectWorkerResponds } from '../helpers/workerd.js'

afterEach(() => {
  vi.restoreAllMocks()
})

/** A Worker whose entry imports a stylesheet, as a React Router 7 server entry does. */
async function workerWithStylesheet(dir: string): Promise<string> {
  await mkdir(join(dir, 'src'), { recursive: true })
  await writeFile(join(dir, 'src/style.css'), 'body { color: rebeccapurple }\n')
  await writeFile(
    join(dir, 'src/index.js'),
    `import './style.css'\nexport default { fetch: () => Response.json({ ok: true }) }\n`,
  )
  return dir
}

const version = { compatibility_date: '2025-01-01' }

describe('files of no Workers module type', () => {
  it('leaves out a stylesheet the server build emits and no chunk imports, with one summary line, and the version runs', async () => {
    const root = await workerWithStylesheet(await tempDir('unimported-css'))
    const outputDir = join(root, '.workers-version')
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined)
    // React Router's server build: Vite's SSR build with its assets emitted.
    await build({
      root,
      configFile: false,
      logLevel: 'silent',
      build: { ssr: 'src/index.js', ssrEmitAssets: true, outDir: join(root, 'dist') },
      plugins: [
        vitePlugin({ worker: 'css-worker', outputDir, logLevel: 'info', version } as never),
      ],
    })
    const emitted = (await readdir(join(root, 'dist/assets'))).filter((name) =>
      name.endsWith('.css'),
    )
    expect(emitted).toHaveLength(1)
    const body = await readRequest(outputDir)
    expect(body.modules.map((m) => m.name)).toEqual(['index.js'])
    const lines = log.mock.calls.map(([line]) => String(line))
    const leftOut = lines.filter((line) => line.includes('left out'))
    expect(leftOut).toHaveLength(1)
    expect(leftOut[0]).toContain(
      `left out 1 file (no Workers module type, and no chunk imports it): assets/${emitted[0]}`,
    )
    await expectWorkerResponds(body, { ok: true })
  })

  it('refuses a stylesheet a chunk imports, suggesting `type: false` first; with that rule the build goes on', async () => {
    const root = await workerWithStylesheet(await tempDir('imported-css'))
    // A bundler setup that keeps the import and emits the file beside the chunk.
    const keepCssImport = {
      name: 'keep-css-import',
      resolveId: (source: string) =>
        source === './style.css' ? { id: './assets/style.css', external: true } : null,
      buildStart(this: { emitFile(file: object): string }) {
        this.emitFile({ type: 'asset', fileName: 'assets/style.css', source: 'body {}' })
      },
    }
    const run = async (rules?: unknown) => {
      const bundle = await rollup({
        input: join(root, 'src/index.js'),
        logLevel: 'silent',
        plugins: [
          keepCssImport,
          rollupPlugin({
            worker: 'css-worker',
            outputDir: join(root, '.workers-version'),
            logLevel: 'silent',
            version,
            rules,
          } as never),
        ],
      })
      try {
        await bundle.write({ dir: join(root, 'dist'), format: 'es' })
      } finally {
        await bundle.close()
      }
    }
    await expect(run()).rejects.toThrow(
      /A chunk imports this file, which has no known Workers module type:\n {2}- assets\/style\.css\n[^\n]*leave it out with a `rules` entry \{ test: '\*\.css', type: false \}/,
    )
    await run([{ test: '*.css', type: false }])
    expect((await readRequest(join(root, '.workers-version'))).modules.map((m) => m.name)).toEqual([
      'index.js',
    ])
  })
})
