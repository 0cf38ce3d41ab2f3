import { mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeFileAtomic } from '../../src/report/write-atomic.js'
import { tempDir } from '../helpers/fixture.js'

describe('writeFileAtomic', () => {
  it('replaces a large file whole: a reader of the old one keeps reading it, and nothing is left beside', async () => {
    const dir = await tempDir('atomic')
    const file = join(dir, 'request.json')
    const old = Buffer.alloc(3 * 1024 * 1024, 'a')
    await writeFile(file, old)
    const reader = await open(file, 'r')
    writeFileAtomic(file, ['{"new":', Buffer.from('true'), '}\n'])
    expect(await readFile(file, 'utf8')).toBe('{"new":true}\n')
    const held = Buffer.alloc(old.byteLength)
    await reader.read(held, 0, held.byteLength, 0)
    await reader.close()
    expect(held.equals(old)).toBe(true)
    expect(await readdir(dir)).toEqual(['request.json'])
  })

  it('writes a new file, and on failure leaves no partial file', async () => {
    const dir = await tempDir('atomic')
    writeFileAtomic(join(dir, 'out/result.json'), '{}\n')
    expect(await readFile(join(dir, 'out/result.json'), 'utf8')).toBe('{}\n')
    await mkdir(join(dir, 'taken'))
    expect(() => writeFileAtomic(join(dir, 'taken'), 'x')).toThrow()
    expect(await readdir(dir)).toEqual(['out', 'taken'])
  })
})
