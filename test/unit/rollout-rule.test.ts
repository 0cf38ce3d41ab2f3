// The decision a gated rollout makes at each step, and the checks on `promote` as an object.
import { describe, expect, it } from 'vitest'
import { describeInvocations, judgeStep } from '../../src/deploy/rollout-rule.js'
import { parseDuration, resolveRollout } from '../../src/options/rollout.js'
import { resolveOptions } from '../../src/options/resolve.js'

const bounds = { maxErrorRate: 0.01, errorRateFactor: 1.5, minRequests: 50 }

describe('judgeStep', () => {
  it('waits while the new version has served fewer than minRequests, whatever its errors', () => {
    expect(judgeStep({ requests: 49, errors: 49 }, { requests: 1000, errors: 0 }, bounds)).toEqual({
      verdict: 'wait',
    })
  })

  it('passes at or under the absolute floor even when the previous version had no errors', () => {
    const verdict = judgeStep({ requests: 100, errors: 1 }, { requests: 900, errors: 0 }, bounds)
    expect(verdict).toMatchObject({ verdict: 'pass', newRate: 0.01, oldRate: 0, bound: 0.01 })
  })

  it('fails just above the floor when the previous version was clean', () => {
    expect(
      judgeStep({ requests: 100, errors: 2 }, { requests: 900, errors: 0 }, bounds).verdict,
    ).toBe('fail')
  })

  it('allows the previous rate times the factor when that is above the floor', () => {
    // Previous: 10% errors; bound 15%.
    const old = { requests: 1000, errors: 100 }
    expect(judgeStep({ requests: 100, errors: 15 }, old, bounds)).toMatchObject({
      verdict: 'pass',
      bound: 0.15000000000000002,
    })
    expect(judgeStep({ requests: 100, errors: 16 }, old, bounds).verdict).toBe('fail')
  })

  it('a previous version without requests counts as error-free', () => {
    expect(
      judgeStep({ requests: 50, errors: 5 }, { requests: 0, errors: 0 }, bounds),
    ).toMatchObject({
      verdict: 'fail',
      oldRate: 0,
      bound: 0.01,
    })
  })

  it('describes figures with their rate', () => {
    expect(describeInvocations({ requests: 3, errors: 1 })).toBe('1 error / 3 requests (33.33%)')
  })
})

describe('promote as a gated rollout', () => {
  it('parses durations and refuses anything else', () => {
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('5m')).toBe(300_000)
    expect(parseDuration('1h')).toBe(3_600_000)
    for (const bad of ['5', '5 min', '0s', '-1m', '25h', 'm'])
      expect(parseDuration(bad)).toBeUndefined()
  })

  it('has defaults, and makes promote 100 with the rollout kept', () => {
    const options = resolveOptions({ promote: {} })
    expect(options.promote).toBe(100)
    expect(options.rollout).toEqual({
      steps: [0, 10, 50, 100],
      intervalMs: 300_000,
      checks: [],
      maxErrorRate: 0.01,
      errorRateFactor: 1.5,
      minRequests: 50,
      maxExtraIntervals: 2,
    })
    expect(resolveOptions({ promote: 30 }).rollout).toBeUndefined()
  })

  it('names every bad field, in one error', () => {
    let message = ''
    try {
      resolveRollout({
        steps: [0, 50, 40, 101],
        interval: '5 minutes',
        checks: [{ path: 'health', status: 999, colour: 'red' }],
        maxErrorRate: 2,
        errorRateFactor: 0.5,
        minRequests: 0,
        maxExtraIntervals: 1.5,
        wait: 'soon',
        typo: true,
      })
    } catch (error) {
      expect((error as { code: string }).code).toBe('INVALID_OPTIONS')
      message = (error as Error).message
    }
    for (const field of [
      'promote.typo: is not a field',
      'promote.steps[2]: 40 does not rise',
      'promote.steps[3]: expected a whole percentage from 0 to 100, got 101',
      'promote.interval: expected a duration',
      'promote.checks[0].colour: is not a field of a check',
      "promote.checks[0].path: expected a path starting with '/'",
      'promote.checks[0].status: expected an HTTP status from 100 to 599, got 999',
      'promote.url: missing',
      'promote.maxErrorRate: expected a rate from 0 to 1, got 2',
      'promote.errorRateFactor: expected a number of at least 1, got 0.5',
      'promote.minRequests: expected a whole number of at least 1, got 0',
      'promote.maxExtraIntervals: expected a whole number from 0 to 100, got 1.5',
      'promote.wait: expected a function',
    ])
      expect(message).toContain(field)
  })

  it('requires the last step to be 100, and a URL without a query', () => {
    expect(() => resolveRollout({ steps: [0, 50] })).toThrow(
      'promote.steps: the last step must be 100',
    )
    expect(() => resolveRollout({ url: 'https://w.example.workers.dev/?a=1' })).toThrow(
      'promote.url',
    )
    expect(() => resolveRollout({ url: 'ftp://w.example' })).toThrow('promote.url')
    expect(resolveRollout({ url: 'https://w.example.workers.dev/' }).url).toBe(
      'https://w.example.workers.dev',
    )
  })

  it('refuses a value of another type, naming promote', () => {
    expect(() => resolveOptions({ promote: 'gradual' as never })).toThrow(/promote/)
  })
})
