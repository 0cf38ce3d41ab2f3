import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import type { Binding, VersionConfig } from '../options/version-schema.js'
import type { OutputBinding, OutputWorkerConfig } from './types.js'

// The Create Version fields of a build, as a Build Output `worker.config.json` declares them:
// bindings as an `env` record, camelCase settings, Durable Object migrations as `exports`.

type Fields = Record<string, unknown>

/** Each binding kind of the Versions API as a Build Output `env` entry; `self` is the Worker's own name. */
const TO_ENV: Record<string, (b: Fields, self: string) => Fields> = {
  plain_text: (b) => ({ type: 'text', value: b.text }),
  json: (b) => ({ type: 'json', value: b.json }),
  // Only that the Worker needs it: a secret's value never goes into a file.
  secret_text: () => ({ type: 'secret' }),
  kv_namespace: (b) => ({ type: 'kv', id: b.namespace_id }),
  d1: (b) => ({ type: 'd1', id: b.database_id ?? b.id }),
  r2_bucket: (b) => ({ type: 'r2', name: b.bucket_name, jurisdiction: b.jurisdiction }),
  service: (b) => ({ type: 'worker', worker: b.service, exportName: b.entrypoint, props: b.props }),
  durable_object_namespace: (b, self) => ({
    type: 'durable-object',
    worker: b.script_name ?? self,
    exportName: b.class_name,
  }),
  workflow: (b, self) => ({
    type: 'workflow',
    name: b.workflow_name,
    worker: b.script_name ?? self,
    exportName: b.class_name,
  }),
  queue: (b) => ({ type: 'queue', name: b.queue_name, deliveryDelay: b.delivery_delay }),
  vectorize: (b) => ({ type: 'vectorize', name: b.index_name }),
  hyperdrive: (b) => ({ type: 'hyperdrive', id: b.id }),
  analytics_engine: (b) => ({ type: 'analytics-engine-dataset', name: b.dataset }),
  mtls_certificate: (b) => ({ type: 'mtls-certificate', id: b.certificate_id }),
  secrets_store_secret: (b) => ({
    type: 'secrets-store-secret',
    storeId: b.store_id,
    secretName: b.secret_name,
  }),
  ratelimit: (b) => ({ type: 'rate-limit', namespace: b.namespace_id, simple: b.simple }),
  send_email: (b) => ({
    type: 'send-email',
    destinationAddress: b.destination_address,
    allowedDestinationAddresses: b.allowed_destination_addresses,
    allowedSenderAddresses: b.allowed_sender_addresses,
  }),
  dispatch_namespace: (b) => {
    const out = isRecord(b.outbound) ? b.outbound : undefined
    const worker = out && isRecord(out.worker) ? out.worker.service : undefined
    const parameters =
      out && Array.isArray(out.params)
        ? out.params.map((p: unknown) => (isRecord(p) ? p.name : p))
        : undefined
    return {
      type: 'dispatch-namespace',
      namespace: b.namespace,
      outbound: worker === undefined ? undefined : withoutUndefined({ worker, parameters }),
    }
  },
  vpc_service: (b) => ({ type: 'vpc-service', id: b.service_id }),
  vpc_network: (b) => ({ type: 'vpc-network', tunnelId: b.tunnel_id, networkId: b.network_id }),
  pipelines: (b) => ({ type: 'pipeline', name: b.pipeline }),
  ai_search: (b) => ({ type: 'ai-search', name: b.instance_name }),
  ai_search_namespace: (b) => ({ type: 'ai-search-namespace', namespace: b.namespace }),
  artifacts: (b) => ({ type: 'artifacts', namespace: b.namespace }),
  flagship: (b) => ({ type: 'flagship', id: b.app_id }),
  worker_loader: () => ({ type: 'worker-loader' }),
  agent_memory: (b) => ({ type: 'agent-memory', namespace: b.namespace }),
  k2: (b) => ({ type: 'k2', stream: b.stream }),
  analytics: () => ({ type: 'analytics' }),
  logfwdr: (b) => ({ type: 'logfwdr', destination: b.destination }),
  ai: () => ({ type: 'ai' }),
  browser: () => ({ type: 'browser' }),
  images: () => ({ type: 'images' }),
  stream: () => ({ type: 'stream' }),
  media: () => ({ type: 'media' }),
  version_metadata: () => ({ type: 'version-metadata' }),
  assets: () => ({ type: 'assets' }),
}

