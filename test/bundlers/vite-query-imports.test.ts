import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build, type Plugin } from 'vite'
import { describe, expect, it } from 'vitest'
import workersVersion from '../../src/vite.js'
import { TEST_ROOT, readRequest, tempDir } from '../helpers/fixture.js'
import { expectWorkerResponds } from '../helpers/workerd.js'

const FIXTURE = join(TEST_ROOT, 'fixtures/vite-query-imports')

/** A standalone Worker build of the fixture, with the plugins `pluginsFor` its directory gives; returns that directory. */
async function buildWorker(pluginsFor: (dir: string) => Plugin[]): Promise<string> {
  const dir = await tempDir('vite-query-imports')
  const plugins = pluginsFor(dir)
  await build({
    root: FIXTURE,
    configFile: false,
    logLevel: 'silent',
    // The plugin sets this target for a standalone Worker; the build without it sets it too, so that
    // the two differ by the plugin's import handling alone.
    build: { ssr: 'src/index.js', outDir: join(dir, 'dist'), target: 'es2024' },
    plugins,
  })
  return dir
}

describe("Vite's query imports", () => {
  it('?raw and ?url imports of files a module rule matches (.html) are built as Vite builds them without the plugin', async () => {
    const without = await buildWorker(() => [])
    const withPlugin = await buildWorker(
      (dir) =>
        [
          workersVersion({
            outputDir: join(dir, '.workers-version'),
            worker: 'query-imports',
            version: { compatibility_date: '2025-01-01' },
          }),
        ].flat() as Plugin[],
    )

    // Same files, same chunk text: `.html?raw` inlined as Vite inlines it, not a Text module of its own.
    expect(await readdir(join(withPlugin, 'dist'), { recursive: true })).toEqual(
      await readdir(join(without, 'dist'), { recursive: true }),
    )
    const chunk = await readFile(join(withPlugin, 'dist/index.js'), 'utf8')
    expect(chunk).toBe(await readFile(join(without, 'dist/index.js'), 'utf8'))
    expect(chunk).toContain('A page read as text')

    // And the version answers with the text and the URLs Vite gave them.
    const body = await readRequest(join(withPlugin, '.workers-version'))
    expect(body.modules.map((m) => m.name)).toEqual(['index.js'])
    // Vite gives the page a URL of its own and inlines the small notes file as a data URL.
    const pageUrl = /"(\/assets\/page-[^"]+\.html)"/.exec(chunk)?.[1]
    expect(pageUrl).toBeDefined()
    const notes = await readFile(join(FIXTURE, 'src/notes.md'), 'utf8')
    await expectWorkerResponds(body, {
      page: await readFile(join(FIXTURE, 'src/page.html'), 'utf8'),
      notes,
      pageUrl,
      notesUrl: `data:text/markdown;base64,${Buffer.from(notes).toString('base64')}`,
    })
  })
})
