/**
 * `promote: { steps, interval, … }`: a health-gated rollout. Checked here, field by field, when the
 * plugin is created: a bad value is refused before anything is built or sent, naming the field.
 */
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { describe } from './issues.js'
import { resolveSteps, type RolloutStep } from './rollout-steps.js'

/** One check of the new version, sent through the version overrides header. */
interface RolloutCheck {
  /** The path below `url`, starting with `/`. */
  path: string
  /** The status the answer must have. @default 200 */
  status?: number
  /** Text the answer's body must contain. */
  text?: string
}

/** What a step waits on: `ms` to let pass, before the step named is measured. */
type RolloutWait = (
  ms: number,
  step: { percentage: number; index: number; cohort?: string },
) => Promise<void>

export interface RolloutOptions {
  /**
   * The new version's share at each step, rising, ending at 100; 0 first probes it without traffic.
   * A step `{ cohort, percentage }` (before the steps above 0) gives it that share of one cohort's
   * requests only, those with `Cloudflare-Workers-Cohort: <cohort>`. @default [0, 10, 50, 100]
   */
  steps?: RolloutStep[]
  /** How long each step below 100% runs before it is measured: `'30s'`, `'5m'`, `'1h'`. @default '5m' */
  interval?: string
  /** The Worker's public URL the checks are sent to (its workers.dev URL or a route's). Needed with `checks`. */
  url?: string
  /** Requests sent to the new version at every step, before traffic moves on. */
  checks?: RolloutCheck[]
  /** The new version fails a step when its error rate is above this and above the old one's times `errorRateFactor`. @default 0.01 */
  maxErrorRate?: number
  /** How much worse than the previous version's error rate the new one may be. @default 1.5 */
  errorRateFactor?: number
  /** Requests the new version must have served in a step before it is judged. @default 50 */
  minRequests?: number
  /** Further intervals a step waits for `minRequests` before the rollout gives up and rolls back. @default 2 */
  maxExtraIntervals?: number
  /** Replaces the sleep between a step and its measurement. Not a user option: tests use it to send traffic and to keep waits short. */
  wait?: RolloutWait
}

export interface ResolvedRollout {
  steps: RolloutStep[]
  intervalMs: number
  url?: string
  checks: { path: string; status: number; text?: string }[]
  maxErrorRate: number
  errorRateFactor: number
  minRequests: number
  maxExtraIntervals: number
  wait?: RolloutWait
}

const ROLLOUT_DEFAULTS = {
  steps: [0, 10, 50, 100],
  interval: '5m',
  maxErrorRate: 0.01,
  errorRateFactor: 1.5,
  minRequests: 50,
  maxExtraIntervals: 2,
} as const

const KNOWN = new Set([
  'steps',
  'interval',
  'url',
  'checks',
  'maxErrorRate',
  'errorRateFactor',
  'minRequests',
  'maxExtraIntervals',
  'wait',
])

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }
/** A day: a step longer than that is a typo more likely than a plan. */
const MAX_INTERVAL_MS = 86_400_000

