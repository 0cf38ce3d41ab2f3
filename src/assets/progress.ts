/**
 * Shows an assets upload's progress. In a terminal: one live line rewritten in place (files and
 * bytes sent, files already present, rate). Elsewhere (CI logs, a pipe) nothing while it runs: a
 * log cannot rewrite a line, and lines every few seconds bury the build's own output there. At the
 * end, in both: one total line.
 *
 * Usage: `const reporter = createAssetsProgress(); uploadAssets({ …, onProgress: reporter.update });`
 * then `reporter.done(result)` on success or `reporter.stop()` on failure.
 */
import { plural } from '../core/plural.js'
import { formatBytes, formatCount, formatDuration } from '../report/format.js'
import { createLiveLine, isLiveTerminal, type LiveStream } from '../report/live-line.js'

/** How far an assets upload got; `uploadAssets` reports it after the session and every accepted bucket. */
export interface AssetsUploadProgress {
  totalFiles: number
  /** Files the API already holds (not sent). */
  presentFiles: number
  /** Files the first session asked for. */
  filesToUpload: number
  bytesToUpload: number
  uploadedFiles: number
  uploadedBytes: number
  elapsedMs: number
}

export interface AssetsUploadResult {
  /** The completion JWT: goes into the Create Version body as `assets.jwt`. Never print it. */
  jwt: string
  uploadedFiles: number
  uploadedBytes: number
  presentFiles: number
  totalFiles: number
  elapsedMs: number
}

export interface AssetsProgressOptions {
  /** Where lines go. Default `process.stderr`. */
  stream?: LiveStream
  /** Whether the live line is shown. Default: `stream` is a terminal (and stdout too, when `stream` is the default stderr). */
  interactive?: boolean
  /** Minimum gap between live redraws. Default 100 ms. */
  liveIntervalMs?: number
  now?: () => number
  /** Put before the total line (the Worker's name while uploads overlap, see report/in-flight.ts). */
  prefix?: () => string
}

export interface AssetsProgressReporter {
  update(progress: AssetsUploadProgress): void
  /** Clears the live line and writes the total. Returns the total line. */
  done(result: AssetsUploadResult): string
  /** Clears the live line without a total (the upload failed; its error says how far it got). */
  stop(): void
}

export function createAssetsProgress(options: AssetsProgressOptions = {}): AssetsProgressReporter {
  const stream = options.stream ?? process.stderr
  const interactive = options.interactive ?? isLiveTerminal(stream)
  const now = options.now ?? Date.now
  const gap = options.liveIntervalMs ?? 100
  let lastWrite = Number.NEGATIVE_INFINITY
  const live = createLiveLine(stream)

  return {
    update(progress) {
      // Nothing to send, or no terminal to redraw in: the total says it all.
      if (progress.filesToUpload === 0 || !interactive) return
      const finished = progress.uploadedFiles >= progress.filesToUpload
      if (!finished && now() - lastWrite < gap) return
      lastWrite = now()
      live.show(progressLine(progress))
    },
    done(result) {
      live.clear()
      const line = totalLine(result)
      stream.write(`${options.prefix?.() ?? ''}${line}\n`)
      return line
    },
    stop() {
      live.clear()
    },
  }
}

/** e.g. `Uploading assets: 37 of 120 files, 1.20 MB of 3.40 MB (3,880 already present), 210 files/s` */
export function progressLine(p: AssetsUploadProgress): string {
  const seconds = p.elapsedMs / 1000
  const rate =
    seconds > 0 ? ` at ${formatCount(Math.round(p.uploadedFiles / seconds))} files/s` : ''
  const present = p.presentFiles > 0 ? ` (${formatCount(p.presentFiles)} already present)` : ''
  return `Uploading assets: ${formatCount(p.uploadedFiles)} of ${plural(p.filesToUpload, 'file')}, ${formatBytes(p.uploadedBytes)} of ${formatBytes(p.bytesToUpload)}${present}${rate}`
}

/** e.g. `Uploaded 120 of 4,000 files (3,880 already present) in 2.1 s` */
export function totalLine(r: AssetsUploadResult): string {
  const present = r.presentFiles > 0 ? ` (${formatCount(r.presentFiles)} already present)` : ''
  return `Uploaded ${formatCount(r.uploadedFiles)} of ${plural(r.totalFiles, 'file')}${present} in ${formatDuration(r.elapsedMs)}`
}
