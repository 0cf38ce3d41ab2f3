import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import type { OutputBinding, OutputWorkerConfig } from './types.js'

// A Build Output Worker config (camelCase, bindings as an `env` record) in wrangler's own keys, so
// that one mapper (src/wrangler) turns both into the Create Version body the same way.

type Raw = Record<string, unknown>

/** Where wrangler declares a binding kind of `env`, and its item there. */
interface WranglerPlace {
  section: string
  /** The array inside the section (`queues.producers`, `durable_objects.bindings`). */
  list?: string
  /** One object, not an array (`ai`, `browser`, ...). */
  single?: boolean
  /** `self` is the Worker's own name: a binding to one of its own classes names no other script, as in wrangler. */
  item: (name: string, b: OutputBinding, self: string) => Raw
}

const named = (name: string) => ({ binding: name })

const PLACES: Record<string, WranglerPlace> = {
  kv: { section: 'kv_namespaces', item: (n, b) => ({ binding: n, id: b.id }) },
  d1: {
    section: 'd1_databases',
    item: (n, b) => ({ binding: n, database_id: b.id, database_name: b.name }),
  },
  r2: {
    section: 'r2_buckets',
    item: (n, b) => ({ binding: n, bucket_name: b.name, jurisdiction: b.jurisdiction }),
  },
  queue: {
    section: 'queues',
    list: 'producers',
    item: (n, b) => ({ binding: n, queue: b.name, delivery_delay: b.deliveryDelay }),
  },
  'durable-object': {
    section: 'durable_objects',
    list: 'bindings',
    item: (n, b, self) => ({
      name: n,
      class_name: b.exportName,
      script_name: b.worker === self ? undefined : b.worker,
    }),
  },
  workflow: {
    section: 'workflows',
    item: (n, b, self) => ({
      binding: n,
      name: b.name,
      class_name: b.exportName,
      script_name: b.worker === self ? undefined : b.worker,
    }),
  },
  worker: {
    section: 'services',
    item: (n, b) => ({ binding: n, service: b.worker, entrypoint: b.exportName, props: b.props }),
  },
  vectorize: { section: 'vectorize', item: (n, b) => ({ binding: n, index_name: b.name }) },
  hyperdrive: { section: 'hyperdrive', item: (n, b) => ({ binding: n, id: b.id }) },
  'analytics-engine-dataset': {
    section: 'analytics_engine_datasets',
    item: (n, b) => ({ binding: n, dataset: b.name }),
  },
  'mtls-certificate': {
    section: 'mtls_certificates',
    item: (n, b) => ({ binding: n, certificate_id: b.id }),
  },
  'secrets-store-secret': {
    section: 'secrets_store_secrets',
    item: (n, b) => ({ binding: n, store_id: b.storeId, secret_name: b.secretName }),
  },
  'rate-limit': {
    section: 'ratelimits',
    item: (n, b) => ({ name: n, namespace_id: b.namespace, simple: b.simple }),
  },
  'send-email': {
    section: 'send_email',
    item: (n, b) => ({
      name: n,
      destination_address: b.destinationAddress,
      allowed_destination_addresses: b.allowedDestinationAddresses,
      allowed_sender_addresses: b.allowedSenderAddresses,
    }),
  },
  'dispatch-namespace': {
    section: 'dispatch_namespaces',
    item: (n, b) => {
      const out = isRecord(b.outbound)
        ? { service: b.outbound.worker, parameters: b.outbound.parameters }
        : undefined
      return { binding: n, namespace: b.namespace, outbound: out }
    },
  },
  'vpc-service': { section: 'vpc_services', item: (n, b) => ({ binding: n, service_id: b.id }) },
  'vpc-network': {
    section: 'vpc_networks',
    item: (n, b) => ({ binding: n, tunnel_id: b.tunnelId, network_id: b.networkId }),
  },
  pipeline: { section: 'pipelines', item: (n, b) => ({ binding: n, pipeline: b.name }) },
  'ai-search': { section: 'ai_search', item: (n, b) => ({ binding: n, instance_name: b.name }) },
  'ai-search-namespace': {
    section: 'ai_search_namespaces',
    item: (n, b) => ({ binding: n, namespace: b.namespace }),
  },
  artifacts: { section: 'artifacts', item: (n, b) => ({ binding: n, namespace: b.namespace }) },
  flagship: { section: 'flagship', item: (n, b) => ({ binding: n, app_id: b.id }) },
  'worker-loader': { section: 'worker_loaders', item: named },
  'agent-memory': {
    section: 'agent_memory',
    item: (n, b) => ({ binding: n, namespace: b.namespace }),
  },
  k2: { section: 'k2', item: (n, b) => ({ binding: n, stream: b.stream }) },
  analytics: { section: 'analytics', single: true, item: named },
  logfwdr: {
    section: 'logfwdr',
    list: 'bindings',
    item: (n, b) => ({ name: n, destination: b.destination }),
  },
  ai: { section: 'ai', single: true, item: named },
  browser: { section: 'browser', single: true, item: named },
  images: { section: 'images', single: true, item: named },
  stream: { section: 'stream', single: true, item: named },
  media: { section: 'media', single: true, item: named },
  'version-metadata': { section: 'version_metadata', single: true, item: named },
}

