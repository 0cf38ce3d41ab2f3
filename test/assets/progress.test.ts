import { describe, expect, it, vi } from 'vitest'
import { createAssetsProgress, progressLine, totalLine } from '../../src/assets/progress.js'
import type { AssetsUploadProgress } from '../../src/assets/progress.js'

function sink(isTTY: boolean) {
  const writes: string[] = []
  return { writes, stream: { isTTY, columns: 200, write: (text: string) => writes.push(text) } }
}

const step = (uploadedFiles: number, elapsedMs: number): AssetsUploadProgress => ({
  totalFiles: 4000,
  presentFiles: 3880,
  filesToUpload: 120,
  bytesToUpload: 120 * 2048,
  uploadedFiles,
  uploadedBytes: uploadedFiles * 2048,
  elapsedMs,
})

const result = {
  jwt: 'x',
  uploadedFiles: 120,
  uploadedBytes: 0,
  presentFiles: 3880,
  totalFiles: 4000,
  elapsedMs: 2100,
}

describe('assets progress', () => {
  it('formats the live line and the total', () => {
    expect(progressLine(step(37, 2000))).toBe(
      'Uploading assets: 37 of 120 files, 75.78 kB of 245.76 kB (3,880 already present) at 19 files/s',
    )
    expect(totalLine(result)).toBe('Uploaded 120 of 4,000 files (3,880 already present) in 2.1 s')
    expect(totalLine({ ...result, presentFiles: 0, totalFiles: 120, elapsedMs: 75_000 })).toBe(
      'Uploaded 120 of 120 files in 1 min 15 s',
    )
  })

  it('rewrites one line in place in a terminal, then replaces it with the total', () => {
    let clock = 0
    const { writes, stream } = sink(true)
    const reporter = createAssetsProgress({ stream, now: () => clock })
    reporter.update(step(0, 0))
    clock += 50
    reporter.update(step(4, 50)) // within 100 ms of the last redraw: skipped
    clock += 100
    reporter.update(step(8, 150))
    clock += 10
    reporter.update(step(120, 160)) // the last one always shows
    expect(reporter.done(result)).toBe(totalLine(result))
    expect(writes).toHaveLength(5)
    expect(writes.slice(0, 3).every((w) => w.startsWith('\r\x1b[2K') && !w.includes('\n'))).toBe(
      true,
    )
    expect(writes[3]).toBe('\r\x1b[2K')
    expect(writes[4]).toBe(`${totalLine(result)}\n`)
  })

  it('writes only the total when the stream is not a terminal (CI logs, a pipe)', () => {
    let clock = 0
    const { writes, stream } = sink(false)
    const reporter = createAssetsProgress({ stream, now: () => clock })
    for (let i = 0; i <= 120; i += 4) {
      reporter.update(step(i, clock))
      clock += 250 // 30 updates over 7.5 s
    }
    reporter.done(result)
    expect(writes).toEqual([`${totalLine(result)}\n`])
  })

  it('stays quiet while nothing needs sending and on failure', () => {
    const { writes, stream } = sink(true)
    const reporter = createAssetsProgress({ stream })
    reporter.update({ ...step(0, 0), filesToUpload: 0, presentFiles: 4000 })
    reporter.stop()
    expect(writes).toEqual([])
  })
})

describe('assets progress on the process streams', () => {
  it('shows no live line when stdout is not a terminal, even on a terminal stderr', () => {
    const writes: string[] = []
    const saved = { err: process.stderr.isTTY, out: process.stdout.isTTY }
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      writes.push(String(text))
      return true
    })
    try {
      process.stderr.isTTY = true
      process.stdout.isTTY = false
      const reporter = createAssetsProgress()
      reporter.update(step(120, 100))
      reporter.done(result)
      process.stdout.isTTY = true
      const live = createAssetsProgress()
      live.update(step(120, 100))
      live.done(result)
    } finally {
      spy.mockRestore()
      process.stderr.isTTY = saved.err
      process.stdout.isTTY = saved.out
    }
    expect(writes[0]).toBe(`${totalLine(result)}\n`)
    expect(writes[1]!.startsWith('\r\x1b[2KUploading assets: 120 of 120 files')).toBe(true)
    expect(writes.slice(2)).toEqual(['\r\x1b[2K', `${totalLine(result)}\n`])
  })
})
