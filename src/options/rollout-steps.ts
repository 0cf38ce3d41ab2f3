/**
 * `promote.steps`: the shares a gated rollout moves through. A number is the new version's share of
 * all traffic; `{ cohort, percentage }` gives it that share of one named cohort's traffic only (the
 * requests carrying `Cloudflare-Workers-Cohort: <cohort>`), everything else staying on the previous
 * version. Checked here when the plugin is created, each problem naming its step.
 */
import { describe } from './issues.js'

/** A step of a cohort deployment: the new version gets `percentage` of the cohort's requests. */
interface CohortStep {
  cohort: string
  percentage: number
}

export type RolloutStep = number | CohortStep

/**
 * Two Cloudflare pages give different limits for cohorts (names of 1–64 or of 1–10 characters; 10 or
 * 5 cohorts a deployment); the stricter of each is taken, so a name accepted here is accepted under
 * either.
 */
const COHORT_NAME = /^[A-Za-z0-9_-]{1,10}$/
const MAX_COHORTS = 5

const COHORT_FIELDS = new Set(['cohort', 'percentage'])

/** The steps as given, resolved; `problems` gets one line per fault, each naming its field. */
export function resolveSteps(input: unknown[], problems: string[]): RolloutStep[] {
  const steps: RolloutStep[] = []
  /** The highest plain share so far: plain steps must rise; a cohort step after one above 0 is refused. */
  let plain: number | undefined
  let plainAbove0At: number | undefined
  /** Each cohort's share so far, by its name in lower case (the platform matches names case-insensitively). */
  const cohorts = new Map<string, number>()
  let valid = 0
  input.forEach((step: unknown, i) => {
    const at = `promote.steps[${i}]`
    if (typeof step === 'number') {
      if (!Number.isInteger(step) || step < 0 || step > 100)
        return problems.push(
          `${at}: expected a whole percentage from 0 to 100, got ${describe(step)}`,
        )
      if (plain !== undefined && step <= plain)
        return problems.push(
          `${at}: ${step} does not rise above the step before it (${plain}); steps must rise`,
        )
      plain = step
      if (step > 0 && plainAbove0At === undefined) plainAbove0At = i
      steps.push(step)
      valid++
      return
    }
    if (typeof step !== 'object' || step === null || Array.isArray(step))
      return problems.push(
        `${at}: expected a whole percentage from 0 to 100 or a cohort step { cohort, percentage }, got ${describe(step)}`,
      )
    const fields = step as Record<string, unknown>
    const before = problems.length
    for (const key of Object.keys(fields))
      if (!COHORT_FIELDS.has(key))
        problems.push(`${at}.${key}: is not a field of a cohort step (cohort, percentage)`)
    const { cohort, percentage } = fields
    if (typeof cohort !== 'string' || !COHORT_NAME.test(cohort))
      problems.push(
        `${at}.cohort: expected a cohort name of 1 to 10 letters, digits, '-' or '_' (the value the requests' Cloudflare-Workers-Cohort header carries), got ${describe(cohort)}`,
      )
    if (
      typeof percentage !== 'number' ||
      !Number.isInteger(percentage) ||
      percentage < 1 ||
      percentage > 100
    )
      problems.push(
        `${at}.percentage: expected a whole percentage from 1 to 100 (the cohort's share on the new version), got ${describe(percentage)}`,
      )
    if (plainAbove0At !== undefined)
      problems.push(
        `${at}: a cohort step must come before the steps that move all traffic (promote.steps[${plainAbove0At}] is ${String(input[plainAbove0At])})`,
      )
    if (problems.length > before) return
    const key = (cohort as string).toLowerCase()
    const earlier = cohorts.get(key)
    if (earlier !== undefined && (percentage as number) <= earlier)
      return problems.push(
        `${at}.percentage: ${String(percentage)} does not rise above cohort ${JSON.stringify(cohort)}'s step before it (${earlier}); a cohort's steps must rise`,
      )
    if (earlier === undefined && cohorts.size >= MAX_COHORTS)
      return problems.push(
        `${at}.cohort: at most ${MAX_COHORTS} cohorts fit in one deployment; ${JSON.stringify(cohort)} would be the ${MAX_COHORTS + 1}th`,
      )
    cohorts.set(key, percentage as number)
    steps.push({ cohort: cohort as string, percentage: percentage as number })
    valid++
  })
  if (valid === input.length && steps.at(-1) !== 100)
    problems.push(
      typeof input.at(-1) === 'number'
        ? `promote.steps: the last step must be 100 (the rollout ends with the new version serving everything), got ${describe(input.at(-1))}`
        : 'promote.steps: the last step must be 100 (the rollout ends with the new version serving everything), got a cohort step',
    )
  return steps
}
