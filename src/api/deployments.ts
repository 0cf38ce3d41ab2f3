/**
 * Deployments decide which versions get traffic: one version at 100%, or two splitting it during a
 * gradual rollout. `planTraffic` computes the split for the plugin's `promote` option from the
 * current deployment; `createDeployment` sends it.
 */
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import {
  deploymentBody,
  describeCohortSplit,
  readCohorts,
  sameCohorts,
  sameShares,
  type CohortSplit,
} from './cohort-deployment.js'
import { accountPath, asRecords, callApi, json, type ApiCallContext } from './request.js'
import { checkUuid, quoteServerValue } from './server-values.js'

export interface TrafficShare {
  version_id: string
  percentage: number
}

export interface Deployment {
  id?: string
  created_on?: string
  versions: TrafficShare[]
  /** A cohort deployment's cohorts (`strategy: "cohorts"`), each with its own split; `versions` is then the split of the other requests. */
  cohorts?: CohortSplit[]
  annotations?: Record<string, string>
}

/** What a deployment is asked to be: a split, with cohorts for a cohort deployment. */
export interface DeploymentRequest {
  versions: TrafficShare[]
  cohorts?: CohortSplit[]
  message?: string
}

/** The API's limit on a deployment's `workers/message`, in characters; longer messages are cut. */
const MAX_DEPLOYMENT_MESSAGE = 100

/** The deployment serving traffic now (`GET …/deployments`, first entry), or undefined when nothing is deployed or the Worker is new. */
export async function currentDeployment(
  ctx: ApiCallContext,
  script: string,
): Promise<Deployment | undefined> {
  return (await listDeployments(ctx, script))[0]
}

/** The Worker's deployments, newest (serving) first; none when nothing is deployed or the Worker is new. */
async function listDeployments(ctx: ApiCallContext, script: string): Promise<Deployment[]> {
  const result = await callApi(ctx, {
    method: 'GET',
    path: accountPath(ctx.accountId, 'scripts', script, 'deployments'),
    what: `List the deployments of Worker ${JSON.stringify(script)}`,
    worker: script,
    idempotent: true,
    absentIsUndefined: true,
  })
  return isRecord(result) ? asRecords(result.deployments).map((raw) => toDeployment(raw, ctx)) : []
}

/**
 * A gradual rollout: its split keeps the rest of the traffic on the version the deployment `read`
 * before served, so a deployment made meanwhile (another build's rollout, say) would be replaced
 * without either build knowing. The API has no conditional write, so the rollout checks on both
 * sides of its own: just before, the serving deployment must still be the one read (otherwise
 * nothing is deployed: DEPLOYMENT_CHANGED); just after, the list must show its deployment serving,
 * directly after the one read. Of two rollouts that overlap, at least one of them sees the other.
 * Returns the deployment made, and what went wrong after it when something did (the split may
 * not be this build's any more): the caller reports the deployment, then fails with that.
 */
export async function deployRollout(
  ctx: ApiCallContext,
  script: string,
  read: Deployment,
  deployment: DeploymentRequest,
): Promise<{ made: Deployment; changed?: string }> {
  const newId = deployment.versions[0]!.version_id
  const before = await currentDeployment(ctx, script)
  if (read.id !== undefined && before?.id !== read.id) {
    throw new WorkersVersionError(
      'DEPLOYMENT_CHANGED',
      `\`promote\`: the deployment of Worker ${JSON.stringify(script)} changed since this build read it (it was ${describeDeployment(read)}; it is now ${describeDeployment(before)}), perhaps another rollout: this build's split was computed from the old one, so nothing was deployed. Version ${newId} was created and serves only its preview URL; check the traffic (\`wrangler deployments status --name ${script}\`) and deploy again.`,
    )
  }
  const made = await createDeployment(ctx, script, deployment)
  if (read.id === undefined || made.id === undefined) return { made }
  const after = await listDeployments(ctx, script)
  const ours = `deployment ${made.id} (${describeSplit(made)})`
  if (after[0]?.id !== made.id) {
    return {
      made,
      changed: `${ours} was replaced right after by ${describeDeployment(after[0])}, perhaps another rollout: the traffic is not what this build set.`,
    }
  }
  if (after[1] !== undefined && after[1].id !== read.id) {
    return {
      made,
      changed: `${ours} replaced ${describeDeployment(after[1])}, made after this build read the traffic (${describeDeployment(read)}), perhaps by another rollout, whose split is gone.`,
    }
  }
  return { made }
}

function describeSplit(deployment: Deployment): string {
  if (deployment.cohorts?.length)
    return describeCohortSplit(deployment.versions, deployment.cohorts)
  return (
    deployment.versions.map((v) => `${v.version_id} at ${v.percentage}%`).join(', ') || 'no version'
  )
}

function describeDeployment(deployment: Deployment | undefined): string {
  return deployment === undefined
    ? 'no deployment'
    : `deployment ${deployment.id ?? '(no id)'} (${describeSplit(deployment)})`
}

/**
 * `POST …/deployments`: `strategy: "percentage"`, or `"cohorts"` with cohorts (its body shaped in
 * cohort-deployment.ts). Sending the same split twice leaves traffic as it is, so a lost response
 * may be retried.
 */
