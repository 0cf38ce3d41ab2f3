/**
 * The rules every call to the Cloudflare API follows, in one object: which answers may be sent
 * again, how long a `Retry-After` may make a build wait, what makes resending a request unsafe,
 * and which answer means "not there". The one loop that applies them is in `retry.ts`.
 */
import { NETWORK_DEFAULTS } from '../core/network-defaults.js'
import type { ApiMessage } from './envelope.js'

export interface RetryOptions {
  attempts?: number
  baseDelayMs?: number
  maxDelayMs?: number
  /**
   * The waits between lookups after a lost request that may still be running; default
   * `POLICY.recoveryWaitsMs`. Not a user option: the plugin always uses the default (tests shorten it).
   */
  recoveryWaitsMs?: readonly number[]
}

/** The user's part of the policy (`network.retries`): how many sends and how long between them. */
export type Backoff = Required<Omit<RetryOptions, 'recoveryWaitsMs'>> &
  Pick<RetryOptions, 'recoveryWaitsMs'>

export const POLICY = {
  /** Turned away before any work was done: sending again is safe for every request. */
  turnedAway: new Set([429, 503]),
  /**
   * Usually transient, but the server (or the origin behind Cloudflare's edge: 520–524) may have
   * done the work before failing, so the outcome is unknown: only a request that is harmless
   * twice is sent again without first checking what the lost one did.
   */
  transient: new Set([500, 502, 504, 520, 521, 522, 523, 524]),
  /**
   * A `Retry-After` up to this is waited for; a longer one ends the call at once with an error
   * naming the wait, for every call alike: sleeping it out would only end in a vaguer timeout.
   */
  maxRetryAfterMs: 60_000,
  /**
   * The largest response body read. The API's answers are small; a larger one is a broken or
   * hostile server, and ends the call (never a resend). A version read with its modules' contents
   * (the lookup after a lost Create Version) may hold a 64 MiB Worker as base64.
   */
  maxResponseBytes: 8 * 2 ** 20,
  maxModulesResponseBytes: 128 * 2 ** 20,
  /** "Worker not found": for a read of something that may not exist yet, that is the answer. */
  absent: { status: 404, code: 10007 },
  /** The Workflows API's "Workflow not found", the same answer for a Workflow. */
  absentWorkflow: { status: 404, code: 10200 },
  /** "Preview not found" (10025) and "no deployment yet" (10222), as `wrangler preview` reads them. */
  absentPreview: { status: 404, codes: [10025, 10222] },
  /**
   * The least time a request whose repeat would create something again (Create Version) waits
   * for the answer's headers, whatever `headersMs` says. Cutting it short does not stop the
   * server: it may store the request after the cut, when a resend has already made a second
   * one. Five minutes is what wrangler waits (undici's default headers timeout, which its
   * fetch calls keep); the upload's deadline still bounds it.
   */
  nonIdempotentHeadersMs: 5 * 60_000,
  /**
   * Answers that leave the origin possibly still at work on the request: a gateway that gave up
   * waiting for it (504, 522, 524). A lost connection or a timeout is the same. A 500 or 502 is
   * the origin's own answer: its work on the request is over.
   */
  stillRunning: new Set([504, 522, 524]),
  /**
   * After an outcome that may still be running (above), a lookup that finds nothing is not yet
   * proof that nothing was done: the server may still be storing the request. It looks again
   * after each of these waits (7 s in all, within the deadline) before concluding that sending
   * again is safe.
   */
  recoveryWaitsMs: [1_000, 2_000, 4_000],
} as const

export function resolveBackoff(options: RetryOptions | undefined): Backoff {
  return {
    attempts: Math.max(1, Math.floor(options?.attempts ?? NETWORK_DEFAULTS.retries.attempts)),
    baseDelayMs: Math.max(0, options?.baseDelayMs ?? NETWORK_DEFAULTS.retries.baseDelayMs),
    maxDelayMs: Math.max(0, options?.maxDelayMs ?? NETWORK_DEFAULTS.retries.maxDelayMs),
    ...(options?.recoveryWaitsMs !== undefined && {
      recoveryWaitsMs: options.recoveryWaitsMs.map((ms) => Math.max(0, ms)),
    }),
  }
}

/** What an HTTP status says about a request that did not succeed. */
export type StatusClass = 'turned-away' | 'outcome-unknown' | 'refused'

export function classifyStatus(status: number): StatusClass {
  if (POLICY.turnedAway.has(status)) return 'turned-away'
  if (POLICY.transient.has(status)) return 'outcome-unknown'
  return 'refused'
}

/** What "not there" looks like: `POLICY.absent` unless a request names another (a Workflow's, a Preview's). */
export type AbsentAnswer =
  { status: number; code: number } | { status: number; codes: readonly number[] }

export function isAbsent(
  status: number,
  errors: readonly ApiMessage[],
  absent: AbsentAnswer = POLICY.absent,
): boolean {
  const codes: readonly number[] = 'codes' in absent ? absent.codes : [absent.code]
  return (
    status === absent.status &&
    errors.some((error) => error.code !== undefined && codes.includes(error.code))
  )
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half is random. The fixed
 * half keeps a lower bound (so a struggling API gets real rest), the random half keeps many CI
 * jobs from coming back in lockstep. `sent` counts the sends so far, starting at 1.
 */
export function backoffDelay(
  sent: number,
  backoff: Backoff,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** (sent - 1))
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Undefined when absent or unparseable, so the backoff applies instead.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now = Date.now(),
): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim()
  if (!raw) return undefined
  if (/^\d+$/.test(raw)) return Number(raw) * 1000
  // An HTTP-date always has a day or month name; this keeps Date.parse from reading numbers
  // like "-1" as years.
  const date = /[a-z]/i.test(raw) ? Date.parse(raw) : Number.NaN
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/**
 * How long to wait before sending again, or why not to: the server's `Retry-After` when it sent
 * one (refused past the cap, or past the deadline), else the backoff. `pastDeadline` for a
 * backoff that would end after the deadline: the caller reports the deadline.
 */
export function waitBeforeResend(
  sent: number,
  retryAfterMs: number | undefined,
  backoff: Backoff,
  remainingMs: number,
): { waitMs: number } | { giveUp: string } | { pastDeadline: true } {
  if (retryAfterMs === undefined) {
    const waitMs = backoffDelay(sent, backoff)
    return waitMs >= remainingMs ? { pastDeadline: true } : { waitMs }
  }
  if (retryAfterMs > POLICY.maxRetryAfterMs) {
    return {
      giveUp: `the API asks to wait ${seconds(retryAfterMs)} (Retry-After), longer than the ${seconds(POLICY.maxRetryAfterMs)} a build waits`,
    }
  }
  if (retryAfterMs >= remainingMs)
    return {
      giveUp: `the API asks to wait ${seconds(retryAfterMs)} (Retry-After), past the deadline`,
    }
  return { waitMs: retryAfterMs }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`
}
