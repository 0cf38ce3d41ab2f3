import { describe, expect, it } from 'vitest'
import { compileRules, importedModuleType } from '../../src/modules/content-types.js'
import {
  isRuntimeBuiltin,
  MODULE_IMPORT_SPECIFIER,
  moduleImportPath,
} from '../../src/modules/module-imports.js'

// Rolldown calls the module-import hook only for the specifiers this pattern admits: it must admit
// every one the hook acts on when no `rules` are set, or such an import would be bundled as JavaScript.
describe('the module-import hook filter', () => {
  const noRules = compileRules()
  const actsOn = (specifier: string) => {
    if (isRuntimeBuiltin(specifier)) return true
    const path = moduleImportPath(specifier)
    return path !== undefined && importedModuleType(path, noRules) !== undefined
  }
  const specifiers = [
    './a.js',
    '../lib/b.mjs',
    'hono',
    'hono/jsx',
    './add.wasm',
    './add.wasm?module',
    './add.wasm?init',
    './banner.txt',
    './banner.txt?raw',
    './page.html',
    './schema.sql',
    './blob.bin',
    './main.py',
    './style.css',
    'pkg/data.bin',
    'node:fs',
    'cloudflare:workers',
    'fs',
    './x.wasm.js',
    './x.WASM',
  ]

  it.each(specifiers)('%s: admitted exactly when the hook acts on it', (specifier) => {
    if (actsOn(specifier)) expect(MODULE_IMPORT_SPECIFIER.test(specifier)).toBe(true)
  })

  it('leaves out plain JavaScript and package imports, which are most of an app', () => {
    for (const specifier of ['./a.js', '../lib/b.mjs', 'hono', 'hono/jsx', './style.css', 'fs'])
      expect(MODULE_IMPORT_SPECIFIER.test(specifier)).toBe(false)
    expect(specifiers.filter(actsOn)).toEqual([
      './add.wasm',
      './add.wasm?module',
      './banner.txt',
      './page.html',
      './schema.sql',
      './blob.bin',
      './main.py',
      'pkg/data.bin',
      'node:fs',
      'cloudflare:workers',
    ])
  })
})
