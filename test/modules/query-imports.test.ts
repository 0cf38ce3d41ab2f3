import { describe, expect, it } from 'vitest'
import { moduleImportPath } from '../../src/modules/module-imports.js'

describe('moduleImportPath: which imports module rules may take', () => {
  it('takes plain imports as they are', () => {
    expect(moduleImportPath('./page.html')).toBe('./page.html')
    expect(moduleImportPath('pkg/data.bin')).toBe('pkg/data.bin')
  })

  it("leaves an import with any query or hash to the bundler (Vite's ?raw, ?url, ?inline, ?worker)", () => {
    for (const query of [
      '?raw',
      '?url',
      '?inline',
      '?worker',
      '?worker&url',
      '?init',
      '?v=3',
      '#x',
    ]) {
      expect(moduleImportPath(`./page.html${query}`)).toBeUndefined()
    }
    expect(moduleImportPath('./add.wasm?init')).toBeUndefined()
    expect(moduleImportPath('./add.wasm?url')).toBeUndefined()
  })

  it("takes wrangler's own `.wasm?module` suffix as the .wasm file", () => {
    expect(moduleImportPath('./add.wasm?module')).toBe('./add.wasm')
    expect(moduleImportPath('./page.html?module')).toBeUndefined()
  })
})
