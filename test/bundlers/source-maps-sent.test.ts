/**
 * Which source maps go with the version, and that a map not sent is never read. The wrangler
 * config's `upload_source_maps` decides as it does for wrangler 4.164: `false` sends none, `true`
 * sends them, unset sends the maps each chunk links by a `sourceMappingURL` comment. The same build
 * output is deployed by `wrangler deploy` (no_bundle) and the map modules compared.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { rollup, type Plugin } from 'rollup'
import { build as viteBuild } from 'vite'
import { describe, expect, it, vi } from 'vitest'
import rollupPlugin from '../../src/rollup.js'
import vitePlugin from '../../src/vite.js'
import { readRequest, tempDir } from '../helpers/fixture.js'
import { useEmulator } from '../helpers/emulator.js'
import { runWrangler } from '../helpers/wrangler.js'

const emulator = useEmulator({ preview: false })

type SourceMapOutput = true | 'hidden' | 'inline'

/** A Worker with a lazy chunk, and a wrangler config that wrangler can deploy from its output as it is. */
async function project(name: string, uploadSourceMaps: boolean | undefined): Promise<string> {
  const root = await tempDir(`maps-${name}`)
  await mkdir(join(root, 'src'))
  await writeFile(
    join(root, 'src/index.js'),
    "export default { async fetch() { const { lazy } = await import('./lazy.js'); return new Response(lazy()) } }\n",
  )
  await writeFile(join(root, 'src/lazy.js'), "export const lazy = () => 'loaded lazily'\n")
  const config = {
    name,
    main: 'dist/index.js',
    no_bundle: true,
    compatibility_date: '2025-06-01',
    rules: [{ type: 'ESModule', globs: ['**/*.js'] }],
    ...(uploadSourceMaps !== undefined && { upload_source_maps: uploadSourceMaps }),
  }
  await writeFile(join(root, 'wrangler.json'), JSON.stringify(config))
  return root
}

/**
 * Placed before the plugin: from the bundle's last hook on (Rollup has written the files by then),
 * every chunk's `map` is a getter that records who read it.
 */
/** The plugin's own source: a read counts only when one of its frames made it. */
const PLUGIN_SOURCE = fileURLToPath(new URL('../../src/', import.meta.url))

function recordMapReads(reads: string[]): Plugin {
  return {
    name: 'record-map-reads',
    writeBundle(_options, bundle) {
      for (const item of Object.values(bundle)) {
        if (item.type !== 'chunk') continue
        const map = item.map
        Object.defineProperty(item, 'map', {
          configurable: true,
          get: () => {
            reads.push(item.fileName)
            return map
          },
        })
      }
    },
  }
}

async function buildWithRollup(
  root: string,
  sourcemap: SourceMapOutput,
  options: Record<string, unknown> = {},
): Promise<{ maps: string[]; reads: string[]; warnings: string[] }> {
  const reads: string[] = []
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  try {
    const bundle = await rollup({
      input: join(root, 'src/index.js'),
      logLevel: 'silent',
      plugins: [
        recordMapReads(reads),
        rollupPlugin({
          root,
          outputDir: join(root, '.workers-version'),
          logLevel: 'warn',
          ...options,
        }),
      ],
    })
    await bundle.write({
      dir: join(root, 'dist'),
      format: 'es',
      sourcemap,
      chunkFileNames: '[name].js',
    })
    await bundle.close()
    const body = await readRequest(join(root, '.workers-version'))
    return {
      maps: mapNames(body.modules),
      reads,
      warnings: warn.mock.calls.map((call) => String(call[0])),
    }
  } finally {
    warn.mockRestore()
  }
}

const mapNames = (modules: Array<{ name: string; content_type: string }>) =>
  modules
    .filter((m) => m.content_type === 'application/source-map')
    .map((m) => m.name)
    .sort()

