// The Worker settings a deploy applies after its deployment (not part of any version), read from a
// wrangler config the way wrangler 4.164's `triggers deploy` reads them. A Build Output config is
// converted to these keys first (src/build-output/to-wrangler.ts), so both go through here.
import { isRecord } from '../core/guards.js'
import { describe } from '../options/issues.js'
import type { UrlTransformations } from '../options/types.js'
import type { MapContext } from './bindings.js'

/** One entry of `routes` (or `route`): a zone route, or a Custom Domain with `custom_domain: true`. */
interface RouteSetting {
  pattern: string
  zone_id?: string
  zone_name?: string
  custom_domain?: boolean
  /** A Custom Domain's production and Preview switches (Build Output's `domains[].production` / `.previews`). */
  enabled?: boolean
  previews_enabled?: boolean
}

/** One `queues.consumers` entry, as written (`max_batch_timeout` in seconds). */
interface QueueConsumerSetting {
  queue: string
  max_batch_size?: number
  max_batch_timeout?: number
  max_retries?: number
  dead_letter_queue?: string
  max_concurrency?: number
  retry_delay?: number
}

/** A Workflow this Worker defines (its `workflows` entry names no other script). */
interface WorkflowSetting {
  name: string
  class_name: string
  limits?: Record<string, unknown>
  concurrency?: unknown
  schedules?: string | string[]
  default_retention?: unknown
  jurisdiction?: string
}

interface TailConsumerSetting {
  service: string
  environment?: string
}

/**
 * What a promote to 100% applies after the deployment, in wrangler's terms. Absent fields mean what
 * they mean to `wrangler deploy`: no `crons` leaves the schedules alone, `[]` removes them.
 */
export interface DeploySettings {
  routes: RouteSetting[]
  crons?: string[]
  workersDev?: boolean
  previewUrls?: boolean
  observability?: Record<string, unknown>
  logpush?: boolean
  tailConsumers?: TailConsumerSetting[]
  queueConsumers: QueueConsumerSetting[]
  workflows: WorkflowSetting[]
  /** `images.url_transformations`: set after the other steps, as wrangler 4.168 sets it; absent leaves the Worker's as it is. */
  urlTransformations?: UrlTransformations
}

/** The config keys read here: they are applied by a promote, so they are not reported as "not sent". */
export const DEPLOY_SETTING_KEYS = new Set([
  'routes',
  'route',
  'triggers',
  'workers_dev',
  'preview_urls',
  'observability',
  'logpush',
  'tail_consumers',
])

const CONSUMER_NUMBERS = [
  'max_batch_size',
  'max_batch_timeout',
  'max_retries',
  'max_concurrency',
  'retry_delay',
] as const

/** Reads and checks every deploy setting of the effective config `c`; problems name the key. `self`: the Worker's name. */
export function readDeploySettings(
  ctx: MapContext,
  c: Record<string, unknown>,
  self: string | undefined,
): DeploySettings {
  const { problems, pathOf } = ctx
  const settings: DeploySettings = {
    routes: readRoutes(ctx, c),
    queueConsumers: readConsumers(ctx, c),
    workflows: readWorkflows(ctx, c, self),
  }
  const bool = (key: string): boolean | undefined => {
    const value = c[key]
    if (value === undefined || typeof value === 'boolean') return value
    problems.error(pathOf(key), `expected true or false, got ${describe(value)}`)
    return undefined
  }
  settings.urlTransformations = readUrlTransformations(ctx, c)
  settings.workersDev = bool('workers_dev')
  settings.previewUrls = bool('preview_urls')
  settings.logpush = bool('logpush')
  if (c.observability !== undefined) {
    if (isRecord(c.observability)) settings.observability = { ...c.observability }
    else
      problems.error(
        pathOf('observability'),
        `expected an object such as { "enabled": true }, got ${describe(c.observability)}`,
      )
  }
  if (c.triggers !== undefined) {
    const crons = isRecord(c.triggers) ? c.triggers.crons : undefined
    if (!isRecord(c.triggers))
      problems.error(
        pathOf('triggers'),
        `expected an object such as { "crons": ["0 * * * *"] }, got ${describe(c.triggers)}`,
      )
    else if (crons !== undefined) {
      if (
        Array.isArray(crons) &&
        crons.every((cron) => typeof cron === 'string' && cron.trim() !== '')
      )
        settings.crons = [...crons]
      else
        problems.error(
          [...pathOf('triggers'), 'crons'],
          'expected an array of cron expressions (strings); [] removes every schedule',
        )
    }
  }
  if (c.tail_consumers !== undefined) {
    const list = c.tail_consumers
    if (
      Array.isArray(list) &&
      list.every(
        (t) =>
          isRecord(t) &&
          typeof t.service === 'string' &&
          (t.environment === undefined || typeof t.environment === 'string'),
      )
    ) {
      settings.tailConsumers = list.map((t) => ({
        service: t.service as string,
        ...(t.environment !== undefined && { environment: t.environment as string }),
      }))
    } else
      problems.error(
        pathOf('tail_consumers'),
        'expected an array of { "service": "<Worker name>" }',
      )
  }
  return settings
}

