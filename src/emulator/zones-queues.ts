/**
 * Routes, Custom Domains and queue consumers: the parts of a deploy that attach a Worker to
 * something else (a zone, a queue). Zones and queues are given when the emulator starts
 * (`EmulatorOptions.zones` / `.queues`); nothing creates them on the fly, so a name that does not
 * exist fails as on Cloudflare.
 *
 * - `GET  /zones?name=…&account.id=…`: zones by name (how wrangler finds a route's zone)
 * - `PUT  /accounts/:a/workers/scripts/:s/routes` `[{pattern, zone_id? | zone_name?}]`: the Worker's routes, replaced
 * - `GET|POST /zones/:zone/workers/routes` `{pattern, script}` (wrangler's check, and its per-zone fallback)
 * - `POST /accounts/:a/workers/scripts/:s/domains/changeset` (wrangler's preview of a change) and
 *   `PUT …/domains/records` `{override_scope, override_existing_origin, override_existing_dns_record, origins}`
 * - `GET  /accounts/:a/queues?name=…`: queues with their consumers
 * - `POST /accounts/:a/queues/:id/consumers`, `PUT …/consumers/:consumer` `{type: "worker", script_name, settings, dead_letter_queue?}`
 */
import { randomUUID } from 'node:crypto'
import type { ApiContext, ApiRequest, Route } from './api.js'
import { workerNotFound } from './create-version.js'
import { Code, failOne, ok, pointer, type ApiReply } from './envelope.js'
import type { EmulatorCustomDomain, EmulatorQueueConsumer, EmulatorRoute } from './types.js'

const SEGMENT = '([^/]+)'
const SCRIPT = `^/accounts/${SEGMENT}/workers/scripts/${SEGMENT}`
const QUEUES = `^/accounts/${SEGMENT}/queues`

