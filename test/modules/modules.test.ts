import { describe, expect, it } from 'vitest'
import { compileRules } from '../../src/modules/content-types.js'
import { toWorkerModules, UNIMPORTED_REASON, type ModulesOptions } from '../../src/modules/index.js'
import type { OutputFile } from '../../src/core/types.js'

const bytes = (text: string) => Buffer.from(text)
const chunk = (fileName: string, extra: Partial<OutputFile> = {}): OutputFile => ({
  fileName,
  kind: 'chunk',
  format: 'esm',
  contents: bytes('export {}'),
  ...extra,
})
const asset = (fileName: string): OutputFile => ({ fileName, kind: 'asset', contents: bytes('x') })
const options = (extra: Partial<ModulesOptions> = {}): ModulesOptions => ({
  bundler: 'rollup',
  matchRule: compileRules(),
  sourcemaps: true,
  ...extra,
})
const types = (files: OutputFile[], extra?: Partial<ModulesOptions>) =>
  Object.fromEntries(
    toWorkerModules(files, options(extra)).modules.map((m) => [m.name, m.content_type]),
  )

describe('toWorkerModules', () => {
  it('gives every kind of file its content type', () => {
    expect(
      types([
        chunk('worker/index.js', { isEntry: true }),
        chunk('worker/chunks/a.js'),
        chunk('worker/legacy.cjs'),
        chunk('worker/other.js', { format: 'cjs' }),
        asset('worker/add.wasm'),
        asset('worker/page.html'),
        asset('worker/notes.txt'),
        asset('worker/schema.sql'),
        asset('worker/blob.bin'),
        asset('worker/main.py'),
        asset('worker/_headers'),
        asset('worker/_redirects'),
        asset('worker/lib.mjs'),
      ]),
    ).toEqual({
      'index.js': 'application/javascript+module',
      'chunks/a.js': 'application/javascript+module',
      'legacy.cjs': 'application/javascript',
      'other.js': 'application/javascript',
      'add.wasm': 'application/wasm',
      'page.html': 'text/plain',
      'notes.txt': 'text/plain',
      'schema.sql': 'text/plain',
      'blob.bin': 'application/octet-stream',
      'main.py': 'text/x-python',
      _headers: 'text/plain',
      _redirects: 'text/plain',
      'lib.mjs': 'application/javascript+module',
    })
  })

  it('lets rules add and override types, later rules winning, and exclude files', () => {
    const rules = compileRules([
      { test: '*.md', type: 'text/plain' },
      { test: /\.dat$/, type: 'application/octet-stream' },
      { test: ['**/*.html'], type: 'application/octet-stream' },
      { test: 'skip/**', type: false },
      { test: '*.md', type: 'application/octet-stream' },
    ])
    const result = toWorkerModules(
      [
        chunk('index.js', { isEntry: true }),
        asset('docs/readme.md'),
        asset('a.dat'),
        asset('page.html'),
        asset('skip/x.bin'),
      ],
      options({ matchRule: rules }),
    )
    expect(Object.fromEntries(result.modules.map((m) => [m.name, m.content_type]))).toEqual({
      'index.js': 'application/javascript+module',
      'docs/readme.md': 'application/octet-stream',
      'a.dat': 'application/octet-stream',
      'page.html': 'application/octet-stream',
    })
    expect(result.excluded).toEqual([{ fileName: 'skip/x.bin', reason: 'excluded by a rule' }])
  })

  it('leaves out build metadata and says why', () => {
    const result = toWorkerModules(
      [
        chunk('index.js', { isEntry: true }),
        asset('.vite/manifest.json'),
        asset('.assetsignore'),
        asset('wrangler.json'),
      ],
      options(),
    )
    expect(result.modules.map((m) => m.name)).toEqual(['index.js'])
    expect(result.excluded.map((e) => e.fileName)).toEqual([
      '.vite/manifest.json',
      '.assetsignore',
      'wrangler.json',
    ])
  })

  it('attaches maps from the chunk, drops the duplicate map file, and rewrites file and sources', () => {
    const map = {
      version: 3,
      file: 'x',
      sources: ['../../src/index.ts', './util.ts', 'lib.ts'],
      mappings: 'AAAA',
      sourcesContent: ['a', 'b', 'c'],
    }
    const result = toWorkerModules(
      [chunk('out/index.js', { isEntry: true, map }), asset('out/index.js.map')],
      options(),
    )
    expect(result.modules.map((m) => [m.name, m.content_type])).toEqual([
      ['index.js', 'application/javascript+module'],
      ['index.js.map', 'application/source-map'],
    ])
    const rewritten = JSON.parse(Buffer.from(result.modules[1]!.contents).toString())
    expect(rewritten).toEqual({
      ...map,
      file: 'index.js',
      sources: ['src/index.ts', 'util.ts', 'lib.ts'],
    })
  })

  it('names the main module and puts it first', () => {
    const result = toWorkerModules(
      [chunk('dep.js'), chunk('index.js', { isEntry: true })],
      options(),
    )
    expect(result.mainModule).toBe('index.js')
    expect(result.modules[0]!.name).toBe('index.js')
  })

  it('reports unknown binary types, files outside the main directory and duplicate names together', () => {
    const run = () =>
      toWorkerModules(
        [
          chunk('worker/index.js', { isEntry: true }),
          asset('worker/font.woff2'),
          asset('worker/a.txt'),
        ],
        options({
          matchRule: compileRules([{ test: '*.woff2', type: 'application/octet-stream' }]),
        }),
      )
    expect(run).not.toThrow()
    const importsFont = bytes(
      'import font from "./font.woff2?inline"\nexport default { fetch: () => new Response(font) }',
    )
    expect(() =>
      toWorkerModules(
        [
          chunk('worker/index.js', { isEntry: true, contents: importsFont }),
          asset('worker/font.woff2'),
          asset('shared/x.wasm'),
        ],
        options(),
      ),
    ).toThrow(
      /A chunk imports this file, which has no known Workers module type:\n {2}- worker\/font\.woff2\nIf the Worker never loads it at run time[^\n]*leave it out with a `rules` entry \{ test: '\*\.woff2', type: false \}[\s\S]*outside the main module's directory "worker"[\s\S]*shared\/x\.wasm/,
    )
    const duplicate = { ...chunk('index.js.map'), kind: 'asset' as const }
    expect(() =>
      toWorkerModules(
        [
          chunk('index.js', {
            isEntry: true,
            map: '{"version":3,"sources":[],"mappings":""}',
            mapFileName: 'maps/index.js.map',
          }),
          { ...duplicate, fileName: 'index.js.map', contents: bytes('{}') },
        ],
        options({ matchRule: compileRules([{ test: '*.map', type: 'application/source-map' }]) }),
      ),
    ).toThrow(/same module name: "index\.js\.map"/)
  })

  it('leaves out files of no module type that no chunk imports, and refuses the ones a chunk imports', () => {
    const main = (code: string) =>
      chunk('server/index.js', { isEntry: true, contents: bytes(code) })
    const css = asset('server/assets/server-build-1a2b.css')
    const result = toWorkerModules(
      [
        main('export default { fetch: () => new Response("/assets/root.css") }'),
        css,
        asset('server/assets/b.woff'),
      ],
      options(),
    )
    expect(result.modules.map((m) => m.name)).toEqual(['index.js'])
    expect(result.excluded).toEqual([
      { fileName: 'server/assets/server-build-1a2b.css', reason: UNIMPORTED_REASON },
      { fileName: 'server/assets/b.woff', reason: UNIMPORTED_REASON },
    ])
    for (const code of [
      'import "./assets/server-build-1a2b.css"',
      "const s = await import('./assets/server-build-1a2b.css')",
      'const s = require("./assets/server-build-1a2b.css")',
    ]) {
      expect(() => toWorkerModules([main(code), css], options())).toThrow(
        /A chunk imports this file[\s\S]*type: false/,
      )
    }
    // A chunk in a subdirectory reaches it with "../"; two files are named in the plural.
    const nested = chunk('server/chunks/page.js', {
      contents: bytes(
        'import a from "../assets/server-build-1a2b.css"; import b from "../assets/b.woff"',
      ),
    })
    expect(() =>
      toWorkerModules([main('export {}'), nested, css, asset('server/assets/b.woff')], options()),
    ).toThrow(/these 2 files, which have[\s\S]*leave them out/)
  })

  it('requires mainModule among several entries and names the candidates', () => {
    const files = [
      chunk('a.js', { isEntry: true, entryName: 'a' }),
      chunk('b.js', { isEntry: true, entryName: 'b' }),
    ]
    expect(() => toWorkerModules(files, options())).toThrow(
      /2 entry chunks; set the `mainModule` option[\s\S]*- a\.js \(entry "a"\)\n {2}- b\.js \(entry "b"\)/,
    )
    expect(toWorkerModules(files, options({ mainModule: 'b' })).mainModule).toBe('b.js')
    expect(toWorkerModules(files, options({ mainModule: './a.js' })).mainModule).toBe('a.js')
    expect(() => toWorkerModules(files, options({ mainModule: 'c' }))).toThrow(
      /mainModule "c" matches no entry chunk/,
    )
  })

  it('refuses a CommonJS main module with the option to change for each bundler', () => {
    expect(() =>
      toWorkerModules(
        [chunk('index.js', { isEntry: true, format: 'cjs' })],
        options({ bundler: 'esbuild' }),
      ),
    ).toThrow(/main module "index\.js" is "application\/javascript".*set `format: 'esm'`/)
    expect(() =>
      toWorkerModules([chunk('index.cjs', { isEntry: true })], options({ bundler: 'webpack' })),
    ).toThrow(/experiments\.outputModule/)
  })
})
