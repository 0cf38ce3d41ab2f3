/**
 * One line of a terminal rewritten in place: the assets upload's progress, a request's retries.
 * Only where a person watches: the stream and stdout (where the bundler's own lines go) both
 * terminals. In a CI log or a pipe a line cannot be rewritten, so callers print a final line there.
 * Nor while uploads overlap (several builds in one process): another upload's line would be
 * written after this one's text, on the same terminal line; each upload's final lines still come.
 */
import { uploadsOverlap } from './in-flight.js'

export interface LiveStream {
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
}

export interface LiveLine {
  /** Replaces the line shown (cut to the terminal's width). */
  show(line: string): void
  /** Removes the line, if one is shown, so the next output starts on a clean line. */
  clear(): void
}

/** Whether a live line belongs on `stream`: it is a terminal, and so is stdout when `stream` is the process's stderr. */
export function isLiveTerminal(stream: LiveStream = process.stderr): boolean {
  return stream.isTTY === true && (stream !== process.stderr || process.stdout.isTTY === true)
}

export function createLiveLine(stream: LiveStream = process.stderr): LiveLine {
  let shown = false
  const clear = () => {
    if (shown) stream.write('\r\x1b[2K')
    shown = false
  }
  return {
    show(line) {
      // A line shown before another upload started is taken down at its next update.
      if (uploadsOverlap()) return clear()
      const width = stream.columns ?? 120
      stream.write(`\r\x1b[2K${line.length > width - 1 ? line.slice(0, width - 2) + '…' : line}`)
      shown = true
    },
    clear,
  }
}