/** `unsafe:<type>` bindings go to the API as written, as wrangler's `unsafe.bindings` do (without their local `dev` part). */
const UNSAFE: WranglerPlace = {
  section: 'unsafe',
  list: 'bindings',
  item: (name, { type, dev: _dev, ...fields }) => ({
    ...fields,
    name,
    type: type.slice('unsafe:'.length),
  }),
}

/** Worker settings of the Build Output config that neither a version carries nor a promote applies. */
const NOT_VERSION_SETTINGS = new Set(['access', 'firstPartyWorker', 'unsafe'])

/** The fields this conversion reads; `manifest` is the reader's. */
const READ = new Set([
  'name',
  'compatibilityDate',
  'compatibilityFlags',
  'placement',
  'limits',
  'cache',
  'env',
  'assets',
  'manifest',
  'domains',
  'triggers',
  'tailConsumers',
  'logpush',
  'observability',
  'workersDev',
  'previewUrls',
  'exports',
])

const SNAKE = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/** camelCase keys, at every depth, in wrangler's snake_case (`headSamplingRate` → `head_sampling_rate`). */
function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys)
  if (!isRecord(value)) return value
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [SNAKE(key), snakeKeys(item)]),
  )
}

/**
 * The settings a promote applies, in wrangler's keys, converted as wrangler 4.164 converts the new
 * config: `triggers` (scheduled → crons, fetch → routes, queue → consumers), `domains` (Custom
 * Domains), `tailConsumers`, `observability`, `logpush`, `workersDev`, `previewUrls`. A trigger of
 * another kind (email, connect) has no place in a deploy here and is reported.
 */
function convertDeploySettings(config: OutputWorkerConfig, raw: Raw, warnings: string[]): void {
  const crons: unknown[] = []
  const routes: unknown[] = []
  const consumers: unknown[] = []
  const skipped = new Map<string, number>()
  for (const trigger of Array.isArray(config.triggers) ? config.triggers : []) {
    if (!isRecord(trigger)) continue
    if (trigger.type === 'scheduled') crons.push(trigger.schedule)
    else if (trigger.type === 'fetch') {
      const zone = trigger.zone
      routes.push(
        typeof zone !== 'string'
          ? trigger.pattern
          : { pattern: trigger.pattern, [zone.includes('.') ? 'zone_name' : 'zone_id']: zone },
      )
    } else if (trigger.type === 'queue') {
      const { type: _type, name, ...settings } = trigger
      consumers.push(withoutUndefined({ queue: name, ...(snakeKeys(settings) as Raw) }))
    } else skipped.set(String(trigger.type), (skipped.get(String(trigger.type)) ?? 0) + 1)
  }
  // One line for all of them, however many there are.
  if (skipped.size > 0) {
    const kinds = [...skipped]
      .slice(0, 5)
      .map(([type, n]) => `${n > 1 ? `${n}× ` : ''}${JSON.stringify(type.slice(0, 40))}`)
    const more = skipped.size > 5 ? ` and ${skipped.size - 5} other types` : ''
    warnings.push(
      `triggers: ${skipped.size === 1 && [...skipped.values()][0] === 1 ? 'a trigger' : 'triggers'} of type ${kinds.join(', ')}${more} ${skipped.size === 1 && [...skipped.values()][0] === 1 ? 'is' : 'are'} not applied by this plugin; not sent`,
    )
  }
  for (const domain of Array.isArray(config.domains) ? config.domains : []) {
    routes.push(
      isRecord(domain)
        ? withoutUndefined({
            pattern: domain.hostname,
            custom_domain: true,
            enabled: domain.production,
            previews_enabled: domain.previews,
          })
        : { pattern: domain, custom_domain: true },
    )
  }
  if (crons.length > 0) raw.triggers = { crons }
  if (routes.length > 0) raw.routes = routes
  if (consumers.length > 0) raw.queues = { ...(isRecord(raw.queues) ? raw.queues : {}), consumers }
  if (Array.isArray(config.tailConsumers) && config.tailConsumers.length > 0) {
    raw.tail_consumers = config.tailConsumers.map((consumer: unknown) => ({
      service: isRecord(consumer) ? consumer.worker : consumer,
    }))
  }
  if (config.observability !== undefined) raw.observability = snakeKeys(config.observability)
  if (config.logpush !== undefined) raw.logpush = config.logpush
  if (config.workersDev !== undefined) raw.workers_dev = config.workersDev
  if (config.previewUrls !== undefined) raw.preview_urls = config.previewUrls
}

const withoutUndefined = (item: Raw): Raw =>
  Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined))

