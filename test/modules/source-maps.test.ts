import { build } from 'esbuild'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { compileRules } from '../../src/modules/content-types.js'
import { WorkersVersionError } from '../../src/core/errors.js'
import { toWorkerModules } from '../../src/modules/index.js'
import { inlineSourceMap, parseSourceMap, rewriteSourceMap } from '../../src/modules/source-maps.js'
import type { OutputFile } from '../../src/core/types.js'

const entry = (extra: Partial<OutputFile>): OutputFile => ({
  fileName: 'worker/index.js',
  kind: 'chunk',
  format: 'esm',
  isEntry: true,
  contents: Buffer.from('export default {}'),
  ...extra,
})

function modulesError(files: OutputFile[]): WorkersVersionError {
  try {
    toWorkerModules(files, { bundler: 'rollup', matchRule: compileRules(), sourcemaps: true })
  } catch (error) {
    expect(error).toBeInstanceOf(WorkersVersionError)
    return error as WorkersVersionError
  }
  throw new Error('expected toWorkerModules to fail')
}

describe('broken source maps give an error naming the file, never a SyntaxError or TypeError', () => {
  it('a Rollup chunk whose map object has no `sources`', () => {
    // What a plugin returning `{ mappings: '' }` as its map leaves on the chunk.
    const error = modulesError([entry({ map: { version: 3, mappings: '' } as never })])
    expect(error.code).toBe('INVALID_SOURCE_MAP')
    expect(error.message).toMatch(
      /The source map of chunk "worker\/index\.js" has no `sources` array/,
    )
    expect(error.message).toMatch(/`sourcemaps: false`/)
  })

  it('an esbuild inline map that is not valid JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inline-map-'))
    try {
      await writeFile(
        join(dir, 'index.js'),
        'export default { fetch() { return new Response("ok") } }\n',
      )
      const out = await build({
        entryPoints: [join(dir, 'index.js')],
        bundle: true,
        format: 'esm',
        sourcemap: 'inline',
        write: false,
        outdir: dir,
      })
      const code = out.outputFiles[0]!.text
      expect(inlineSourceMap(code)).toMatchObject({ version: 3 }) // the real one decodes
      // The same comment with its JSON cut short (a truncated or hand-edited file).
      const broken = code.replace(
        /base64,([A-Za-z0-9+/=]+)/,
        (_m, b64: string) =>
          `base64,${Buffer.from(Buffer.from(b64, 'base64').toString().slice(0, 30)).toString('base64')}`,
      )
      const map = inlineSourceMap(broken)
      expect(typeof map).toBe('string')
      const error = modulesError([entry({ contents: Buffer.from(broken), map })])
      expect(error.code).toBe('INVALID_SOURCE_MAP')
      expect(error.message).toMatch(
        /The source map of chunk "worker\/index\.js" is not valid JSON \(/,
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a corrupt .map file on disk, named with its chunk', () => {
    const map = parseSourceMap('{"version":3,"sources":["a.js"],"mappings":"AAAA"') // cut off
    expect(typeof map).toBe('string')
    const error = modulesError([entry({ map, mapFileName: 'worker/index.js.map' })])
    expect(error.message).toMatch(
      /The source map "worker\/index\.js\.map" of chunk "worker\/index\.js" is not valid JSON/,
    )
  })

  it.each([
    ['null', /is null, not a source map object/],
    ['[1,2]', /is an array, not a source map object/],
    ['{"version":3,"sources":"a.js","mappings":""}', /`sources` is not an array/],
    ['{"version":3,"sources":["a.js",7],"mappings":""}', /`sources\[1\]` is number, not a string/],
  ])('map text %s', (text, reason) => {
    expect(() => rewriteSourceMap(text, 'index.js')).toThrow(reason)
  })

  it('still rewrites a good map (BOM tolerated): file named, relative prefixes stripped', () => {
    const text =
      '\uFEFF{"version":3,"sources":["../src/a.js",null],"sourceRoot":"./","mappings":"AAAA"}'
    expect(JSON.parse(rewriteSourceMap(text, 'index.js'))).toEqual({
      version: 3,
      file: 'index.js',
      sources: ['src/a.js', null],
      sourceRoot: '',
      mappings: 'AAAA',
    })
  })

  it('changes only `file`, `sources` and `sourceRoot` in the text: the other members go on as written', () => {
    // Pretty-printed, with quotes, backslashes and a `"sources"` look-alike inside strings.
    const text = [
      '{',
      '  "version": 3.0,',
      '  "x_note": "a \\"quoted\\" \\\\ \\"sources\\": [] }",',
      '  "sources": [ "../src/a.js", "./b.js" ],',
      '  "sourcesContent": ["const s = \\"}\\"; // ]\\n", null],',
      '  "sourceRoot": "../",',
      '  "nested": { "file": "not this one", "sources": [[1], {"a": "]"}] },',
      '  "mappings": "AAAA;AACA"',
      '}',
    ].join('\n')
    const out = rewriteSourceMap(text, 'worker/index.js')
    expect(out).toBe(
      [
        '{"file":"worker/index.js",',
        '  "version": 3.0,',
        '  "x_note": "a \\"quoted\\" \\\\ \\"sources\\": [] }",',
        '  "sources": ["src/a.js","b.js"],',
        '  "sourcesContent": ["const s = \\"}\\"; // ]\\n", null],',
        '  "sourceRoot": "",',
        '  "nested": { "file": "not this one", "sources": [[1], {"a": "]"}] },',
        '  "mappings": "AAAA;AACA"',
        '}',
      ].join('\n'),
    )
    // The same map as serialising the parsed one would give.
    const parsed = JSON.parse(text) as Record<string, unknown>
    expect(JSON.parse(out)).toEqual({
      ...parsed,
      file: 'worker/index.js',
      sources: ['src/a.js', 'b.js'],
      sourceRoot: '',
    })
  })

  it('a member named twice is read as JSON.parse reads it (the last one wins)', () => {
    const text =
      '{"version":3,"sources":["../x.js"],"file":"a","sources":["../y.js"],"mappings":""}'
    expect(JSON.parse(rewriteSourceMap(text, 'index.js'))).toEqual({
      version: 3,
      file: 'index.js',
      sources: ['y.js'],
      mappings: '',
    })
  })

  it('reports broken maps together with other module problems', () => {
    const error = modulesError([
      entry({ map: '{oops', contents: Buffer.from('export { default } from "./data.xyz"') }),
      { fileName: 'worker/data.xyz', kind: 'asset', contents: Buffer.from('x') },
    ])
    expect(error.code).toBe('INVALID_MODULES')
    expect(error.message).toMatch(/no known Workers module type/)
    expect(error.message).toMatch(/source map of chunk "worker\/index\.js" is not valid JSON/)
  })
})
