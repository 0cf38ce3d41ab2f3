/**
 * The summary's sizes: gzip is measured for the listed code modules, not for their source maps
 * (a map's gzipped size matters only against the maps' own limit, measured when it could be reached).
 */
import { randomBytes } from 'node:crypto'
import { stripVTControlCharacters } from 'node:util'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import type { WorkerModule } from '../../src/core/types.js'
import { measureModules, summaryLines } from '../../src/report/summary.js'

// Larger than the size under which gzip runs on the main thread, so the thread pool path is the one tested.
const code = Buffer.from(`export default {}\n${'const x = 1\n'.repeat(40_000)}`)
const map = Buffer.from(
  JSON.stringify({
    version: 3,
    sources: ['src/index.js'],
    sourcesContent: [randomBytes(200_000).toString('hex')],
    mappings: 'AAAA',
  }),
)
const modules: WorkerModule[] = [
  { name: 'index.js', content_type: 'application/javascript+module', contents: code },
  { name: 'index.js.map', content_type: 'application/source-map', contents: map },
]
const plain = (line: string) => stripVTControlCharacters(line)

describe('the summary of a version with source maps', () => {
  it('gives the code its gzipped size and the map none; the total says it leaves the maps out', async () => {
    const measured = await measureModules(modules)
    const lines = summaryLines('index.js', measured, []).map(plain)
    const gzipped = gzipSync(code).byteLength
    const codeLine = lines.find((line) => line.includes('index.js ') && !line.includes('.map'))!
    const mapLine = lines.find((line) => line.includes('index.js.map'))!
    expect(measured.sizes.find((s) => s.module.name === 'index.js')!.gzipBytes).toBe(gzipped)
    expect(codeLine).toMatch(/│ gzip: /)
    expect(mapLine).not.toMatch(/gzip/)
    expect(measured.sizes.find((s) => s.module.name === 'index.js.map')!.gzipBytes).toBeUndefined()
    expect(lines.find((line) => line.includes('2 modules'))).toMatch(
      /\(gzip [\d.]+ k?B without source maps\)/,
    )
    expect(measured.mapsGzipBytes).toBeUndefined()
  })

  it('without source maps the total gzip names no exception', async () => {
    const lines = summaryLines('index.js', await measureModules(modules.slice(0, 1)), []).map(plain)
    expect(lines.find((line) => line.includes('1 module'))).toMatch(/\(gzip [\d.]+ k?B\),/)
  })
})
