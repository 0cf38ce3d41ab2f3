/**
 * The script-level calls around versions: deployments (which versions get traffic), the script
 * list with each script's `migration_tag` (what wrangler reads before sending migrations), and the
 * secret names of the deployed version.
 *
 * - `POST /accounts/:a/workers/scripts/:script/deployments`: `{ strategy: "percentage", versions: [{ version_id, percentage }], annotations? }`,
 *   or `{ strategy: "cohorts", versions, cohorts: [{ name, versions }], annotations? }` (cohort-deployments.ts)
 * - `GET  /accounts/:a/workers/scripts/:script/deployments`: `{ deployments: [...] }`, newest (serving) first
 * - `GET  /accounts/:a/workers/scripts`: `[{ id, tag, migration_tag?, … }]`
 * - `GET  /accounts/:a/workers/scripts/:script/secrets`: `[{ name, type }]`
 *
 * Durable Object migrations are not applied here: only the script upload (script-upload.ts) takes
 * them, as on the platform.
 */
import { randomUUID } from 'node:crypto'
import type { ApiContext, ApiRequest, Route } from './api.js'
import type { CreateVersionContext } from './create-version.js'
import { workerNotFound } from './create-version.js'
import {
  apiError,
  Code,
  fail,
  isObject,
  ok,
  pointer,
  type ApiError,
  type ApiReply,
} from './envelope.js'
import { checkCohorts, cohortFor, splitsOf } from './cohort-deployments.js'
import type {
  DeploymentCohort,
  DeploymentVersion,
  StoredDeployment,
  StoredVersion,
  StoredWorker,
  VersionBinding,
} from './types.js'
import { onWorker } from './worker-route.js'

const SEGMENT = '([^/]+)'
const SCRIPTS = `^/accounts/${SEGMENT}/workers/scripts`

export const DEPLOYMENT_ROUTES: Route[] = [
  { method: 'GET', pattern: new RegExp(`${SCRIPTS}/?$`), handler: listScripts },
  {
    method: 'GET',
    pattern: new RegExp(`${SCRIPTS}/${SEGMENT}/deployments/?$`),
    handler: listDeployments,
  },
  {
    method: 'POST',
    pattern: new RegExp(`${SCRIPTS}/${SEGMENT}/deployments/?$`),
    handler: onWorker(postDeployment),
  },
  { method: 'GET', pattern: new RegExp(`${SCRIPTS}/${SEGMENT}/secrets/?$`), handler: listSecrets },
]

/** The API's limit on a deployment's `workers/message`, in characters (the OpenAPI schema's maxLength). */
const MAX_DEPLOYMENT_MESSAGE = 100
const SECRET_TYPES = new Set(['secret_text', 'secret_key'])

function listScripts(ctx: ApiContext, _req: ApiRequest, [account = '']: string[]): ApiReply {
  return ok(
    ctx.store.workers(account).map((worker) => ({
      id: worker.name,
      tag: worker.id,
      created_on: worker.created_on,
      modified_on: worker.updated_on,
      usage_model: 'standard',
      handlers: ['fetch'],
      ...(worker.migration_tag === undefined ? {} : { migration_tag: worker.migration_tag }),
    })),
  )
}

function listDeployments(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', script = '']: string[],
): ApiReply {
  if (!ctx.store.worker(account, script)) return workerNotFound()
  return ok({ deployments: ctx.store.deployments(account, script) })
}

function postDeployment(
  ctx: ApiContext,
  req: ApiRequest,
  worker: StoredWorker,
  account: string,
): ApiReply {
  const checked = checkDeploymentBody(req.body, (id) => ctx.store.version(account, worker.name, id))
  if ('errors' in checked) return fail(400, checked.errors)
  return deploy(ctx, account, worker.name, checked.versions, checked.annotations, checked.cohorts)
}