export const ZONE_AND_QUEUE_ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/zones\/?$/, handler: listZones, zoneScoped: true },
  {
    method: 'GET',
    pattern: new RegExp(`^/zones/${SEGMENT}/workers/routes/?$`),
    handler: listRoutes,
    zoneScoped: true,
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/zones/${SEGMENT}/workers/routes/?$`),
    handler: postRoute,
    zoneScoped: true,
  },
  { method: 'PUT', pattern: new RegExp(`${SCRIPT}/routes/?$`), handler: putScriptRoutes },
  {
    method: 'POST',
    pattern: new RegExp(`${SCRIPT}/domains/changeset/?$`),
    handler: domainsChangeset,
  },
  { method: 'PUT', pattern: new RegExp(`${SCRIPT}/domains/records/?$`), handler: putDomains },
  { method: 'GET', pattern: new RegExp(`${QUEUES}/?$`), handler: listQueues },
  {
    method: 'POST',
    pattern: new RegExp(`${QUEUES}/${SEGMENT}/consumers/?$`),
    handler: postConsumer,
  },
  {
    method: 'PUT',
    pattern: new RegExp(`${QUEUES}/${SEGMENT}/consumers/${SEGMENT}/?$`),
    handler: putConsumer,
  },
]

/** Codes of the zones, Custom Domains and Queues APIs for the cases modelled. */
const ZONE_NOT_FOUND = 7003
const ROUTE_EXISTS = 10020
const DOMAIN_TAKEN = 100117
const QUEUE_NOT_FOUND = 11000
const CONSUMER_EXISTS = 11004
const CONSUMER_INVALID = 11003

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const invalid = (message: string, at: string, code: number = Code.validation) =>
  failOne(400, code, message, at)

function listZones(ctx: ApiContext, req: ApiRequest): ApiReply {
  const name = req.query.get('name')
  const account = req.query.get('account.id')
  if (account !== null && account !== ctx.accountId) return ok([])
  return ok(
    ctx.zones
      .filter((z) => name === null || z.name === name)
      .map((z) => ({ id: z.id, name: z.name, account: { id: ctx.accountId }, status: 'active' })),
  )
}

/** The zone of `host`: the one whose name is the host or a parent domain of it. */
function zoneOfHost(ctx: ApiContext, host: string) {
  return ctx.zones.find((z) => host === z.name || host.endsWith(`.${z.name}`))
}

/** The host of a route pattern (`*.example.com/api/*` → `example.com`); undefined for a pattern without one. */
function patternHost(pattern: string): string | undefined {
  const bare = pattern.replace(/^https?:\/\//, '').replace(/^\*\.?/, '')
  const host = bare.split('/')[0] ?? ''
  return host === '' || host.includes('*') ? undefined : host.toLowerCase()
}

function listRoutes(ctx: ApiContext, _req: ApiRequest, [zoneId = '']: string[]): ApiReply {
  if (!ctx.zones.some((z) => z.id === zoneId))
    return failOne(
      404,
      ZONE_NOT_FOUND,
      `Could not route to /zones/${zoneId}, perhaps your object identifier is invalid?`,
    )
  return ok(
    ctx.routes
      .filter((r) => r.zone_id === zoneId)
      .map(({ id, pattern, script }) => ({ id, pattern, script })),
  )
}

function postRoute(ctx: ApiContext, req: ApiRequest, [zoneId = '']: string[]): ApiReply {
  const zone = ctx.zones.find((z) => z.id === zoneId)
  if (!zone)
    return failOne(
      404,
      ZONE_NOT_FOUND,
      `Could not route to /zones/${zoneId}, perhaps your object identifier is invalid?`,
    )
  const body = req.body
  if (!isObject(body) || typeof body.pattern !== 'string' || body.pattern === '')
    return invalid('pattern is required', '/pattern')
  const host = patternHost(body.pattern)
  if (host === undefined || !(host === zone.name || host.endsWith(`.${zone.name}`))) {
    return invalid(
      `The route pattern '${body.pattern}' is not on zone ${zone.name}`,
      '/pattern',
      10022,
    )
  }
  if (typeof body.script !== 'string' || !ctx.store.worker(ctx.accountId, body.script))
    return invalid(`Worker '${String(body.script)}' does not exist`, '/script', Code.workerNotFound)
  if (ctx.routes.some((r) => r.zone_id === zoneId && r.pattern === body.pattern))
    return failOne(
      409,
      ROUTE_EXISTS,
      `A route with the pattern '${body.pattern}' already exists`,
      '/pattern',
    )
  const route = {
    id: randomUUID().replaceAll('-', ''),
    zone_id: zoneId,
    pattern: body.pattern,
    script: body.script,
  }
  ctx.routes.push(route)
  return ok({ id: route.id, pattern: route.pattern, script: route.script })
}

/**
 * Replaces the Worker's routes. Each route's zone is its `zone_id`, its `zone_name`, or the zone of
 * the pattern's host, and must be one of the account's; the pattern must be on that zone; a pattern
 * routed to another Worker is refused.
 */
function putScriptRoutes(
  ctx: ApiContext,
  req: ApiRequest,
  [account = '', script = '']: string[],
): ApiReply {
  if (!ctx.store.worker(account, script)) return workerNotFound()
  const body = req.body
  if (!Array.isArray(body)) return invalid('The request body must be an array of routes', '')
  const routes: EmulatorRoute[] = []
  for (const [i, route] of body.entries()) {
    if (!isObject(route) || typeof route.pattern !== 'string' || route.pattern === '')
      return invalid('pattern is required', pointer(i, 'pattern'))
    const host = patternHost(route.pattern)
    const zone =
      typeof route.zone_id === 'string'
        ? ctx.zones.find((z) => z.id === route.zone_id)
        : typeof route.zone_name === 'string'
          ? ctx.zones.find((z) => z.name === route.zone_name)
          : host === undefined
            ? undefined
            : zoneOfHost(ctx, host)
    if (!zone)
      return failOne(
        404,
        ZONE_NOT_FOUND,
        `No zone of this account for the route '${route.pattern}'`,
        pointer(i),
      )
    if (host === undefined || !(host === zone.name || host.endsWith(`.${zone.name}`)))
      return invalid(
        `The route pattern '${route.pattern}' is not on zone ${zone.name}`,
        pointer(i, 'pattern'),
        10022,
      )
    const owner = ctx.routes.find(
      (r) => r.zone_id === zone.id && r.pattern === route.pattern && r.script !== script,
    )
    if (owner)
      return failOne(
        409,
        ROUTE_EXISTS,
        `The route '${route.pattern}' is already routed to Worker '${owner.script}'`,
        pointer(i, 'pattern'),
      )
    const kept = ctx.routes.find((r) => r.zone_id === zone.id && r.pattern === route.pattern)
    routes.push({
      id: kept?.id ?? randomUUID().replaceAll('-', ''),
      zone_id: zone.id,
      pattern: route.pattern,
      script,
    })
  }
  const others = ctx.routes.filter((r) => r.script !== script)
  ctx.routes.splice(0, ctx.routes.length, ...others, ...routes)
  return ok(routes.map(({ id, pattern, script: s }) => ({ id, pattern, script: s })))
}

interface Origin {
  hostname: string
  zone_id?: string
  zone_name?: string
  enabled?: boolean
  previews_enabled?: boolean
}

/** Checks `origins`: hostnames on a known zone, matching the `zone_id`/`zone_name` given. Returns the domains or the reply refusing them. */
function checkOrigins(
  ctx: ApiContext,
  origins: unknown,
  at: string,
): { domains: Array<Origin & { zone_id: string; zone_name: string }> } | { reply: ApiReply } {
  if (!Array.isArray(origins)) return { reply: invalid('origins must be an array', at) }
  const domains: Array<Origin & { zone_id: string; zone_name: string }> = []
  for (const [i, origin] of origins.entries()) {
    if (!isObject(origin) || typeof origin.hostname !== 'string' || origin.hostname === '')
      return { reply: invalid('hostname is required', `${at}${pointer(i, 'hostname')}`) }
    const hostname = origin.hostname.toLowerCase()
    if (/[*/]/.test(hostname))
      return {
        reply: invalid(
          `A Custom Domain is a hostname, not a pattern: '${origin.hostname}'`,
          `${at}${pointer(i, 'hostname')}`,
        ),
      }
    const zone = zoneOfHost(ctx, hostname)
    if (
      !zone ||
      (origin.zone_id !== undefined && origin.zone_id !== zone.id) ||
      (origin.zone_name !== undefined && origin.zone_name !== zone.name)
    ) {
      return {
        reply: failOne(
          404,
          ZONE_NOT_FOUND,
          `No zone of this account serves '${origin.hostname}'${origin.zone_id || origin.zone_name ? ' (as given by zone_id/zone_name)' : ''}`,
          `${at}${pointer(i)}`,
        ),
      }
    }
    domains.push({
      ...(origin as unknown as Origin),
      hostname,
      zone_id: zone.id,
      zone_name: zone.name,
    })
  }
  return { domains }
}

function domainsChangeset(
  ctx: ApiContext,
  req: ApiRequest,
  [account = '', script = '']: string[],
): ApiReply {
  if (!ctx.store.worker(account, script)) return workerNotFound()
  const checked = checkOrigins(ctx, req.body, '')
  if ('reply' in checked) return checked.reply
  const current = (hostname: string) => ctx.customDomains.find((d) => d.hostname === hostname)
  return ok({
    added: checked.domains.filter((d) => !current(d.hostname)),
    updated: checked.domains
      .filter((d) => current(d.hostname))
      .map((d) => ({
        ...d,
        id: current(d.hostname)?.id,
        modified: current(d.hostname)?.service !== script,
      })),
    removed:
      req.query.get('replace_state') === 'true'
        ? ctx.customDomains.filter(
            (d) => d.service === script && !checked.domains.some((n) => n.hostname === d.hostname),
          )
        : [],
    conflicting: [],
  })
}

function putDomains(
  ctx: ApiContext,
  req: ApiRequest,
  [account = '', script = '']: string[],
): ApiReply {
  if (!ctx.store.worker(account, script)) return workerNotFound()
  const body = req.body
  if (!isObject(body)) return invalid('The request body must be a JSON object', '')
  for (const flag of [
    'override_scope',
    'override_existing_origin',
    'override_existing_dns_record',
  ]) {
    if (body[flag] !== undefined && typeof body[flag] !== 'boolean')
      return invalid(`${flag} must be a boolean`, pointer(flag))
  }
  const checked = checkOrigins(ctx, body.origins, '/origins')
  if ('reply' in checked) return checked.reply
  for (const [i, domain] of checked.domains.entries()) {
    const holder = ctx.customDomains.find((d) => d.hostname === domain.hostname)
    if (holder && holder.service !== script && body.override_existing_origin !== true) {
      return failOne(
        409,
        DOMAIN_TAKEN,
        `'${domain.hostname}' is already a Custom Domain of Worker '${holder.service}'; set override_existing_origin to move it`,
        pointer('origins', i),
      )
    }
  }
  const kept = ctx.customDomains.filter(
    (d) =>
      !checked.domains.some((n) => n.hostname === d.hostname) &&
      !(body.override_scope === true && d.service === script),
  )
  const added: EmulatorCustomDomain[] = checked.domains.map((d) => ({
    id:
      ctx.customDomains.find((old) => old.hostname === d.hostname)?.id ??
      randomUUID().replaceAll('-', ''),
    hostname: d.hostname,
    zone_id: d.zone_id,
    zone_name: d.zone_name,
    service: script,
    environment: 'production',
    enabled: d.enabled ?? true,
    previews_enabled: d.previews_enabled ?? false,
  }))
  ctx.customDomains.splice(0, ctx.customDomains.length, ...kept, ...added)
  return ok(added)
}

function listQueues(ctx: ApiContext, req: ApiRequest, [account = '']: string[]): ApiReply {
  const names = req.query.getAll('name')
  const queues = ctx.queues.filter(
    (q) => q.accountId === account && (names.length === 0 || names.includes(q.queue_name)),
  )
  return ok(
    queues.map(({ queue_id, queue_name, consumers }) => ({
      queue_id,
      queue_name,
      consumers,
      producers: [],
      consumers_total_count: consumers.length,
    })),
  )
}

/** What a consumer body may hold; ranges are the Queues limits. */
const CONSUMER_SETTINGS: Record<string, [min: number, max: number]> = {
  batch_size: [1, 100],
  max_retries: [0, 100],
  max_wait_time_ms: [0, 60_000],
  max_concurrency: [1, 250],
  retry_delay: [0, 43_200],
}

function checkConsumer(
  ctx: ApiContext,
  account: string,
  body: unknown,
): { consumer: Omit<EmulatorQueueConsumer, 'consumer_id' | 'created_on'> } | { reply: ApiReply } {
  if (!isObject(body)) return { reply: invalid('The request body must be a JSON object', '') }
  if (body.type !== 'worker')
    return {
      reply: invalid(
        'Only "worker" consumers are modelled by the emulator',
        '/type',
        CONSUMER_INVALID,
      ),
    }
  const script = body.script_name
  if (typeof script !== 'string' || !ctx.store.worker(account, script))
    return {
      reply: invalid(`Worker '${String(script)}' does not exist`, '/script_name', CONSUMER_INVALID),
    }
  if (!ctx.store.currentDeployment(account, script))
    return {
      reply: invalid(
        `Worker '${script}' has no deployed version to consume messages`,
        '/script_name',
        CONSUMER_INVALID,
      ),
    }
  const settings = body.settings ?? {}
  if (!isObject(settings)) return { reply: invalid('settings must be an object', '/settings') }
  for (const [key, value] of Object.entries(settings)) {
    const range = CONSUMER_SETTINGS[key]
    if (!range)
      return { reply: invalid(`Unknown consumer setting '${key}'`, pointer('settings', key)) }
    if (typeof value !== 'number' || value < range[0] || value > range[1])
      return {
        reply: invalid(
          `settings.${key} must be a number from ${range[0]} to ${range[1]}`,
          pointer('settings', key),
        ),
      }
  }
  const dlq = body.dead_letter_queue
  if (dlq !== undefined && typeof dlq !== 'string')
    return { reply: invalid('dead_letter_queue must be a queue name', '/dead_letter_queue') }
  return {
    consumer: {
      type: 'worker',
      script,
      settings,
      ...(dlq !== undefined && { dead_letter_queue: dlq }),
    },
  }
}

function postConsumer(
  ctx: ApiContext,
  req: ApiRequest,
  [account = '', queueId = '']: string[],
): ApiReply {
  const queue = ctx.queues.find((q) => q.accountId === account && q.queue_id === queueId)
  if (!queue) return failOne(404, QUEUE_NOT_FOUND, `Queue ${queueId} does not exist`)
  const checked = checkConsumer(ctx, account, req.body)
  if ('reply' in checked) return checked.reply
  // A queue has one Worker consumer.
  const other = queue.consumers.find((c) => c.type === 'worker')
  if (other)
    return failOne(
      409,
      CONSUMER_EXISTS,
      `Queue ${queue.queue_name} already has a consumer (Worker '${other.script}')`,
    )
  const consumer: EmulatorQueueConsumer = {
    ...checked.consumer,
    consumer_id: randomUUID().replaceAll('-', ''),
    created_on: new Date().toISOString(),
  }
  queue.consumers.push(consumer)
  return ok(consumer)
}

function putConsumer(
  ctx: ApiContext,
  req: ApiRequest,
  [account = '', queueId = '', consumerId = '']: string[],
): ApiReply {
  const queue = ctx.queues.find((q) => q.accountId === account && q.queue_id === queueId)
  if (!queue) return failOne(404, QUEUE_NOT_FOUND, `Queue ${queueId} does not exist`)
  const index = queue.consumers.findIndex((c) => c.consumer_id === consumerId)
  if (index === -1)
    return failOne(
      404,
      QUEUE_NOT_FOUND,
      `Consumer ${consumerId} of queue ${queue.queue_name} does not exist`,
    )
  const checked = checkConsumer(ctx, account, req.body)
  if ('reply' in checked) return checked.reply
  const consumer: EmulatorQueueConsumer = {
    ...checked.consumer,
    consumer_id: consumerId,
    created_on: queue.consumers[index]!.created_on,
  }
  queue.consumers[index] = consumer
  return ok(consumer)
}
