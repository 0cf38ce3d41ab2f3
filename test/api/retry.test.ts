import { describe, expect, it } from 'vitest'
import {
  backoffDelay,
  parseRetryAfter,
  resolveBackoff as resolveRetryPolicy,
} from '../../src/api/policy.js'

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  it('reads delta-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter(['0'], now)).toBe(0)
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now)).toBe(7000)
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0)
  })
  it('ignores absent or garbage values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter('-1', now)).toBeUndefined()
  })
})

describe('backoffDelay', () => {
  const policy = resolveRetryPolicy({ baseDelayMs: 500, maxDelayMs: 10_000 })
  it('doubles per attempt with jitter in [half, full] and stays under the cap', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(250)
    expect(backoffDelay(1, policy, () => 1)).toBe(500)
    expect(backoffDelay(3, policy, () => 0)).toBe(1000)
    expect(backoffDelay(3, policy, () => 1)).toBe(2000)
    expect(backoffDelay(10, policy, () => 1)).toBe(10_000)
    expect(backoffDelay(10, policy, () => 0)).toBe(5000)
  })
  it('defaults to 5 attempts, 500 ms base, 10 s max', () => {
    expect(resolveRetryPolicy(undefined)).toEqual({
      attempts: 5,
      baseDelayMs: 500,
      maxDelayMs: 10_000,
    })
  })
})