/** Stores a deployment; callers validated `versions`. Versions carry no migrations (10211), so a deployment never moves the tag. */
export function deploy(
  ctx: CreateVersionContext,
  account: string,
  script: string,
  versions: DeploymentVersion[],
  annotations: Record<string, string>,
  cohorts?: DeploymentCohort[],
): ApiReply {
  const worker = ctx.store.worker(account, script)
  if (!worker) return workerNotFound()
  const deployment: StoredDeployment = {
    id: randomUUID(),
    created_on: new Date().toISOString(),
    source: 'api',
    strategy: cohorts ? 'cohorts' : 'percentage',
    author_email: 'emulator@localhost',
    versions: versions.map(({ version_id, percentage }) => ({ version_id, percentage })),
    ...(cohorts && { cohorts }),
    annotations: { ...annotations, 'workers/triggered_by': 'deployment' },
  }
  ctx.store.addDeployment(account, script, deployment)
  ctx.preview?.pin(ctx.store.deployedVersionIds())
  return ok(deployment)
}

/** Every problem of a deployment body, each with its `source.pointer`, like a version body's. */
function checkDeploymentBody(
  body: unknown,
  findVersion: (id: string) => StoredVersion | undefined,
):
  | {
      versions: DeploymentVersion[]
      cohorts: DeploymentCohort[] | undefined
      annotations: Record<string, string>
    }
  | { errors: ApiError[] } {
  const err = (message: string, at: string) => apiError(Code.validation, message, at)
  if (!isObject(body)) return { errors: [err('The request body must be a JSON object', '')] }
  const errors: ApiError[] = []
  const strategy = body.strategy
  if (strategy !== 'percentage' && strategy !== 'cohorts')
    errors.push(
      err(
        `strategy must be "percentage" or "cohorts", got ${JSON.stringify(strategy ?? null)}`,
        '/strategy',
      ),
    )
  const shares = (list: unknown, at: (string | number)[]) =>
    checkShares(list, at, findVersion, errors)
  const versions = shares(body.versions, ['versions'])
  // A cohort deployment's cohorts (cohort-deployments.ts); a percentage deployment has none.
  const cohorts = checkCohorts(body, strategy, versions, shares, errors)
  const annotations: Record<string, string> = {}
  if (body.annotations !== undefined) {
    if (!isObject(body.annotations))
      errors.push(err('annotations must be an object', '/annotations'))
    else {
      for (const [key, value] of Object.entries(body.annotations)) {
        if (key !== 'workers/message')
          errors.push(err(`Unknown deployment annotation '${key}'`, pointer('annotations', key)))
        else if (typeof value !== 'string')
          errors.push(err("'workers/message' must be a string", pointer('annotations', key)))
        else if ([...value].length > MAX_DEPLOYMENT_MESSAGE) {
          errors.push(
            err(
              `'workers/message' must be at most ${MAX_DEPLOYMENT_MESSAGE} characters`,
              pointer('annotations', key),
            ),
          )
        } else annotations[key] = value
      }
    }
  }
  return errors.length > 0 ? { errors } : { versions, cohorts, annotations }
}

