/**
 * Builds and uploads in flight in this process. A service may run many builds with the plugin at
 * once (each its own bundler call, options and credentials), and one build of several Workers
 * uploads them side by side; their lines all go to the one stdout and stderr. Each line is written
 * whole (one `console.log` call), so lines never mix mid-line, but a reader must still tell whose
 * line it is: while more than one build completes (from the bundler's output to the end of its
 * upload) or more than one upload is in flight, every line they print starts with the Worker's
 * name in brackets. A single build prints as it always has.
 *
 * These counts are shared by every build of the process on purpose: they are what "more than one" means.
 */
import type { Logger } from './logger.js'

const counts = { build: 0, upload: 0 }

/** Counts a build's completion or an upload as in flight until the returned function is called (idempotent). */
export function started(kind: keyof typeof counts): () => void {
  counts[kind]++
  let ended = false
  return () => {
    if (ended) return
    ended = true
    counts[kind]--
  }
}

/** Whether builds or uploads overlap: lines must then say whose they are. */
export function uploadsOverlap(): boolean {
  return counts.build > 1 || counts.upload > 1
}

/** `[worker] ` while uploads overlap, else nothing: decided per line, as uploads start and end. */
export function linePrefix(worker: string): string {
  return uploadsOverlap() ? `[${worker}] ` : ''
}

/** `logger`, each line prefixed with the Worker's name while uploads overlap (each line of a multi-line message too). */
export function workerLogger(logger: Logger, worker: string): Logger {
  const prefixed = (text: string) => {
    const prefix = linePrefix(worker)
    return prefix === '' ? text : text.replace(/^/gm, prefix)
  }
  return {
    info: (line) => logger.info(prefixed(line)),
    warn: (line) => logger.warn(prefixed(line)),
    silent: logger.silent,
  }
}
