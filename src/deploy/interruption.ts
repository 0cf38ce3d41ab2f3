/**
 * Ctrl-C (SIGINT) or a CI's cancel (SIGTERM) in the middle of an upload: the request in flight
 * may already have done its work on the server (a version created, traffic moved) while the
 * process ends without a word. While a step that changes the server is in flight, a signal gets
 * one line saying which step and what may now exist, and a `result.json` recording it (the next
 * run reports that record, see report/files.ts); then the signal takes its usual course.
 */
import pc from 'picocolors'
import { quoteValue } from '../core/printable.js'
import { writeInterruptedResult } from '../report/files.js'
import type { Logger } from '../report/logger.js'

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']

export interface InterruptionWatch {
  /** `step` is in flight (`Create Version`); `mayExist` says what it may leave on the server. */
  during(step: string, mayExist: string): void
  /** Nothing that changes the server is in flight. */
  settled(): void
  /** Stops listening. Idempotent. */
  close(): void
}

export interface InterruptionTarget {
  outputDir: string
  worker: string
  /** Read when the signal comes: it may be looked up from the token after the watch starts. */
  accountId: () => string
}

/**
 * The watches open in this process. A service running many builds at once has one watch per upload
 * in flight: they share one listener per signal (not one each, which past ten makes Node warn of a
 * leak, `MaxListenersExceededWarning`), and a signal reaches every watch open when it comes.
 */
const open = new Set<(signal: NodeJS.Signals) => void>()

function listen(report: (signal: NodeJS.Signals) => void): () => void {
  if (open.size === 0) for (const signal of SIGNALS) process.on(signal, onSignal)
  open.add(report)
  return () => {
    if (open.delete(report) && open.size === 0)
      for (const signal of SIGNALS) process.off(signal, onSignal)
  }
}

/**
 * Every open watch reports, and they all stop listening. A listener of our own changes what a
 * signal does (Node no longer ends the process), so when nothing else listens the signal is sent
 * again: the process ends as it would have (exit 130 or 143 in a shell).
 */
function onSignal(signal: NodeJS.Signals): void {
  const reports = [...open]
  open.clear()
  for (const s of SIGNALS) process.off(s, onSignal)
  for (const report of reports) report(signal)
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

/** Watches for SIGINT and SIGTERM until closed; on one, reports what was in flight. */
export function watchInterruption(target: InterruptionTarget, logger: Logger): InterruptionWatch {
  let inFlight: { step: string; mayExist: string; startedAt: string } | undefined
  function report(signal: NodeJS.Signals): void {
    if (!inFlight) return
    const worker = quoteValue(target.worker)
    logger.warn(
      pc.red(
        `✖ interrupted (${signal}) during ${inFlight.step} for Worker ${worker}: ${inFlight.mayExist}; recorded in result.json, and the next run reports it.`,
      ),
    )
    try {
      writeInterruptedResult(
        target.outputDir,
        { accountId: target.accountId(), worker: target.worker },
        {
          signal,
          step: inFlight.step,
          may_exist: inFlight.mayExist,
          started_at: inFlight.startedAt,
          interrupted_at: new Date().toISOString(),
        },
      )
    } catch {
      // The line above already says what may exist; a file that cannot be written must not keep the process from ending.
    }
  }
  const close = listen(report)
  return {
    during: (step, mayExist) =>
      void (inFlight = { step, mayExist, startedAt: new Date().toISOString() }),
    settled: () => void (inFlight = undefined),
    close,
  }
}
