import { describe, expect, it } from 'vitest'
import { compileRules } from '../../src/modules/content-types.js'
import { WorkersVersionError } from '../../src/core/errors.js'
import { moduleNameProblem, toWorkerModules } from '../../src/modules/index.js'
import type { OutputFile } from '../../src/core/types.js'

const chunk = (fileName: string, extra: Partial<OutputFile> = {}): OutputFile => ({
  fileName,
  kind: 'chunk',
  format: 'esm',
  contents: Buffer.from('export {}'),
  ...extra,
})

function modulesError(files: OutputFile[]): WorkersVersionError {
  try {
    toWorkerModules(files, { bundler: 'vite', matchRule: compileRules(), sourcemaps: false })
  } catch (error) {
    expect(error).toBeInstanceOf(WorkersVersionError)
    return error as WorkersVersionError
  }
  throw new Error('expected toWorkerModules to fail')
}

describe('module names are checked before upload', () => {
  it.each([
    ['chunks\\a.js', /backslash/],
    ['/abs.js', /starts with "\/"/],
    ['a/./b.js', /"\." or "\.\." segment/],
    ['a/../b.js', /"\." or "\.\." segment/],
    ['./a.js', /"\." or "\.\." segment/],
    ['a//b.js', /empty segment/],
    ['dir/', /empty segment/],
    ['', /is empty/],
  ])('%j: %s', (name, reason) => {
    expect(moduleNameProblem(name)).toMatch(reason)
  })

  it('accepts ordinary names', () => {
    for (const name of [
      'index.js',
      'chunks/a-1b2c.js',
      'assets/x.wasm',
      '.well-known/a.txt',
      'a..b.js',
    ])
      expect(moduleNameProblem(name)).toBeUndefined()
  })

  it('reports every bad name at once, with the other module problems, in one INVALID_MODULES error', () => {
    const error = modulesError([
      chunk('index.js', {
        isEntry: true,
        contents: Buffer.from(
          "import data from './data.xyz'\nexport default { fetch: () => new Response(data) }",
        ),
      }),
      chunk('chunks\\win.js'),
      chunk('a//b.js'),
      chunk('x/../y.js'),
      chunk('/abs.js'),
      { fileName: 'data.xyz', kind: 'asset', contents: Buffer.from('x') },
    ])
    expect(error.code).toBe('INVALID_MODULES')
    expect(error.message).toMatch(
      /A chunk imports this file, which has no known Workers module type:\n {2}- data\.xyz/,
    )
    expect(error.message).toContain('These module names cannot be uploaded')
    for (const name of [
      '"chunks\\\\win.js": contains a backslash',
      '"a//b.js": has an empty segment',
      '"x/../y.js": has a "." or ".." segment',
      '"/abs.js": starts with "/"',
    ]) {
      expect(error.message).toContain(name)
    }
  })

  it('names the output file when the module name is relative to the main module’s directory', () => {
    const error = modulesError([
      chunk('worker/index.js', { isEntry: true }),
      chunk('worker/a//b.js'),
    ])
    expect(error.message).toContain('"a//b.js" (worker/a//b.js): has an empty segment')
  })
})
