import { describe, expect, it } from 'vitest'
import { assertNoBareImports } from '../../src/modules/bare-imports.js'
import { WorkersVersionError } from '../../src/core/errors.js'
import type { WorkerModule } from '../../src/core/types.js'

const esm = (name: string, code: string): WorkerModule => ({
  name,
  content_type: 'application/javascript+module',
  contents: Buffer.from(code),
})

async function refused(modules: WorkerModule[]): Promise<string> {
  try {
    await assertNoBareImports(modules, 'rollup')
  } catch (error) {
    expect(error).toBeInstanceOf(WorkersVersionError)
    return (error as WorkersVersionError).message
  }
  throw new Error('expected the modules to be refused')
}

describe('assertNoBareImports', () => {
  // Every way bundler output spells an import of a package: the quick scan must let each reach the lexer.
  it.each([
    ['a named import', 'import { a } from "left-pad"; export default a'],
    ['minified', 'import{a as b}from"left-pad";export default b'],
    ['a side-effect import', 'import"left-pad";export default {}'],
    ['a re-export', 'export * from "left-pad"'],
    ['a dynamic import', 'export default { fetch: () => import( "left-pad" ) }'],
    ['single quotes', "import a from 'left-pad';export default a"],
    [
      'a scoped package on the next line',
      'import x from\n  "@scope/left-pad/sub"\nexport default x',
    ],
  ])('refuses %s, naming the module and the package', async (_what, code) => {
    const message = await refused([esm('index.js', code)])
    expect(message).toMatch(/index\.js imports "(@scope\/)?left-pad(\/sub)?"/)
    expect(message).toContain('@rollup/plugin-node-resolve')
  })

  it('lets through what the runtime provides, relative imports, and package names that are only text', async () => {
    const code = [
      'import { env } from "cloudflare:workers"',
      'import { Buffer } from "node:buffer"',
      'import fs from "fs"',
      'import { a } from "./chunk.js"',
      'import("../lazy.js")',
      // Not imports: a string and a comment that look like them. The lexer, which the scan
      // called in, decides.
      'const hint = \'import x from "react"\' // from "react"',
      'export default { fetch: () => new Response(hint + a + env + Buffer + fs) }',
    ].join('\n')
    await expect(assertNoBareImports([esm('index.js', code)], 'rollup')).resolves.toBeUndefined()
  })

  it('checks ES modules only', async () => {
    const cjs: WorkerModule = {
      name: 'legacy.cjs',
      content_type: 'application/javascript',
      contents: Buffer.from('const x = require("left-pad")'),
    }
    await expect(assertNoBareImports([cjs], 'rollup')).resolves.toBeUndefined()
  })
})