function readRoutes(ctx: MapContext, c: Record<string, unknown>): RouteSetting[] {
  const { problems, pathOf } = ctx
  if (c.route !== undefined && c.routes !== undefined) {
    problems.error(
      pathOf('route'),
      'set either `route` or `routes`, not both (wrangler refuses both too)',
    )
    return []
  }
  const key = c.routes !== undefined ? 'routes' : 'route'
  const raw = c[key]
  if (raw === undefined) return []
  const list = key === 'route' ? [raw] : raw
  if (!Array.isArray(list)) {
    problems.error(
      pathOf(key),
      `expected an array of route patterns or { "pattern", "zone_name" | "zone_id" | "custom_domain" } objects, got ${describe(list)}`,
    )
    return []
  }
  const routes: RouteSetting[] = []
  list.forEach((item: unknown, index) => {
    const at = key === 'route' ? pathOf(key) : [...pathOf(key), index]
    if (typeof item === 'string' && item !== '') return routes.push({ pattern: item })
    if (!isRecord(item) || typeof item.pattern !== 'string' || item.pattern === '') {
      return problems.error(
        at,
        `expected a route pattern or an object with a "pattern", got ${describe(item)}`,
      )
    }
    const route: RouteSetting = { pattern: item.pattern }
    for (const field of ['zone_id', 'zone_name'] as const) {
      if (item[field] === undefined) continue
      if (typeof item[field] === 'string') route[field] = item[field]
      else problems.error([...at, field], `expected a string, got ${describe(item[field])}`)
    }
    for (const field of ['custom_domain', 'enabled', 'previews_enabled'] as const) {
      if (item[field] === undefined) continue
      if (typeof item[field] === 'boolean') route[field] = item[field]
      else problems.error([...at, field], `expected true or false, got ${describe(item[field])}`)
    }
    if (route.custom_domain === true && /[*/]/.test(route.pattern)) {
      problems.error(
        [...at, 'pattern'],
        'a Custom Domain is a hostname: no wildcard (*) and no path',
      )
    } else if (
      route.zone_id === undefined &&
      route.zone_name === undefined &&
      /^(?:https?:\/\/)?\*\//.test(route.pattern)
    ) {
      problems.error(
        [...at, 'pattern'],
        'a pattern without a host needs the zone: add "zone_name" or "zone_id"',
      )
    }
    routes.push(route)
  })
  return routes
}

