import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { rolldown } from 'rolldown'
import { describe, expect, it } from 'vitest'
import rollupPlugin from '../../src/rollup.js'
import rolldownPlugin from '../../src/rolldown.js'
import {
  WORKER_FIXTURE,
  assertMapsBelongToChunks,
  moduleShape,
  moduleText,
  readRequest,
  tempDir,
} from '../helpers/fixture.js'
import { expectWorkerResponds } from '../helpers/workerd.js'

const version = { compatibility_date: '2025-01-01', compatibility_flags: ['nodejs_compat'] }

const bundlers = {
  rollup: { bundle: rollup, plugin: rollupPlugin, esm: 'es', cjsHint: "set `output.format: 'es'`" },
  rolldown: {
    bundle: rolldown,
    plugin: rolldownPlugin,
    esm: 'esm',
    cjsHint: "set `output.format: 'esm'`",
  },
} as const

describe.each(Object.keys(bundlers) as Array<keyof typeof bundlers>)('%s', (name) => {
  const { bundle: bundler, plugin, esm, cjsHint } = bundlers[name]
  async function build(
    input: string | Record<string, string>,
    output: Record<string, unknown>,
    options: Record<string, unknown> = {},
  ) {
    const dir = await tempDir(name)
    const outputDir = join(dir, '.workers-version')
    const bundle = await bundler({
      input,
      logLevel: 'silent',
      plugins: [plugin({ outputDir, worker: 'test', version, ...options })],
    } as never)
    try {
      await bundle.write({
        dir: join(dir, 'dist'),
        format: esm,
        sourcemap: true,
        ...output,
      } as never)
    } finally {
      await bundle.close()
    }
    return { dir, outputDir }
  }

  it('maps every chunk, import and map onto modules, and the version runs', async () => {
    const { outputDir } = await build(join(WORKER_FIXTURE, 'src/index.js'), {})
    const body = await readRequest(outputDir)
    expect(body.main_module).toBe('index.js')
    expect(body.modules[0]!.name).toBe('index.js')
    expect(moduleShape(body)).toEqual([
      ['assets/add-[hash].wasm', 'application/wasm'],
      ['assets/blob-[hash].bin', 'application/octet-stream'],
      ['assets/page-[hash].html', 'text/plain'],
      ['index.js', 'application/javascript+module'],
      ['index.js.map', 'application/source-map'],
      ['lazy-[hash].js', 'application/javascript+module'],
      ['lazy-[hash].js.map', 'application/source-map'],
    ])
    expect(body.compatibility_flags).toEqual(['nodejs_compat'])
    expect(assertMapsBelongToChunks(body)).toBe(2)
    const main = moduleText(body, 'index.js')
    // Runtime built-ins and non-JS modules stay imports, now with real relative paths.
    expect(main).toMatch(/from ['"]cloudflare:workers['"]/)
    expect(main).toMatch(/from ['"]\.\/assets\/add-[\w-]+\.wasm['"]/)
    expect(main).toContain('//# sourceMappingURL=index.js.map')
    await expectWorkerResponds(body)
  })

  it('sends hidden and inline maps, which exist only in the bundle, with sourcemaps: true, and not by default (no chunk links them to a file, so wrangler sends none)', async () => {
    for (const sourcemap of ['hidden', 'inline'] as const) {
      const { outputDir } = await build(
        join(WORKER_FIXTURE, 'src/index.js'),
        { sourcemap },
        { sourcemaps: true },
      )
      expect(assertMapsBelongToChunks(await readRequest(outputDir)), sourcemap).toBe(2)
      const byDefault = await build(join(WORKER_FIXTURE, 'src/index.js'), { sourcemap })
      expect(
        (await readRequest(byDefault.outputDir)).modules.filter((m) => m.name.endsWith('.map')),
        sourcemap,
      ).toEqual([])
    }
  })

  it("rewrites module imports in chunks without source maps (the bundlers' default), and the version runs", async () => {
    const { outputDir } = await build(join(WORKER_FIXTURE, 'src/index.js'), { sourcemap: false })
    const body = await readRequest(outputDir)
    expect(body.modules.some((m) => m.name.endsWith('.map'))).toBe(false)
    const main = moduleText(body, 'index.js')
    expect(main).toMatch(/from ['"]\.\/assets\/add-[\w-]+\.wasm['"]/)
    expect(main).toMatch(/from ['"]\.\/assets\/page-[\w-]+\.html['"]/)
    expect(main).not.toContain('__WORKERS_MODULE_')
    await expectWorkerResponds(body)
  })

  it('leaves maps out with sourcemaps: false', async () => {
    const { outputDir } = await build(
      join(WORKER_FIXTURE, 'src/index.js'),
      {},
      { sourcemaps: false },
    )
    const body = await readRequest(outputDir)
    expect(body.modules.some((m) => m.name.endsWith('.map'))).toBe(false)
  })

  it('picks the main module among several entries with mainModule, and lists candidates without it', async () => {
    const input = {
      index: join(WORKER_FIXTURE, 'src/index.js'),
      other: join(WORKER_FIXTURE, 'src/shout.js'),
    }
    await expect(build(input, {})).rejects.toThrow(
      /2 entry chunks; set the `mainModule` option[\s\S]*index\.js \(entry "index"\)[\s\S]*other\.js \(entry "other"\)/,
    )
    const { outputDir } = await build(input, {}, { mainModule: 'index' })
    const body = await readRequest(outputDir)
    expect(body.main_module).toBe('index.js')
    expect(body.modules.map((m) => m.name)).toContain('other.js')
  })

  it('imports files that path-based `rules` make modules', async () => {
    const project = await tempDir(`${name}-rules`)
    await mkdir(join(project, 'src/docs'), { recursive: true })
    await writeFile(join(project, 'src/docs/notes.md'), '# notes\n')
    await writeFile(
      join(project, 'src/index.js'),
      "import notes from './docs/notes.md'\nexport default { fetch: () => Response.json(notes) }\n",
    )
    const { outputDir } = await build(
      join(project, 'src/index.js'),
      {},
      { root: project, rules: [{ test: 'src/docs/*.md', type: 'text/plain' }] },
    )
    const body = await readRequest(outputDir)
    expect(moduleShape(body)).toEqual([
      ['assets/notes-[hash].md', 'text/plain'],
      ['index.js', 'application/javascript+module'],
      ['index.js.map', 'application/source-map'],
    ])
    await expectWorkerResponds(body, '# notes\n')
  })

  it("refuses chunks outside the main module's directory, naming them", async () => {
    const output = { entryFileNames: 'worker/[name].js', chunkFileNames: 'chunks/[name].js' }
    await expect(build(join(WORKER_FIXTURE, 'src/index.js'), output)).rejects.toThrow(
      /outside the main module's directory "worker"[\s\S]*- chunks\/lazy\.js/,
    )
  })

  it('refuses a CommonJS main module and says which output option to change', async () => {
    await expect(build(join(WORKER_FIXTURE, 'src/shout.js'), { format: 'cjs' })).rejects.toThrow(
      `a Worker's main module must be an ES module: ${cjsHint}`,
    )
  })
})
