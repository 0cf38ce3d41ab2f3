// Several builds or uploads of one process at once: their lines say whose they are, and no line is
// rewritten in place (another upload's line would land after its text).
import { expect, it } from 'vitest'
import { createAssetsProgress } from '../../src/assets/progress.js'
import { linePrefix, started, workerLogger } from '../../src/report/in-flight.js'
import { createLiveLine } from '../../src/report/live-line.js'

function stream() {
  const written: string[] = []
  return { written, write: (text: string) => written.push(text), isTTY: true, columns: 80 }
}

it('prefixes every line (each line of a message too) with the Worker only while uploads or builds overlap', () => {
  const lines: string[] = []
  const logger = workerLogger(
    { info: (l) => lines.push(l), warn: (l) => lines.push(l), silent: () => false },
    'alpha',
  )
  const mine = started('upload')
  logger.info('alone')
  const other = started('upload')
  logger.info('✓ created\n  version id: 1')
  other()
  other()
  logger.warn('alone again')
  const build = started('build')
  const otherBuild = started('build')
  logger.info('two builds')
  otherBuild()
  build()
  mine()
  expect(lines).toEqual([
    'alone',
    '[alpha] ✓ created\n[alpha]   version id: 1',
    'alone again',
    '[alpha] two builds',
  ])
  expect(linePrefix('alpha')).toBe('')
})

it('draws no live line while uploads overlap, takes down one drawn before, and prefixes the assets total', () => {
  const out = stream()
  const live = createLiveLine(out)
  const first = started('upload')
  live.show('Uploading assets: 1 of 3 files')
  expect(out.written).toHaveLength(1)
  const second = started('upload')
  live.show('Uploading assets: 2 of 3 files')
  live.show('Uploading assets: 3 of 3 files')
  expect(out.written.slice(1)).toEqual(['\r\x1b[2K'])

  const assets = stream()
  const progress = createAssetsProgress({
    stream: assets,
    interactive: true,
    prefix: () => linePrefix('beta'),
  })
  progress.update({
    uploadedFiles: 1,
    filesToUpload: 2,
    uploadedBytes: 1,
    bytesToUpload: 2,
    presentFiles: 0,
    elapsedMs: 10,
  } as never)
  progress.done({ uploadedFiles: 2, totalFiles: 2, presentFiles: 0, elapsedMs: 20 } as never)
  expect(assets.written).toEqual(['[beta] Uploaded 2 of 2 files in 0.0 s\n'])
  second()
  first()
})