describe('source maps are sent as wrangler sends them', () => {
  it.each([
    ['unset', true, undefined, ['index.js.map', 'lazy.js.map']],
    ['unset', 'hidden', undefined, []],
    ['false', true, false, []],
    ['true', true, true, ['index.js.map', 'lazy.js.map']],
  ] as const)(
    'upload_source_maps %s, output sourcemap %s: the same maps as wrangler deploy',
    async (label, sourcemap, uploadSourceMaps, expected) => {
      const name = `maps-${label}-${sourcemap === true ? 'linked' : sourcemap}`
      const root = await project(name, uploadSourceMaps)
      const ours = await buildWithRollup(root, sourcemap)
      expect(ours.maps).toEqual(expected)
      // A map that is not sent is never read from the bundle.
      if (expected.length === 0) expect(ours.reads).toEqual([])
      expect(ours.warnings.join('\n')).not.toMatch(/upload_source_maps/)

      await runWrangler(emulator(), ['deploy'], root)
      const [theirs] = emulator().versions(name)
      expect(mapNames(theirs!.modules)).toEqual(expected)
    },
  )

  it('upload_source_maps: true sends the maps no chunk links (hidden), which the bundle holds; the sourcemaps option wins over the config', async () => {
    const root = await project('maps-true-hidden', true)
    expect((await buildWithRollup(root, 'hidden')).maps).toEqual(['index.js.map', 'lazy.js.map'])
    const off = await buildWithRollup(root, true, { sourcemaps: false })
    expect(off.maps).toEqual([])
    expect(off.reads).toEqual([])
  })

  it('a plain Vite build whose maps are not sent never reads chunk.map', async () => {
    const root = await project('maps-vite', undefined)
    // Vite 8 bundles with Rolldown, which hands each plugin hook its own chunk objects, so a
    // property probe set by another plugin never sees this plugin's reads. Rolldown's `chunk.map`
    // parses the map's JSON text on every read: a parse of a source map with the plugin's source
    // on the stack is the plugin reading it.
    const reads: string[] = []
    const parse = JSON.parse.bind(JSON)
    const spy = vi
      .spyOn(JSON, 'parse')
      .mockImplementation((text: string, reviver?: Parameters<typeof JSON.parse>[1]) => {
        if (typeof text === 'string' && text.startsWith('{"version":3')) {
          const limit = Error.stackTraceLimit
          Error.stackTraceLimit = 100
          const stack = new Error().stack ?? ''
          Error.stackTraceLimit = limit
          if (stack.includes(PLUGIN_SOURCE)) reads.push(text.slice(0, 40))
        }
        return parse(text, reviver)
      })
    try {
      await viteBuild({
        root,
        configFile: false,
        logLevel: 'silent',
        build: { ssr: 'src/index.js', outDir: join(root, 'dist'), sourcemap: 'hidden' },
        plugins: [vitePlugin({ outputDir: join(root, '.workers-version') })],
      })
    } finally {
      spy.mockRestore()
    }
    const body = await readRequest(join(root, '.workers-version'))
    expect(body.modules.map((m) => m.name)).toContain('index.js')
    expect(mapNames(body.modules)).toEqual([])
    expect(reads).toEqual([])
  })

  it('a Vite build that sends its maps sends the map files as emitted, with only file and sources rewritten', async () => {
    const root = await project('maps-vite-sent', undefined)
    await viteBuild({
      root,
      configFile: false,
      logLevel: 'silent',
      build: {
        ssr: 'src/index.js',
        outDir: join(root, 'dist'),
        sourcemap: true,
        rollupOptions: { output: { chunkFileNames: '[name].js' } },
      },
      plugins: [
        {
          // Marks the emitted map files only (a step that post-processes them, as wrangler reads them).
          name: 'mark-map-files',
          generateBundle(_options, bundle) {
            for (const item of Object.values(bundle)) {
              if (item.type === 'asset' && item.fileName.endsWith('.map'))
                item.source = JSON.stringify({ ...JSON.parse(String(item.source)), x_emitted: 1 })
            }
          },
        },
        vitePlugin({ outputDir: join(root, '.workers-version') }),
      ],
    })
    const body = await readRequest(join(root, '.workers-version'))
    expect(mapNames(body.modules)).toEqual(['index.js.map', 'lazy.js.map'])
    for (const chunk of ['index.js', 'lazy.js']) {
      const sent = body.modules.find((m) => m.name === `${chunk}.map`)!
      const emitted = JSON.parse(await readFile(join(root, 'dist', `${chunk}.map`), 'utf8'))
      expect(emitted.x_emitted).toBe(1)
      expect(JSON.parse(Buffer.from(sent.content_base64, 'base64').toString('utf8'))).toEqual({
        ...emitted,
        file: chunk,
        sources: emitted.sources.map((source: string) => source.replace(/^(?:\.\.?\/)+/, '')),
      })
    }
  })
})