export async function createDeployment(
  ctx: ApiCallContext,
  script: string,
  deployment: DeploymentRequest,
): Promise<Deployment> {
  const body = deploymentBody(deployment.versions, deployment.cohorts)
  if (deployment.message !== undefined && deployment.message !== '')
    body.annotations = { 'workers/message': truncate(deployment.message, MAX_DEPLOYMENT_MESSAGE) }
  const asked = describeSplit(deployment)
  const result = await callApi(ctx, {
    method: 'POST',
    path: accountPath(ctx.accountId, 'scripts', script, 'deployments'),
    body: json(body),
    what: `Deploy ${asked} to Worker ${JSON.stringify(script)}`,
    worker: script,
    idempotent: true,
  })
  if (!isRecord(result))
    throw new WorkersVersionError(
      'API_ERROR',
      `Cloudflare API: the deployment of Worker ${JSON.stringify(script)} returned no deployment.`,
    )
  const made = toDeployment(result, ctx)
  if (
    !sameShares(deployment.versions, made.versions) ||
    !sameCohorts(deployment.cohorts, made.cohorts)
  ) {
    const named = describeSplit(made)
    throw new WorkersVersionError(
      'API_INVALID_RESPONSE',
      `Cloudflare API: the deployment of Worker ${JSON.stringify(script)} names ${named}, not ${asked} as asked; traffic may not be what this build meant. Check it with \`wrangler deployments status --name ${script}\`.`,
    )
  }
  return made
}

/**
 * The `versions` of the deployment for `promote` (already checked to be true or 1–100 by the
 * options): `true` (or 100) gives the new version all traffic; `n` gives it n% and leaves the
 * rest on the version deployed now. Throws `WorkersVersionError('PROMOTE_NOT_POSSIBLE')` for a
 * gradual rollout when nothing is deployed, or when the current deployment already splits
 * traffic between two versions (which one should keep the rest is the user's decision). Call it
 * before creating the version, so nothing is created in vain.
 */
export function planTraffic(
  current: Pick<Deployment, 'versions'> | undefined,
  newVersionId: string,
  promote: true | number,
): TrafficShare[] {
  if (promote === true || promote === 100) return [{ version_id: newVersionId, percentage: 100 }]
  const shares = current?.versions ?? []
  if (shares.length === 0) {
    throw new WorkersVersionError(
      'PROMOTE_NOT_POSSIBLE',
      `\`promote: ${promote}\` starts a gradual rollout, but nothing is deployed yet, so there is no version to keep the other ${100 - promote}%. Deploy this version fully first (\`promote: true\`).`,
    )
  }
  if (shares.length > 1) {
    const split = shares.map((s) => `${s.version_id} at ${s.percentage}%`).join(', ')
    throw new WorkersVersionError(
      'PROMOTE_NOT_POSSIBLE',
      `\`promote: ${promote}\`: the current deployment already splits traffic (${split}), so it is unclear which version should keep the other ${100 - promote}%. Finish that rollout first (\`wrangler versions deploy\`), or use \`promote: true\`.`,
    )
  }
  const previous = shares[0]!.version_id
  if (previous === newVersionId) return [{ version_id: newVersionId, percentage: 100 }]
  return [
    { version_id: newVersionId, percentage: promote },
    { version_id: previous, percentage: 100 - promote },
  ]
}

/** A deployment as the API sent it, its ids and percentages checked: they are printed, written and sent back. */
function toDeployment(raw: Record<string, unknown>, ctx: ApiCallContext): Deployment {
  const redact = (text: string) => (ctx.redactor ? ctx.redactor.redact(text) : text)
  const readShares = (list: unknown): TrafficShare[] =>
    asRecords(list)
      .filter((v) => v.version_id !== undefined || v.percentage !== undefined)
      .map((v) => {
        const percentage = v.percentage
        if (
          typeof percentage !== 'number' ||
          !Number.isFinite(percentage) ||
          percentage < 0 ||
          percentage > 100
        ) {
          throw new WorkersVersionError(
            'API_INVALID_RESPONSE',
            `Cloudflare API: a deployment's percentage is ${quoteServerValue(percentage, redact)}, not a number from 0 to 100.`,
          )
        }
        return {
          version_id: checkUuid(v.version_id, "a deployment's version id", redact),
          percentage,
        }
      })
  const deployment: Deployment = { versions: readShares(raw.versions) }
  const cohorts = readCohorts(raw.cohorts, readShares)
  if (cohorts?.length) deployment.cohorts = cohorts
  if (raw.id !== undefined) deployment.id = checkUuid(raw.id, 'the deployment id', redact)
  if (typeof raw.created_on === 'string') deployment.created_on = raw.created_on
  if (isRecord(raw.annotations)) {
    deployment.annotations = Object.fromEntries(
      Object.entries(raw.annotations).filter(
        (e): e is [string, string] => typeof e[1] === 'string',
      ),
    )
  }
  return deployment
}

/** Cuts by characters (code points), never inside a surrogate pair. */
function truncate(text: string, max: number): string {
  const chars = [...text]
  return chars.length <= max ? text : chars.slice(0, max).join('')
}