function withoutUndefined<T extends Fields>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as T
}

function fail(message: string): never {
  throw new WorkersVersionError('INVALID_BUILD_OUTPUT', `buildOutput: ${message}`)
}

function envOf(
  bindings: readonly Binding[],
  inherit: readonly string[],
  self: string,
): Record<string, OutputBinding> {
  const env: Record<string, OutputBinding> = {}
  const unwritable: string[] = []
  for (const binding of bindings) {
    const { name, type, ...fields } = binding as Fields & { name: string; type: string }
    const convert = TO_ENV[type]
    if (convert) env[name] = withoutUndefined(convert(fields, self)) as OutputBinding
    else unwritable.push(`${name} (${type})`)
  }
  if (unwritable.length > 0)
    fail(
      `these bindings have no Build Output form: ${unwritable.join(', ')}. Leave \`buildOutput\` off, or declare them another way.`,
    )
  // Secrets kept from the deployed version are still secrets the Worker needs.
  for (const name of inherit) env[name] ??= { type: 'secret' }
  return env
}

/** Durable Object migrations as the `exports` Build Output declares classes by. */
function exportsOf(migrations: VersionConfig['migrations']): Record<string, Fields> | undefined {
  if (!isRecord(migrations)) return undefined
  const steps: unknown[] =
    'steps' in migrations && Array.isArray(migrations.steps) ? migrations.steps : [migrations]
  const exports: Record<string, Fields> = {}
  for (const step of steps.filter(isRecord)) {
    for (const name of (step.new_sqlite_classes as string[] | undefined) ?? [])
      exports[name] = { type: 'durable-object', storage: 'sqlite' }
    for (const name of (step.new_classes as string[] | undefined) ?? [])
      exports[name] = { type: 'durable-object', storage: 'legacy-kv' }
    for (const name of (step.deleted_classes as string[] | undefined) ?? [])
      exports[name] = { type: 'durable-object', state: 'deleted' }
    for (const item of (step.renamed_classes as Array<{ from: string; to: string }> | undefined) ??
      []) {
      exports[item.from] = { type: 'durable-object', state: 'renamed', renamedTo: item.to }
    }
    if (step.transferred_classes !== undefined)
      fail('transferred Durable Object classes have no Build Output form yet.')
  }
  return Object.keys(exports).length > 0 ? exports : undefined
}

/**
 * The `worker.config.json` of a version (without its manifest). `inherit` names the secrets kept
 * from the deployed version. Throws for what Build Output cannot say, rather than leave it out.
 */
export function workerConfigOf(
  name: string,
  config: VersionConfig,
  inherit: readonly string[],
): OutputWorkerConfig {
  if (config.compatibility_date === undefined)
    fail(
      'Build Output needs a compatibility date; set `version.compatibility_date` (or `compatibility_date` in the wrangler config).',
    )
  const assetsConfig = config.assets?.config
  const limits = config.limits as Fields | undefined
  const cache = config.cache_options
  return withoutUndefined({
    name,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    assets:
      assetsConfig &&
      withoutUndefined({
        htmlHandling: assetsConfig.html_handling,
        notFoundHandling: assetsConfig.not_found_handling,
        runWorkerFirst: assetsConfig.run_worker_first as boolean | string[] | undefined,
      }),
    placement: config.placement as Fields | undefined,
    limits:
      limits &&
      withoutUndefined({
        cpuMs: limits.cpu_ms as number | undefined,
        subrequests: limits.subrequests as number | undefined,
      }),
    cache:
      cache &&
      withoutUndefined({ enabled: cache.enabled, crossVersionCache: cache.cross_version_cache }),
    env: envOf(config.bindings ?? [], inherit, name),
    exports: exportsOf(config.migrations),
  })
}
