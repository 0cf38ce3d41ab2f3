/**
 * The one place that shapes a deployment's body, and reads a cohort deployment back.
 *
 * A cohort deployment is the body Cloudflare's cohort deployments page gives
 * (https://developers.cloudflare.com/workers/configuration/versions-and-deployments/gradual-deployments/cohort-deployments/):
 * `{ "strategy": "cohorts", "versions": [...], "cohorts": [{ "name", "versions": [...] }] }`, where
 * `versions` is the split of the requests that name no cohort (or one the deployment does not
 * have), and each cohort's `versions` the split of the requests whose `Cloudflare-Workers-Cohort`
 * header names it. Every other deployment, a rollback included, is `strategy: "percentage"`.
 */
import { WorkersVersionError } from '../core/errors.js'
import { asRecords } from './request.js'

export interface Share {
  version_id: string
  percentage: number
}

/** One cohort of a cohort deployment: its name and its own split. */
export interface CohortSplit {
  name: string
  versions: Share[]
}

export function deploymentBody(
  versions: readonly Share[],
  cohorts: readonly CohortSplit[] | undefined,
): Record<string, unknown> {
  return cohorts && cohorts.length > 0
    ? {
        strategy: 'cohorts',
        versions,
        cohorts: cohorts.map((c) => ({ name: c.name, versions: c.versions })),
      }
    : { strategy: 'percentage', versions }
}

/** `employee: 100% → <id>; default: 100% → <id>`: a cohort deployment on one line. */
export function describeCohortSplit(
  versions: readonly Share[],
  cohorts: readonly CohortSplit[] | undefined,
): string {
  const shares = (list: readonly Share[]) =>
    list.map((v) => `${v.percentage}% → ${v.version_id}`).join(', ')
  if (!cohorts || cohorts.length === 0) return shares(versions)
  return [
    ...cohorts.map((c) => `cohort ${c.name}: ${shares(c.versions)}`),
    `others: ${shares(versions)}`,
  ].join('; ')
}

/** The cohorts of a deployment the API returned; each cohort's split read as `readShares` reads the default one. */
export function readCohorts(
  raw: unknown,
  readShares: (raw: unknown) => Share[],
): CohortSplit[] | undefined {
  if (raw === undefined || raw === null) return undefined
  if (!Array.isArray(raw))
    throw new WorkersVersionError(
      'API_INVALID_RESPONSE',
      "Cloudflare API: a deployment's cohorts are not a list.",
    )
  return asRecords(raw).map((cohort) => {
    if (typeof cohort.name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(cohort.name))
      throw new WorkersVersionError(
        'API_INVALID_RESPONSE',
        "Cloudflare API: a deployment's cohort has no valid name.",
      )
    return { name: cohort.name, versions: readShares(cohort.versions) }
  })
}

/** Whether two splits give the same versions the same shares, in any order. */
export function sameShares(a: readonly Share[], b: readonly Share[]): boolean {
  return (
    a.length === b.length &&
    a.every((x) => b.some((y) => y.version_id === x.version_id && y.percentage === x.percentage))
  )
}

/** Whether the API's cohorts are the ones asked for (names matched case-insensitively, as the platform does). */
export function sameCohorts(
  asked: readonly CohortSplit[] | undefined,
  made: readonly CohortSplit[] | undefined,
): boolean {
  const a = asked ?? []
  const m = made ?? []
  return (
    a.length === m.length &&
    a.every((c) =>
      m.some(
        (d) => d.name.toLowerCase() === c.name.toLowerCase() && sameShares(c.versions, d.versions),
      ),
    )
  )
}
