/**
 * The requests a deploy makes after its deployment: script settings, workers.dev, routes, Custom
 * Domains, cron schedules, queue consumers and Workflows, with the endpoints, methods and bodies
 * wrangler 4.164 uses (`triggers deploy` in workers-sdk's deploy-helpers). Each is declared once,
 * here, and retried under the shared policy: the PUT, PATCH and subdomain POST calls set a state,
 * so sending one twice is harmless; the one creating POST (a queue consumer) looks up what a lost
 * request did before it is sent again.
 */
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { POLICY } from './policy.js'
import {
  accountPath,
  accountRoot,
  asRecords,
  callApi,
  json,
  type ApiCallContext,
} from './request.js'

/** `PATCH …/scripts/{name}/script-settings`: the settings that belong to the Worker, not to a version. */
export async function patchScriptSettings(
  ctx: ApiCallContext,
  script: string,
  body: Record<string, unknown>,
): Promise<void> {
  await callApi(ctx, {
    method: 'PATCH',
    path: accountPath(ctx.accountId, 'scripts', script, 'script-settings'),
    body: json(body),
    what: `Update the script settings of Worker ${JSON.stringify(script)}`,
    worker: script,
    idempotent: true,
  })
}

/** `POST …/scripts/{name}/subdomain` `{enabled, previews_enabled?}`: sets both switches, so a resend sets them again. */
export async function setWorkersDev(
  ctx: ApiCallContext,
  script: string,
  body: { enabled: boolean; previews_enabled?: boolean },
): Promise<void> {
  await callApi(ctx, {
    method: 'POST',
    path: accountPath(ctx.accountId, 'scripts', script, 'subdomain'),
    body: json(body),
    what: `Set workers.dev and Preview URLs of Worker ${JSON.stringify(script)}`,
    worker: script,
    idempotent: true,
  })
}

/**
 * `PUT …/scripts/{name}/routes` `[{pattern, zone_id? | zone_name?}]`: the Worker's zone routes,
 * replaced as a whole (routes it no longer lists are removed); the API finds each route's zone from
 * `zone_id`, `zone_name` or the pattern's host. A route of another Worker is refused by the API.
 */
export async function putRoutes(
  ctx: ApiCallContext,
  script: string,
  routes: ReadonlyArray<Record<string, unknown>>,
): Promise<void> {
  await callApi(ctx, {
    method: 'PUT',
    path: accountPath(ctx.accountId, 'scripts', script, 'routes'),
    body: json(routes),
    what: `Set the routes of Worker ${JSON.stringify(script)}`,
    worker: script,
    idempotent: true,
  })
}

/** `PUT …/scripts/{name}/domains/records` `{override_scope, …, origins}`: the Worker's Custom Domains, replaced as a whole. */
export async function putCustomDomains(
  ctx: ApiCallContext,
  script: string,
  body: Record<string, unknown>,
): Promise<void> {
  await callApi(ctx, {
    method: 'PUT',
    path: accountPath(ctx.accountId, 'scripts', script, 'domains', 'records'),
    body: json(body),
    what: `Attach the Custom Domains of Worker ${JSON.stringify(script)}`,
    worker: script,
    idempotent: true,
  })
}

/** `PUT …/scripts/{name}/schedules` `[{cron}]`: replaces every schedule (`[]` removes them). */
export async function putSchedules(
  ctx: ApiCallContext,
  script: string,
  crons: readonly string[],
): Promise<void> {
  await callApi(ctx, {
    method: 'PUT',
    path: accountPath(ctx.accountId, 'scripts', script, 'schedules'),
    body: json(crons.map((cron) => ({ cron }))),
    what: `Set the cron schedules of Worker ${JSON.stringify(script)}`,
    worker: script,
    idempotent: true,
  })
}

export interface QueueInfo {
  queue_id: string
  queue_name: string
  /** The consumer id of this Worker, when it already consumes the queue. */
  consumerOf: (script: string) => string | undefined
}

