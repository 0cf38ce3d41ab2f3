import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createBuilder, type Plugin } from 'vite'
import { describe, expect, it } from 'vitest'
import workersVersion from '../../src/vite.js'
import { readRequest, tempDir } from '../helpers/fixture.js'
import { expectWorkerResponds } from '../helpers/workerd.js'

/**
 * As @vitejs/plugin-rsc (Waku's) does: its `buildApp` builds the Worker's environment, then writes a
 * module the bundle imports (`__vite_rsc_assets_manifest.js`) beside the written bundle, outside it.
 */
function writesBesideTheBundle(outDir: string): Plugin {
  return {
    name: 'writes-beside-the-bundle',
    resolveId: (id) =>
      id === 'virtual:late-manifest' ? { id: './late-manifest.js', external: true } : undefined,
    async buildApp(builder) {
      await builder.build(builder.environments.worker!)
      await writeFile(
        join(outDir, 'late-manifest.js'),
        "export default { written: 'after the bundle' }\n",
      )
      // Beside the bundle too, but imported by no chunk: not a module of the Worker.
      await writeFile(join(outDir, 'notes.js'), 'export default 1\n')
    },
  }
}

describe('a file a framework writes beside the bundle', () => {
  it('is a module of the Worker when a chunk imports it', async () => {
    const dir = await tempDir('written-beside')
    await mkdir(join(dir, 'src'))
    await writeFile(
      join(dir, 'src/index.js'),
      "import manifest from 'virtual:late-manifest'\nexport default { fetch: () => Response.json(manifest) }\n",
    )
    const outDir = join(dir, 'dist')
    const builder = await createBuilder({
      root: dir,
      configFile: false,
      logLevel: 'silent',
      environments: {
        worker: { consumer: 'server', build: { outDir, rollupOptions: { input: 'src/index.js' } } },
      },
      plugins: [
        writesBesideTheBundle(outDir),
        workersVersion({
          outputDir: join(dir, 'out'),
          worker: 'written-beside',
          version: { compatibility_date: '2025-01-01' },
        }),
      ],
    })
    await builder.buildApp()
    const body = await readRequest(join(dir, 'out'))
    expect(body.modules.map((m) => [m.name, m.content_type]).sort()).toEqual([
      ['index.js', 'application/javascript+module'],
      ['late-manifest.js', 'application/javascript+module'],
    ])
    await expectWorkerResponds(body, { written: 'after the bundle' })
  })
})