function readConsumers(ctx: MapContext, c: Record<string, unknown>): QueueConsumerSetting[] {
  const queues = c.queues
  const list = isRecord(queues) ? queues.consumers : undefined
  if (list === undefined) return []
  const path = [...ctx.pathOf('queues'), 'consumers']
  if (!Array.isArray(list)) {
    ctx.problems.error(path, `expected an array, got ${describe(list)}`)
    return []
  }
  const consumers: QueueConsumerSetting[] = []
  list.forEach((item: unknown, index) => {
    if (!isRecord(item) || typeof item.queue !== 'string' || item.queue === '')
      return ctx.problems.error(
        [...path, index, 'queue'],
        'required: the name of the queue to consume',
      )
    const consumer: QueueConsumerSetting = { queue: item.queue }
    for (const field of CONSUMER_NUMBERS) {
      const value = item[field]
      if (value === undefined) continue
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0) consumer[field] = value
      else ctx.problems.error([...path, index, field], `expected a number, got ${describe(value)}`)
    }
    if (item.dead_letter_queue !== undefined) {
      if (typeof item.dead_letter_queue === 'string')
        consumer.dead_letter_queue = item.dead_letter_queue
      else
        ctx.problems.error(
          [...path, index, 'dead_letter_queue'],
          `expected a queue name, got ${describe(item.dead_letter_queue)}`,
        )
    }
    consumers.push(consumer)
  })
  return consumers
}

/** The Workflows this Worker defines: a `workflows` entry without `script_name`, or naming this Worker (as wrangler decides). */
function readWorkflows(
  ctx: MapContext,
  c: Record<string, unknown>,
  self: string | undefined,
): WorkflowSetting[] {
  const list = c.workflows
  if (!Array.isArray(list)) return [] // the binding mapper reports a wrong shape
  const workflows: WorkflowSetting[] = []
  list.forEach((item: unknown, index) => {
    if (!isRecord(item) || (item.script_name !== undefined && item.script_name !== self)) return
    const at = [...ctx.pathOf('workflows'), index]
    if (typeof item.name !== 'string' || typeof item.class_name !== 'string') {
      return ctx.problems.error(at, 'a Workflow this Worker defines needs "name" and "class_name"')
    }
    const workflow: WorkflowSetting = { name: item.name, class_name: item.class_name }
    if (isRecord(item.limits)) workflow.limits = item.limits
    if (item.concurrency !== undefined) workflow.concurrency = item.concurrency
    if (typeof item.schedules === 'string' || Array.isArray(item.schedules))
      workflow.schedules = item.schedules as string | string[]
    if (item.default_retention !== undefined) workflow.default_retention = item.default_retention
    if (typeof item.jurisdiction === 'string') workflow.jurisdiction = item.jurisdiction
    workflows.push(workflow)
  })
  return workflows
}

/**
 * `images.url_transformations` (wrangler 4.166+): `enabled` required, `allowed_origins` an optional
 * list of origins; the API takes nothing else. `images` itself is the Images binding's section, so
 * a config without the setting (or without `images`) gives none.
 */
function readUrlTransformations(
  ctx: MapContext,
  c: Record<string, unknown>,
): UrlTransformations | undefined {
  const value = isRecord(c.images) ? c.images.url_transformations : undefined
  if (value === undefined) return undefined
  const path = [...ctx.pathOf('images'), 'url_transformations']
  if (!isRecord(value)) {
    ctx.problems.error(
      path,
      `expected an object such as { "enabled": true }, got ${describe(value)}`,
    )
    return undefined
  }
  let ok = true
  for (const key of Object.keys(value))
    if (key !== 'enabled' && key !== 'allowed_origins') {
      ctx.problems.error([...path, key], 'not a field (known: enabled, allowed_origins)')
      ok = false
    }
  const { enabled, allowed_origins: origins } = value
  if (typeof enabled !== 'boolean') {
    ctx.problems.error(
      [...path, 'enabled'],
      enabled === undefined ? 'required' : `expected true or false, got ${describe(enabled)}`,
    )
    ok = false
  }
  if (
    origins !== undefined &&
    !(Array.isArray(origins) && origins.every((o) => typeof o === 'string' && o.trim() !== ''))
  ) {
    ctx.problems.error(
      [...path, 'allowed_origins'],
      'expected an array of origins (host names, or "*" for any)',
    )
    ok = false
  }
  if (!ok) return undefined
  return {
    enabled: enabled as boolean,
    ...(origins !== undefined && { allowed_origins: [...(origins as string[])] }),
  }
}
