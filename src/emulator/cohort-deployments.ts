/**
 * Cohort deployments (`strategy: "cohorts"`, in beta on Cloudflare since January 2026): besides the
 * default `versions`, a list of named cohorts, each with a split of its own. A request whose
 * `Cloudflare-Workers-Cohort` header names a cohort (case-insensitively) is routed by that cohort's
 * split; any other request, by the default one.
 *
 * Two Cloudflare pages give different limits (cohort names of 1–64 or 1–10 characters, 10 or 5
 * cohorts a deployment, and one says at most two distinct versions across the whole deployment);
 * the emulator enforces the stricter of each, so whatever it accepts fits either. It also refuses
 * `cohorts` in a `strategy: "percentage"` body: the cohort deployments page pairs them with
 * `"cohorts"`, and a body the plugin does not send is not let through on a guess.
 */
import { apiError, Code, isObject, pointer, type ApiError } from './envelope.js'
import type { DeploymentCohort, DeploymentVersion } from './types.js'

const NAME = /^[A-Za-z0-9_-]{1,10}$/
const MAX_COHORTS = 5
const MAX_DISTINCT_VERSIONS = 2
const COHORT_FIELDS = new Set(['name', 'versions'])

/**
 * The cohorts of a deployment body, checked; `errors` gets each problem with its pointer. Undefined
 * for a percentage deployment.
 */
export function checkCohorts(
  body: Record<string, unknown>,
  strategy: unknown,
  versions: readonly DeploymentVersion[],
  shares: (list: unknown, at: (string | number)[]) => DeploymentVersion[],
  errors: ApiError[],
): DeploymentCohort[] | undefined {
  const err = (message: string, at: string) => apiError(Code.validation, message, at)
  if (strategy !== 'cohorts') {
    if (body.cohorts !== undefined)
      errors.push(err('cohorts can only be set with strategy "cohorts"', '/cohorts'))
    return undefined
  }
  if (!Array.isArray(body.cohorts) || body.cohorts.length < 1) {
    errors.push(err('cohorts must list at least one cohort with strategy "cohorts"', '/cohorts'))
    return undefined
  }
  if (body.cohorts.length > MAX_COHORTS)
    errors.push(err(`A deployment can have at most ${MAX_COHORTS} cohorts`, '/cohorts'))
  const cohorts: DeploymentCohort[] = []
  const names = new Set<string>()
  body.cohorts.forEach((cohort: unknown, i) => {
    if (!isObject(cohort))
      return errors.push(
        err('Each cohort must be an object {name, versions}', pointer('cohorts', i)),
      )
    for (const key of Object.keys(cohort))
      if (!COHORT_FIELDS.has(key))
        errors.push(err(`Unknown cohort field '${key}'`, pointer('cohorts', i, key)))
    const { name } = cohort
    if (typeof name !== 'string' || !NAME.test(name))
      errors.push(
        err(
          'A cohort name must be 1 to 10 characters of a-z, A-Z, 0-9, - and _',
          pointer('cohorts', i, 'name'),
        ),
      )
    else if (names.has(name.toLowerCase()))
      errors.push(err(`Cohort '${name}' is listed twice`, pointer('cohorts', i, 'name')))
    if (typeof name === 'string') names.add(name.toLowerCase())
    const split = shares(cohort.versions, ['cohorts', i, 'versions'])
    if (typeof name === 'string') cohorts.push({ name, versions: split })
  })
  const distinct = new Set(
    splitsOf({ versions, cohorts })
      .flat()
      .map((v) => v.version_id),
  )
  if (distinct.size > MAX_DISTINCT_VERSIONS)
    errors.push(
      err(
        `A deployment can use at most ${MAX_DISTINCT_VERSIONS} distinct versions across its default split and its cohorts, got ${distinct.size}`,
        '/cohorts',
      ),
    )
  return cohorts
}

/**
 * The split a request follows: its cohort's when `Cloudflare-Workers-Cohort` names one of the
 * deployment's cohorts, the default one otherwise (a missing, malformed or unknown cohort included).
 */
export function cohortFor(
  cohorts: readonly DeploymentCohort[] | undefined,
  header: string | undefined,
): DeploymentCohort | undefined {
  const wanted = header?.trim().toLowerCase()
  if (!cohorts || wanted === undefined || wanted === '') return undefined
  return cohorts.find((c) => c.name.toLowerCase() === wanted)
}

/** A deployment's splits: the default one and each cohort's (a version a cohort reaches is served too). */
export function splitsOf(
  deployment:
    { versions: readonly DeploymentVersion[]; cohorts?: readonly DeploymentCohort[] } | undefined,
): (readonly DeploymentVersion[])[] {
  if (!deployment) return []
  return [deployment.versions, ...(deployment.cohorts ?? []).map((c) => c.versions)]
}
