/** How preview hosts are named and read back (the requests themselves are in assets.test.ts and browser.test.ts). */
import { describe, expect, it } from 'vitest'
import {
  idMatches,
  previewHostLabel,
  previewOrigin,
  splitPreviewLabel,
} from '../../src/emulator/preview-origin.js'

const ID = '8cd330e4-df00-403c-ac21-9acac20075b0'

describe('preview origins', () => {
  it('names a version or deployment by the first 8 characters of its id, and a Worker Preview by its whole name', () => {
    expect(previewOrigin('version', ID, 'my-worker', 8787)).toBe(
      'http://8cd330e4-my-worker.localhost:8787',
    )
    expect(previewOrigin('deployment', ID, 'my-worker', 8787)).toBe(
      'http://8cd330e4-my-worker.localhost:8787',
    )
    expect(previewOrigin('preview', 'feature-x', 'my-worker', 8787)).toBe(
      'http://feature-x-my-worker.localhost:8787',
    )
  })

  it('reads the label of a *.localhost host, and nothing from any other host', () => {
    expect(previewHostLabel('8cd330e4-my-worker.localhost:8787')).toBe('8cd330e4-my-worker')
    expect(previewHostLabel('8CD330E4-My-Worker.LOCALHOST.')).toBe('8cd330e4-my-worker')
    for (const host of [
      undefined,
      '127.0.0.1:8787',
      'localhost:8787',
      'a.b.localhost:1',
      'evil.example:8787',
      '8cd330e4-w.localhost.example',
    ]) {
      expect(previewHostLabel(host), String(host)).toBeUndefined()
    }
  })

  it('reads <id>-<worker> every way a hyphen allows, and matches ids by their 8-character prefix only', () => {
    expect(splitPreviewLabel('8cd330e4-my-worker')).toEqual([
      { id: '8cd330e4', worker: 'my-worker' },
      { id: '8cd330e4-my', worker: 'worker' },
    ])
    expect(splitPreviewLabel('nohyphen')).toEqual([])
    expect(idMatches('version', ID, '8cd330e4')).toBe(true)
    expect(idMatches('version', ID, '8cd330')).toBe(false)
    expect(idMatches('version', ID, '00000000')).toBe(false)
    expect(idMatches('preview', 'feature-x', 'feature-x')).toBe(true)
  })
})