/** `'250ms'`, `'30s'`, `'5m'`, `'1h'` in milliseconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim())
  if (!match) return undefined
  const ms = Number(match[1]) * UNITS[match[2]!]!
  return Number.isFinite(ms) && ms > 0 && ms <= MAX_INTERVAL_MS ? Math.round(ms) : undefined
}

/** Checks every field of a `promote` object and gives its resolved form; every problem is listed, each naming its field. */
export function resolveRollout(input: Record<string, unknown>): ResolvedRollout {
  const problems: string[] = []
  const bad = (field: string, expected: string, got: unknown) =>
    problems.push(`promote.${field}: expected ${expected}, got ${describe(got)}`)
  for (const key of Object.keys(input))
    if (!KNOWN.has(key)) problems.push(`promote.${key}: is not a field of a gated rollout`)

  let steps: RolloutStep[] = [...ROLLOUT_DEFAULTS.steps]
  if (input.steps !== undefined) {
    if (!Array.isArray(input.steps) || input.steps.length === 0)
      bad('steps', 'a non-empty array of percentages', input.steps)
    // Percentages and cohort steps (rollout-steps.ts).
    else steps = resolveSteps(input.steps, problems)
  }

  let intervalMs = parseDuration(ROLLOUT_DEFAULTS.interval)!
  if (input.interval !== undefined) {
    const parsed = typeof input.interval === 'string' ? parseDuration(input.interval) : undefined
    if (parsed === undefined)
      bad('interval', "a duration up to a day such as '30s', '5m' or '1h'", input.interval)
    else intervalMs = parsed
  }

  let url: string | undefined
  if (input.url !== undefined) {
    const parsed = typeof input.url === 'string' ? safeUrl(input.url) : undefined
    if (!parsed) bad('url', 'an http(s) URL without a query or fragment', input.url)
    else url = parsed
  }

  const checks: ResolvedRollout['checks'] = []
  if (input.checks !== undefined) {
    if (!Array.isArray(input.checks))
      bad('checks', 'an array of { path, status?, text? }', input.checks)
    else
      input.checks.forEach((check: unknown, i) => {
        const at = `checks[${i}]`
        if (!isRecord(check)) return bad(at, 'an object { path, status?, text? }', check)
        for (const key of Object.keys(check))
          if (!['path', 'status', 'text'].includes(key))
            problems.push(`promote.${at}.${key}: is not a field of a check (path, status, text)`)
        const { path, status = 200, text } = check
        if (typeof path !== 'string' || !path.startsWith('/') || /[\s#]/.test(path))
          bad(`${at}.path`, "a path starting with '/', without spaces or '#'", path)
        if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599)
          bad(`${at}.status`, 'an HTTP status from 100 to 599', status)
        if (text !== undefined && (typeof text !== 'string' || text === ''))
          bad(`${at}.text`, 'a non-empty string', text)
        if (typeof path === 'string' && typeof status === 'number')
          checks.push({ path, status, ...(typeof text === 'string' && { text }) })
      })
    if (Array.isArray(input.checks) && input.checks.length > 0 && input.url === undefined)
      problems.push(
        'promote.url: missing; the checks need the Worker URL to send them to (its workers.dev URL or a route)',
      )
  }

  const number = (
    field: 'maxErrorRate' | 'errorRateFactor' | 'minRequests' | 'maxExtraIntervals',
    ok: (n: number) => boolean,
    expected: string,
  ): number => {
    const value = input[field]
    if (value === undefined) return ROLLOUT_DEFAULTS[field]
    if (typeof value === 'number' && Number.isFinite(value) && ok(value)) return value
    bad(field, expected, value)
    return ROLLOUT_DEFAULTS[field]
  }
  const maxErrorRate = number('maxErrorRate', (n) => n >= 0 && n <= 1, 'a rate from 0 to 1')
  const errorRateFactor = number('errorRateFactor', (n) => n >= 1, 'a number of at least 1')
  const minRequests = number(
    'minRequests',
    (n) => Number.isInteger(n) && n >= 1,
    'a whole number of at least 1',
  )
  const maxExtraIntervals = number(
    'maxExtraIntervals',
    (n) => Number.isInteger(n) && n >= 0 && n <= 100,
    'a whole number from 0 to 100',
  )
  if (input.wait !== undefined && typeof input.wait !== 'function')
    bad('wait', 'a function', input.wait)

  if (problems.length > 0)
    throw new WorkersVersionError(
      'INVALID_OPTIONS',
      `Invalid workersVersion() options:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    )
  return {
    steps,
    intervalMs,
    ...(url !== undefined && { url }),
    checks,
    maxErrorRate,
    errorRateFactor,
    minRequests,
    maxExtraIntervals,
    ...(typeof input.wait === 'function' && { wait: input.wait as RolloutWait }),
  }
}

/** An http(s) URL the checks may append paths to: no credentials, query or fragment; kept without its trailing slash. */
function safeUrl(text: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(text)
  } catch {
    return undefined
  }
  if (!['http:', 'https:'].includes(parsed.protocol)) return undefined
  if (parsed.username || parsed.password || parsed.search || parsed.hash) return undefined
  return parsed.href.replace(/\/+$/, '')
}
