/**
 * The one place that decides whether a gated rollout's step is healthy. The rule:
 *
 * - the new version must have served at least `minRequests` requests in the step, otherwise the
 *   step is not judged yet (`wait`);
 * - then it passes when its error rate is at most `max(maxErrorRate, previous rate × errorRateFactor)`:
 *   an absolute floor (a handful of errors among few requests never fails a healthy version), and a
 *   bound relative to the version it replaces (a Worker whose upstream fails already is not blamed
 *   on the new code); otherwise it fails.
 */
export interface Invocations {
  requests: number
  errors: number
}

export interface HealthBounds {
  maxErrorRate: number
  errorRateFactor: number
  minRequests: number
}

export type StepVerdict =
  | { verdict: 'pass'; newRate: number; oldRate: number; bound: number }
  | { verdict: 'fail'; newRate: number; oldRate: number; bound: number }
  | { verdict: 'wait' }

/** An error rate, 0 without requests (nothing failed). */
function errorRate(counts: Invocations): number {
  return counts.requests > 0 ? counts.errors / counts.requests : 0
}

export function judgeStep(
  newer: Invocations,
  older: Invocations,
  bounds: HealthBounds,
): StepVerdict {
  if (newer.requests < bounds.minRequests) return { verdict: 'wait' }
  const newRate = errorRate(newer)
  const oldRate = errorRate(older)
  const bound = Math.max(bounds.maxErrorRate, oldRate * bounds.errorRateFactor)
  return { verdict: newRate <= bound ? 'pass' : 'fail', newRate, oldRate, bound }
}

/** `3 errors / 120 requests (2.50%)`: the figures a line or an error gives. */
export function describeInvocations(counts: Invocations): string {
  return `${counts.errors} error${counts.errors === 1 ? '' : 's'} / ${counts.requests} request${counts.requests === 1 ? '' : 's'} (${percent(errorRate(counts))})`
}

export function percent(rate: number): string {
  return `${(rate * 100).toFixed(2)}%`
}
