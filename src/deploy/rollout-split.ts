/**
 * The deployment each step of a gated rollout makes. A plain step `n` gives the new version n% of
 * all traffic. A cohort step `{ cohort, percentage }` makes a cohort deployment: that cohort's
 * requests get the new version at its percentage, the cohorts of earlier steps keep theirs, and the
 * requests of no cohort keep the split they had (all on the previous version until a plain step
 * above 0). Once cohorts exist, a plain step below 100 keeps them (each at least at the new share
 * of everyone), as Cloudflare's cohort deployments page advances a rollout; 100 ends it with a plain
 * deployment of the new version, without cohorts.
 */
import type { CohortSplit } from '../api/cohort-deployment.js'
import type { TrafficShare } from '../api/deployments.js'
import type { RolloutStep } from '../options/rollout-steps.js'

export interface StepPlan {
  /** The share the step is named by: the cohort's for a cohort step, everyone's otherwise. */
  percentage: number
  /** The cohort a cohort step moves. */
  cohort?: string
  /** `cohort employee 100%`, `10%`. */
  name: string
  /** The split of the requests of no cohort. */
  versions: TrafficShare[]
  /** A cohort deployment's cohorts; absent for a plain deployment. */
  cohorts?: CohortSplit[]
}

export function planSteps(
  steps: readonly RolloutStep[],
  newId: string,
  previousId: string,
): StepPlan[] {
  const split = (share: number): TrafficShare[] =>
    share === 100
      ? [{ version_id: newId, percentage: 100 }]
      : [
          { version_id: newId, percentage: share },
          { version_id: previousId, percentage: 100 - share },
        ]
  /** Each cohort's share, by its name in lower case (the platform matches names case-insensitively), first spelling kept. */
  const cohorts = new Map<string, { name: string; percentage: number }>()
  let everyone = 0
  return steps.map((step) => {
    if (typeof step === 'number') everyone = step
    else {
      const key = step.cohort.toLowerCase()
      cohorts.set(key, {
        name: cohorts.get(key)?.name ?? step.cohort,
        percentage: step.percentage,
      })
    }
    const named =
      typeof step === 'number'
        ? { percentage: step }
        : { percentage: step.percentage, cohort: step.cohort }
    const base = { ...named, name: stepName(named) }
    if (cohorts.size === 0 || everyone === 100) return { ...base, versions: split(everyone) }
    return {
      ...base,
      // As the cohort deployments page writes it: the other requests all on the previous version
      // until they get a share (a 0% entry is left out).
      versions: everyone === 0 ? [{ version_id: previousId, percentage: 100 }] : split(everyone),
      cohorts: [...cohorts.values()].map((c) => ({
        name: c.name,
        versions: split(Math.max(c.percentage, everyone)),
      })),
    }
  })
}

/** `cohort employee 100%` for a cohort step, `10%` otherwise. */
export function stepName(step: { percentage: number; cohort?: string }): string {
  return step.cohort === undefined
    ? `${step.percentage}%`
    : `cohort ${step.cohort} ${step.percentage}%`
}
