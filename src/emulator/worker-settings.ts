/**
 * What a deploy applies after its deployment, as the API takes it from `wrangler deploy` 4.164:
 *
 * - `PATCH /accounts/:a/workers/scripts/:s/script-settings` `{logpush?, observability?, tail_consumers?, tags?}`
 * - `POST  /accounts/:a/workers/scripts/:s/subdomain` `{enabled, previews_enabled?}` (the Worker's `subdomain`)
 * - `GET   /accounts/:a/workers/subdomain`: the account's workers.dev subdomain
 * - `PUT   /accounts/:a/workers/scripts/:s/schedules` `[{cron}]`, and its `GET`
 * - `PUT   /accounts/:a/workflows/:name` `{script_name, class_name, …}`: create or update
 *
 * Each checks its body as the API does and names the field it refuses. Every target must exist: the
 * Worker of the path, the Worker a tail consumer names, and a Workflow's script must be deployed
 * with a main module that exports its class (checked in the module's text: the emulator does not
 * start the version for it).
 */
import { randomUUID } from 'node:crypto'
import type { ApiContext, ApiRequest, Route } from './api.js'
import { Code, failOne, invalid, isObject, ok, pointer, type ApiReply } from './envelope.js'
import type { StoredWorker } from './types.js'
import { onWorker } from './worker-route.js'

const SEGMENT = '([^/]+)'
const SCRIPT = `^/accounts/${SEGMENT}/workers/scripts/${SEGMENT}`

export const WORKER_SETTINGS_ROUTES: Route[] = [
  {
    method: 'PATCH',
    pattern: new RegExp(`${SCRIPT}/script-settings/?$`),
    handler: onWorker(patchScriptSettings),
  },
  {
    method: 'GET',
    pattern: new RegExp(`${SCRIPT}/script-settings/?$`),
    handler: onWorker(getScriptSettings),
  },
  {
    method: 'POST',
    pattern: new RegExp(`${SCRIPT}/subdomain/?$`),
    handler: onWorker(postSubdomain),
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/accounts/${SEGMENT}/workers/subdomain/?$`),
    handler: accountSubdomain,
  },
  { method: 'PUT', pattern: new RegExp(`${SCRIPT}/schedules/?$`), handler: onWorker(putSchedules) },
  { method: 'GET', pattern: new RegExp(`${SCRIPT}/schedules/?$`), handler: onWorker(getSchedules) },
  {
    method: 'PUT',
    pattern: new RegExp(`^/accounts/${SEGMENT}/workflows/${SEGMENT}/?$`),
    handler: putWorkflow,
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/accounts/${SEGMENT}/workflows/${SEGMENT}/?$`),
    handler: getWorkflow,
  },
]

/** Script settings a PATCH may set; anything else is refused, as an unknown field would be lost. */
const SETTING_KEYS = new Set(['logpush', 'observability', 'tail_consumers', 'tags'])

function patchScriptSettings(
  ctx: ApiContext,
  req: ApiRequest,
  worker: StoredWorker,
  account: string,
): ApiReply {
  const body = req.body
  if (!isObject(body)) return invalid('The request body must be a JSON object', '')
  for (const [key, value] of Object.entries(body)) {
    if (!SETTING_KEYS.has(key)) return invalid(`Unknown script setting '${key}'`, pointer(key))
    if (key === 'logpush' && typeof value !== 'boolean')
      return invalid('logpush must be a boolean', '/logpush')
    if (key === 'tags' && !(Array.isArray(value) && value.every((t) => typeof t === 'string')))
      return invalid('tags must be an array of strings', '/tags')
    if (key === 'observability') {
      const problem = observabilityProblem(value)
      if (problem) return invalid(problem.message, problem.at)
    }
    if (key === 'tail_consumers') {
      if (!Array.isArray(value))
        return invalid('tail_consumers must be an array', '/tail_consumers')
      for (const [i, consumer] of value.entries()) {
        if (!isObject(consumer) || typeof consumer.service !== 'string')
          return invalid(
            'Each tail consumer needs a service (a Worker name)',
            pointer('tail_consumers', i),
          )
        if (!ctx.store.worker(account, consumer.service))
          return invalid(
            `Tail consumer '${consumer.service}' is not a Worker of this account`,
            pointer('tail_consumers', i, 'service'),
          )
      }
    }
  }
  worker.settings = { ...worker.settings, ...body }
  return ok(scriptSettings(worker))
}

function observabilityProblem(value: unknown): { message: string; at: string } | undefined {
  if (!isObject(value)) return { message: 'observability must be an object', at: '/observability' }
  if (value.enabled !== undefined && typeof value.enabled !== 'boolean')
    return { message: 'observability.enabled must be a boolean', at: '/observability/enabled' }
  const rate = value.head_sampling_rate
  if (rate !== undefined && !(typeof rate === 'number' && rate >= 0 && rate <= 1)) {
    return {
      message: 'observability.head_sampling_rate must be a number from 0 to 1',
      at: '/observability/head_sampling_rate',
    }
  }
  for (const part of ['logs', 'traces']) {
    if (value[part] !== undefined && !isObject(value[part]))
      return {
        message: `observability.${part} must be an object`,
        at: pointer('observability', part),
      }
  }
  return undefined
}

function getScriptSettings(_ctx: ApiContext, _req: ApiRequest, worker: StoredWorker): ApiReply {
  return ok(scriptSettings(worker))
}

/** The settings with the API's defaults for what was never set. */
export function scriptSettings(worker: Pick<StoredWorker, 'settings'>): Record<string, unknown> {
  return {
    logpush: false,
    observability: { enabled: false },
    tail_consumers: null,
    tags: [],
    ...worker.settings,
  }
}