function place(raw: Raw, where: WranglerPlace, item: Raw): void {
  if (where.single) {
    raw[where.section] = item
    return
  }
  if (where.list) {
    const section = (raw[where.section] ??= {}) as Raw
    ;((section[where.list] ??= []) as Raw[]).push(item)
    return
  }
  ;((raw[where.section] ??= []) as Raw[]).push(item)
}

/**
 * The wrangler config equivalent of a Worker's `worker.config.json`: what a version carries, in
 * wrangler's keys. `assetsDirectory` is the Worker's `assets/` relative to the config file, when
 * there is one. Returns the warnings for what has no place in a version.
 */
export function toWranglerConfig(
  config: OutputWorkerConfig,
  assetsDirectory: string | undefined,
): { raw: Raw; warnings: string[] } {
  const raw: Raw = { name: config.name, compatibility_date: config.compatibilityDate }
  const warnings: string[] = []
  if (config.compatibilityFlags !== undefined) raw.compatibility_flags = config.compatibilityFlags
  if (config.placement !== undefined) raw.placement = config.placement
  if (config.limits !== undefined)
    raw.limits = withoutUndefined({
      cpu_ms: config.limits.cpuMs,
      subrequests: config.limits.subrequests,
    })
  // Export names are class names, kept as written; their fields in wrangler's keys (`renamedTo` → `renamed_to`).
  if (isRecord(config.exports))
    raw.exports = Object.fromEntries(
      Object.entries(config.exports).map(([name, entry]) => [name, snakeKeys(entry)]),
    )
  else if (config.exports !== undefined) raw.exports = config.exports
  if (isRecord(config.cache))
    raw.cache = withoutUndefined({
      enabled: config.cache.enabled,
      cross_version_cache: config.cache.crossVersionCache,
    })

  const vars: Raw = {}
  const secrets: string[] = []
  let assetsBinding: string | undefined
  for (const [name, binding] of Object.entries(config.env ?? {})) {
    const type = String(binding.type)
    if (type === 'text' || type === 'json') vars[name] = binding.value
    else if (type === 'secret') secrets.push(name)
    else if (type === 'assets') assetsBinding = name
    else if (type.startsWith('unsafe:')) place(raw, UNSAFE, UNSAFE.item(name, binding, config.name))
    else if (Object.hasOwn(PLACES, type))
      place(raw, PLACES[type]!, withoutUndefined(PLACES[type]!.item(name, binding, config.name)))
    // The reader refuses the config first (`unknownParts`); never dropped silently.
    else
      throw new WorkersVersionError(
        'INVALID_BUILD_OUTPUT',
        `Build Output: env.${name} has type ${JSON.stringify(type)}, which this plugin cannot send.`,
      )
  }
  if (Object.keys(vars).length > 0) raw.vars = vars
  if (secrets.length > 0) raw.secrets = { required: secrets }

  if (config.assets !== undefined || assetsBinding !== undefined || assetsDirectory !== undefined) {
    const a = config.assets ?? {}
    raw.assets = withoutUndefined({
      directory: assetsDirectory,
      binding: assetsBinding,
      html_handling: a.htmlHandling,
      not_found_handling: a.notFoundHandling,
      run_worker_first: a.runWorkerFirst,
    })
    if (a.basePath !== undefined)
      warnings.push("assets.basePath: not part of a version's assets config; not sent")
  }
  convertDeploySettings(config, raw, warnings)
  for (const key of Object.keys(config)) {
    if (NOT_VERSION_SETTINGS.has(key))
      warnings.push(
        `${key}: a Worker setting that a deploy applies, not part of a version; not sent`,
      )
  }
  return { raw, warnings }
}

/** Binding types of `env` that are sent as something else than a wrangler section. */
const OWN_TYPES = new Set(['text', 'json', 'secret', 'assets'])

/**
 * What a Worker config holds that this conversion does not know, as paths (`experimental`,
 * `env.DB (type "future_database")`): a field of a newer format, or a binding type with no
 * mapping here. The reader refuses a config that has any, since dropping it would deploy a
 * Worker without it.
 */
export function unknownParts(config: OutputWorkerConfig): string[] {
  const fields = Object.keys(config).filter(
    (key) => !READ.has(key) && !NOT_VERSION_SETTINGS.has(key),
  )
  const bindings = Object.entries(isRecord(config.env) ? config.env : {})
    .filter(([, binding]) => {
      const type = String(binding.type)
      return !OWN_TYPES.has(type) && !type.startsWith('unsafe:') && !Object.hasOwn(PLACES, type)
    })
    .map(([name, binding]) => `env.${quoted(name)} (type "${quoted(String(binding.type))}")`)
  return [...fields.map(quoted), ...bindings]
}

/** A key as it may be shown in one log line: control characters escaped, at most 80 characters. */
function quoted(key: string): string {
  const escaped = JSON.stringify(key).slice(1, -1)
  return escaped.length > 80 ? `${escaped.slice(0, 79)}…` : escaped
}
