import { setTimeout as delay } from 'node:timers/promises'

export interface RetryOptions {
  attempts?: number
  baseDelayMs?: number
  maxDelayMs?: number
}

export type RetryPolicy = Required<RetryOptions>

/** A `Retry-After` longer than this is not slept through: the build reports it instead. */
export const MAX_RETRY_AFTER_MS = 60_000

export function resolveRetryPolicy(options: RetryOptions | undefined): RetryPolicy {
  return {
    attempts: Math.max(1, Math.floor(options?.attempts ?? 5)),
    baseDelayMs: Math.max(0, options?.baseDelayMs ?? 500),
    maxDelayMs: Math.max(0, options?.maxDelayMs ?? 10_000),
  }
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half is
 * random. The fixed half keeps a lower bound (so a struggling API gets real
 * rest), the random half keeps many CI jobs from retrying in lockstep.
 * `attempt` is the attempt that just failed, starting at 1.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP-date
 * (RFC 9110 §10.2.3). Undefined when absent or unparseable, so the caller falls
 * back to its own backoff. Not capped here; the caller decides what is too long.
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim()
  if (!raw) return undefined
  if (/^\d+$/.test(raw)) return Number(raw) * 1000
  // An HTTP-date always has a day or month name; this keeps Date.parse from
  // reading numbers like "-1" as years.
  const date = /[a-z]/i.test(raw) ? Date.parse(raw) : Number.NaN
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/**
 * Sleeps, waking early (by rejecting) when `signal` aborts so the deadline is kept.
 * `ref: false` for a background read: the wait alone does not keep the process running.
 */
export async function sleep(ms: number, signal: AbortSignal, ref = true): Promise<void> {
  if (ms <= 0) return
  await delay(ms, undefined, { signal, ref })
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`
}