/** `GET /accounts/{a}/queues?name=…`: the queue and its consumers. Throws naming the queue when it does not exist. */
export async function findQueue(
  ctx: ApiCallContext,
  name: string,
  script: string,
): Promise<QueueInfo> {
  const result = await callApi(ctx, {
    method: 'GET',
    path: accountRoot(ctx.accountId, 'queues'),
    query: { page: '1', name },
    what: `Look up the queue ${JSON.stringify(name)}`,
    worker: script,
    idempotent: true,
  })
  const queue = asRecords(result).find((q) => q.queue_name === name)
  if (!queue || typeof queue.queue_id !== 'string') {
    throw new WorkersVersionError(
      'QUEUE_NOT_FOUND',
      `Queue ${JSON.stringify(name)} (queues.consumers) does not exist: create it with \`wrangler queues create ${name}\`.`,
    )
  }
  const consumers = asRecords(queue.consumers)
  return {
    queue_id: queue.queue_id,
    queue_name: name,
    consumerOf: (worker) => {
      const found = consumers.find(
        (c) =>
          c.type === 'worker' &&
          (c.script === worker || c.service === worker) &&
          typeof c.consumer_id === 'string',
      )
      return found?.consumer_id as string | undefined
    },
  }
}

/**
 * Makes `script` a consumer of the queue with `body`: `PUT …/consumers/{id}` when it already is one,
 * else `POST …/consumers`, whose lost answer is looked up (a second consumer would be refused).
 */
export async function upsertQueueConsumer(
  ctx: ApiCallContext,
  queue: QueueInfo,
  script: string,
  body: Record<string, unknown>,
): Promise<void> {
  const existing = queue.consumerOf(script)
  const base = accountRoot(ctx.accountId, 'queues', queue.queue_id, 'consumers')
  const what = `Make Worker ${JSON.stringify(script)} a consumer of queue ${JSON.stringify(queue.queue_name)}`
  if (existing !== undefined) {
    await callApi(ctx, {
      method: 'PUT',
      path: `${base}/${encodeURIComponent(existing)}`,
      body: json(body),
      what,
      worker: script,
      idempotent: true,
    })
    return
  }
  await callApi(ctx, {
    method: 'POST',
    path: base,
    body: json(body),
    what,
    worker: script,
    idempotent: false,
    hooks: {
      recover: async () => {
        const id = (await findQueue(ctx, queue.queue_name, script)).consumerOf(script)
        return id === undefined ? undefined : { result: { consumer_id: id } }
      },
    },
  })
}

/** `GET /accounts/{a}/workflows/{name}`: its script and jurisdiction, or undefined when there is no such Workflow (10200). */
export async function getWorkflow(
  ctx: ApiCallContext,
  name: string,
  script: string,
): Promise<{ script_name?: string; jurisdiction?: string } | undefined> {
  const result = await callApi(ctx, {
    method: 'GET',
    path: accountRoot(ctx.accountId, 'workflows', name),
    what: `Look up Workflow ${JSON.stringify(name)}`,
    worker: script,
    idempotent: true,
    absentIsUndefined: true,
    absent: POLICY.absentWorkflow,
  })
  if (!isRecord(result)) return undefined
  return {
    ...(typeof result.script_name === 'string' && { script_name: result.script_name }),
    ...(typeof result.jurisdiction === 'string' && { jurisdiction: result.jurisdiction }),
  }
}

/** `PUT /accounts/{a}/workflows/{name}` `{script_name, class_name, …}`: creates or updates the Workflow. */
export async function putWorkflow(
  ctx: ApiCallContext,
  name: string,
  script: string,
  body: Record<string, unknown>,
): Promise<void> {
  const result = await callApi(ctx, {
    method: 'PUT',
    path: accountRoot(ctx.accountId, 'workflows', name),
    body: json(body),
    what: `Create or update Workflow ${JSON.stringify(name)} of Worker ${JSON.stringify(script)}`,
    worker: script,
    idempotent: true,
  })
  if (result !== undefined && !isRecord(result))
    throw new WorkersVersionError(
      'API_INVALID_RESPONSE',
      `Cloudflare API: Workflow ${JSON.stringify(name)} was answered with no Workflow.`,
    )
}