/** One split (`versions`, or a cohort's): one or two versions of this Worker whose percentages add up to 100. */
function checkShares(
  list: unknown,
  at: (string | number)[],
  findVersion: (id: string) => StoredVersion | undefined,
  errors: ApiError[],
): DeploymentVersion[] {
  const err = (message: string, where: string) => apiError(Code.validation, message, where)
  const versions: DeploymentVersion[] = []
  if (!Array.isArray(list) || list.length < 1 || list.length > 2) {
    errors.push(err(`${at.join('.')} must list one or two versions`, pointer(...at)))
    return versions
  }
  const before = errors.length
  const seen = new Set<string>()
  list.forEach((entry: unknown, i) => {
    if (!isObject(entry))
      return errors.push(
        err('Each version must be an object {version_id, percentage}', pointer(...at, i)),
      )
    const { version_id: id, percentage } = entry
    if (typeof id !== 'string' || id === '')
      errors.push(err('version_id must be a string', pointer(...at, i, 'version_id')))
    else if (seen.has(id))
      errors.push(err(`Version ${id} is listed twice`, pointer(...at, i, 'version_id')))
    else if (!findVersion(id))
      errors.push(
        err(`Version ${id} does not belong to this Worker`, pointer(...at, i, 'version_id')),
      )
    if (typeof id === 'string') seen.add(id)
    if (
      typeof percentage !== 'number' ||
      !Number.isFinite(percentage) ||
      percentage < 0 ||
      percentage > 100
    ) {
      // 0% is allowed: a version deployed at 0% takes no traffic but answers version overrides.
      errors.push(err('percentage must be a number from 0 to 100', pointer(...at, i, 'percentage')))
    }
    if (typeof id === 'string' && typeof percentage === 'number')
      versions.push({ version_id: id, percentage })
  })
  const total = versions.reduce((sum, v) => sum + v.percentage, 0)
  // Only a sum of valid shares says something; sums like 33.3 + 66.7 are not exact in binary floating point.
  if (errors.length === before && Math.abs(total - 100) > 1e-9)
    errors.push(err(`The percentages must add up to 100, got ${total}`, pointer(...at)))
  return versions
}

/** Secret names and types of the version with the most traffic, or of the latest version when nothing is deployed. */
function listSecrets(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', script = '']: string[],
): ApiReply {
  if (!ctx.store.worker(account, script)) return workerNotFound()
  const version = servingVersion(ctx, account, script)
  const secrets = (version?.bindings ?? []).filter((b: VersionBinding) => SECRET_TYPES.has(b.type))
  return ok(secrets.map((b) => ({ name: b.name, type: b.type })))
}

function servingVersion(
  ctx: ApiContext,
  account: string,
  script: string,
): StoredVersion | undefined {
  const current = ctx.store.currentDeployment(account, script)
  const main = current
    ? [...current.versions].sort((a, b) => b.percentage - a.percentage)[0]
    : undefined
  return (
    (main && ctx.store.version(account, script, main.version_id)) ??
    ctx.store.versions(account, script)[0]
  )
}

/**
 * The version a Worker-level request goes to: `Cloudflare-Workers-Version-Overrides: <script>="<id>"`
 * (the platform's own override header) when it names a version anywhere in the deployment (its
 * default split or a cohort's), else a pick weighted by the split of the request's cohort
 * (`Cloudflare-Workers-Cohort`, cohort-deployments.ts) or the default one. Undefined when nothing
 * is deployed.
 */
export function pickVersion(
  deployment: StoredDeployment | undefined,
  script: string,
  headers: { overrides?: string; cohort?: string },
  random: () => number,
): { versionId: string } | { problem: string } | undefined {
  if (!deployment) return undefined
  const wanted =
    headers.overrides === undefined ? undefined : overrideFor(headers.overrides, script)
  if (wanted !== undefined) {
    if (splitsOf(deployment).some((split) => split.some((v) => v.version_id === wanted)))
      return { versionId: wanted }
    return { problem: `Version ${wanted} is not part of the current deployment of '${script}'` }
  }
  const split = cohortFor(deployment.cohorts, headers.cohort)?.versions ?? deployment.versions
  let bucket = random() * 100
  for (const share of split) {
    if (bucket < share.percentage) return { versionId: share.version_id }
    bucket -= share.percentage
  }
  return { versionId: split.at(-1)?.version_id ?? '' }
}

/** One member of a structured-header dictionary: `name="value"` (or a bare token). */
function overrideFor(header: string, script: string): string | undefined {
  for (const member of header.split(',')) {
    const [name, ...rest] = member.split('=')
    if (name?.trim() !== script) continue
    return rest
      .join('=')
      .trim()
      .replace(/^"(.*)"$/, '$1')
  }
  return undefined
}
