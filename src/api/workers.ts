/**
 * Calls about the Worker itself, made before a version is created: does it exist (and create it
 * when it does not), which Durable Object migration tag it has, which secrets it keeps.
 */
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import {
  accountPath,
  asRecords,
  callApi,
  json,
  requireAccount,
  withApi,
  type ApiCallContext,
  type ApiRequest,
} from './request.js'
import { ApiError } from './errors.js'
import { sendWithRetries } from './retry.js'
import { checkWorkerId } from './server-values.js'

export type { ApiCallContext } from './request.js'

export interface WorkerInfo {
  id: string
  name: string
  created_on?: string
  updated_on?: string
}

export interface SecretInfo {
  name: string
  /** `secret_text` (or `secret_key`). */
  type: string
}

/** `GET …/workers/workers/{worker}`: the Worker, or undefined when it does not exist (10007). */
export async function getWorker(
  ctx: ApiCallContext,
  worker: string,
): Promise<WorkerInfo | undefined> {
  const result = await callApi(ctx, workerLookup(ctx, worker))
  return result === undefined ? undefined : toWorker(result, worker)
}

function workerLookup(ctx: ApiCallContext, worker: string): ApiRequest {
  return {
    method: 'GET',
    path: accountPath(ctx.accountId, 'workers', worker),
    what: `Look up Worker ${JSON.stringify(worker)}`,
    worker,
    idempotent: true,
    absentIsUndefined: true,
  }
}

/**
 * `POST …/workers/workers` with `{ name }`. After a lost response it is not sent blindly again
 * (a second POST would only answer "already exists"): the Worker is looked up first, and
 * adopted when it is there. A 409 ("already exists": another build's first deploy of the same
 * Worker won the race) is the same: the Worker is looked up and the build goes on with it.
 */
export async function createWorker(ctx: ApiCallContext, name: string): Promise<WorkerInfo> {
  const what = `Create Worker ${JSON.stringify(name)}`
  requireAccount(ctx, what)
  const result = await withApi(ctx, async (session) => {
    const answer = await sendWithRetries(session, {
      ...createWorkerRequest(ctx, name, what),
      hooks: {
        recover: async () => {
          const found = await sendWithRetries(session, { ...workerLookup(ctx, name), maxSends: 3 })
          return found.result === undefined ? undefined : found
        },
      },
    }).catch(async (error: unknown) => {
      // Another build of the same Worker (a parallel first deploy) created it first: go on with it.
      if (!(error instanceof ApiError && error.status === CONFLICT)) throw error
      const found = await sendWithRetries(session, { ...workerLookup(ctx, name), maxSends: 3 })
      if (found.result === undefined) throw error
      session.log(
        `${what}: it already exists (created meanwhile, by another build?); going on with it`,
      )
      return found
    })
    return answer.result
  })
  return toWorker(result, name)
}

/** "Already exists", the answer to creating a Worker whose name is taken. */
const CONFLICT = 409

function createWorkerRequest(ctx: ApiCallContext, name: string, what: string): ApiRequest {
  return {
    method: 'POST',
    path: accountPath(ctx.accountId, 'workers'),
    body: json({ name }),
    what,
    worker: name,
    idempotent: false,
    ifUnknown: `Check whether Worker ${JSON.stringify(name)} exists (dashboard or \`wrangler deployments list --name ${name}\`) before building again.`,
  }
}

/**
 * The script's current Durable Object migration tag, the way wrangler reads it: list the account's
 * scripts (`GET …/workers/scripts`) and take `migration_tag` of the one whose `id` is the script.
 * Undefined for a script without a tag or that does not exist yet.
 */
export async function currentMigrationTag(
  ctx: ApiCallContext,
  script: string,
): Promise<string | undefined> {
  const result = await callApi(ctx, {
    method: 'GET',
    path: accountPath(ctx.accountId, 'scripts'),
    what: 'List Worker scripts (for the migration tag)',
    worker: script,
    idempotent: true,
  })
  const entry = asRecords(result).find((s) => s.id === script)
  return typeof entry?.migration_tag === 'string' && entry.migration_tag !== ''
    ? entry.migration_tag
    : undefined
}

/** `GET …/workers/scripts/{script}/secrets`: the secret names (never values) the deployed Worker has; [] for a new Worker. */
export async function listSecrets(ctx: ApiCallContext, script: string): Promise<SecretInfo[]> {
  const result = await callApi(ctx, {
    method: 'GET',
    path: accountPath(ctx.accountId, 'scripts', script, 'secrets'),
    what: `List the secrets of Worker ${JSON.stringify(script)}`,
    worker: script,
    idempotent: true,
    absentIsUndefined: true,
  })
  return asRecords(result)
    .filter((s): s is Record<string, unknown> & { name: string } => typeof s.name === 'string')
    .map((s) => ({ name: s.name, type: typeof s.type === 'string' ? s.type : 'secret_text' }))
}

function toWorker(result: unknown, name: string): WorkerInfo {
  if (!isRecord(result) || typeof result.id !== 'string') {
    throw new WorkersVersionError(
      'API_ERROR',
      `Cloudflare API: the answer about Worker ${JSON.stringify(name)} has no \`id\`.`,
    )
  }
  const worker: WorkerInfo = {
    id: checkWorkerId(result.id, `the id of Worker ${JSON.stringify(name)}`),
    name: typeof result.name === 'string' ? result.name : name,
  }
  if (typeof result.created_on === 'string') worker.created_on = result.created_on
  if (typeof result.updated_on === 'string') worker.updated_on = result.updated_on
  return worker
}
