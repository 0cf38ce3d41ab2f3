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
 * Listens for SIGINT and SIGTERM until closed. A listener of its own changes what a signal does
 * (Node no longer ends the process), so after reporting it stops listening and, when nothing
 * else listens, sends the signal again: the process ends as it would have (exit 130 or 143 in a shell).
 */
export function watchInterruption(target: InterruptionTarget, logger: Logger): InterruptionWatch {
  let inFlight: { step: string; mayExist: string; startedAt: string } | undefined
  const close = () => {
    for (const signal of SIGNALS) process.off(signal, onSignal)
  }
  function onSignal(signal: NodeJS.Signals): void {
    close()
    if (inFlight) {
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
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
  }
  for (const signal of SIGNALS) process.on(signal, onSignal)
  return {
    during: (step, mayExist) =>
      void (inFlight = { step, mayExist, startedAt: new Date().toISOString() }),
    settled: () => void (inFlight = undefined),
    close,
  }
}