function postSubdomain(_ctx: ApiContext, req: ApiRequest, worker: StoredWorker): ApiReply {
  const body = req.body
  if (!isObject(body)) return invalid('The request body must be a JSON object', '')
  if (typeof body.enabled !== 'boolean') return invalid('enabled must be a boolean', '/enabled')
  if (body.previews_enabled !== undefined && typeof body.previews_enabled !== 'boolean')
    return invalid('previews_enabled must be a boolean', '/previews_enabled')
  const unknown = Object.keys(body).find((key) => key !== 'enabled' && key !== 'previews_enabled')
  if (unknown !== undefined) return invalid(`Unknown field '${unknown}'`, pointer(unknown))
  // Without previews_enabled, Preview URLs follow workers.dev (the API's default since 2025-08-01).
  worker.subdomain = {
    enabled: body.enabled,
    previews_enabled: body.previews_enabled ?? body.enabled,
  }
  return ok(worker.subdomain)
}

function accountSubdomain(ctx: ApiContext): ApiReply {
  return ok({ subdomain: ctx.workersDevSubdomain })
}

/** Five fields (minute hour day-of-month month day-of-week) of digits, names and `* , - / L W #`, as Cron Triggers take them. */
const CRON = /^\s*(?:[\w*,\-/#?]+\s+){4}[\w*,\-/#?]+\s*$/

function putSchedules(_ctx: ApiContext, req: ApiRequest, worker: StoredWorker): ApiReply {
  const body = req.body
  if (!Array.isArray(body)) return invalid('The request body must be an array of {cron}', '')
  const crons: string[] = []
  for (const [i, entry] of body.entries()) {
    if (!isObject(entry) || typeof entry.cron !== 'string' || !CRON.test(entry.cron)) {
      return invalid(
        `Invalid cron expression ${JSON.stringify(isObject(entry) ? entry.cron : entry)}: five fields expected`,
        pointer(i, 'cron'),
      )
    }
    crons.push(entry.cron.trim())
  }
  const now = new Date().toISOString()
  worker.schedules = crons.map((cron) => ({ cron, created_on: now, modified_on: now }))
  return ok({ schedules: worker.schedules })
}

function getSchedules(_ctx: ApiContext, _req: ApiRequest, worker: StoredWorker): ApiReply {
  return ok({ schedules: worker.schedules ?? [] })
}

/** The Workflows API's code for a script or class it cannot use. */
const WORKFLOW_INVALID = 10021
/** The Workflows API's "not found" (wrangler reads it as "no such Workflow yet"). */
const WORKFLOW_NOT_FOUND = 10200

function getWorkflow(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', name = '']: string[],
): ApiReply {
  const workflow = ctx.workflows.get(`${account}\n${name}`)
  return workflow ? ok(workflow) : failOne(404, WORKFLOW_NOT_FOUND, `Workflow '${name}' not found`)
}

function putWorkflow(
  ctx: ApiContext,
  req: ApiRequest,
  [account = '', name = '']: string[],
): ApiReply {
  const body = req.body
  if (!isObject(body)) return invalid('The request body must be a JSON object', '')
  if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name))
    return invalid('A Workflow name is 1 to 64 letters, digits, - and _', '')
  if (typeof body.script_name !== 'string')
    return invalid('script_name is required', '/script_name')
  if (typeof body.class_name !== 'string') return invalid('class_name is required', '/class_name')
  const worker = ctx.store.worker(account, body.script_name)
  if (!worker)
    return failOne(
      404,
      Code.workerNotFound,
      `Worker '${body.script_name}' does not exist`,
      '/script_name',
    )
  const deployment = ctx.store.currentDeployment(account, worker.name)
  const serving =
    deployment && [...deployment.versions].sort((a, b) => b.percentage - a.percentage)[0]
  const version = serving && ctx.store.version(account, worker.name, serving.version_id)
  if (!version)
    return failOne(
      400,
      WORKFLOW_INVALID,
      `Worker '${worker.name}' has no deployed version to run Workflow '${name}'`,
      '/script_name',
    )
  const main = version.modules.find((m) => m.name === version.main_module)
  const source = main ? Buffer.from(main.content_base64, 'base64').toString('utf8') : ''
  if (!exportsName(source, body.class_name)) {
    return failOne(
      400,
      WORKFLOW_INVALID,
      `The deployed version of '${worker.name}' does not export a class '${body.class_name}' from its main module`,
      '/class_name',
    )
  }
  const now = new Date().toISOString()
  const existing = ctx.workflows.get(`${account}\n${name}`)
  const workflow = {
    ...body,
    id: existing?.id ?? randomUUID(),
    name,
    script_name: worker.name,
    class_name: body.class_name,
    created_on: existing?.created_on ?? now,
    modified_on: now,
  }
  ctx.workflows.set(`${account}\n${name}`, workflow)
  return ok(workflow)
}

/** Whether an ES module's text exports `name`: `export class Name`, or `Name` (or `x as Name`) in an `export { … }` list. */
function exportsName(source: string, name: string): boolean {
  const escaped = name.replace(/[$]/g, '\\$')
  if (new RegExp(`export\\s+(?:default\\s+)?class\\s+${escaped}\\b`).test(source)) return true
  return [...source.matchAll(/export\s*\{([^}]*)\}/g)].some(([, list = '']) =>
    list.split(',').some(
      (item) =>
        item
          .trim()
          .split(/\s+as\s+/)
          .at(-1)
          ?.trim() === name,
    ),
  )
}
