// wrangler config sections → Create Version `bindings`, following what wrangler 4
// sends (`convertConfigToBindings` + `createWorkerUploadForm`), in the same order.
import type { Path, Problems } from './issues.js'
import { describe } from './issues.js'
import type { Binding } from './schema.js'
import { isRecord } from '../core/guards.js'

type Raw = Record<string, unknown>

/** What the section mappers share. */
export interface MapContext {
  problems: Problems
  warnings: string[]
  pathOf: (key: string) => Path
  bindings: Binding[]
}

/** `[field in the API]: key in the wrangler config`. */
type Fields = Record<string, string>

function push(ctx: MapContext, type: string, name: string, item: Raw, fields: Fields): void {
  const binding: Raw = { name, type }
  for (const [apiField, configKey] of Object.entries(fields)) {
    if (item[configKey] !== undefined) binding[apiField] = item[configKey]
  }
  ctx.bindings.push(binding as Binding)
}

/** The items of an array section, each checked to be an object with a string name. */
function* entries(ctx: MapContext, path: Path, value: unknown, nameKey: string): Generator<[Raw, string]> {
  if (value === undefined) return
  if (!Array.isArray(value)) {
    ctx.problems.error(path, `expected an array, got ${describe(value)}`)
    return
  }
  for (const [index, item] of value.entries()) {
    if (!isRecord(item)) {
      ctx.problems.error([...path, index], `expected an object, got ${describe(item)}`)
      continue
    }
    const name = item[nameKey]
    if (typeof name !== 'string') {
      ctx.problems.error([...path, index, nameKey], name === undefined ? 'required' : `expected a string, got ${describe(name)}`)
      continue
    }
    yield [item, name]
  }
}

function list(ctx: MapContext, config: Raw, section: string, type: string, fields: Fields, nameKey = 'binding'): void {
  for (const [item, name] of entries(ctx, ctx.pathOf(section), config[section], nameKey)) push(ctx, type, name, item, fields)
}

/** A section that may omit its resource id: wrangler provisions it; here the current version's binding is inherited. */
function listOrInherit(ctx: MapContext, config: Raw, section: string, type: string, idKey: string, fields: Fields): void {
  for (const [item, name] of entries(ctx, ctx.pathOf(section), config[section], 'binding')) {
    if (item[idKey] === undefined) {
      ctx.warnings.push(`${section}: "${name}" has no ${idKey}; sent as {type:"inherit"} (keeps the binding of the current version; wrangler's automatic provisioning is not supported)`)
      ctx.bindings.push({ name, type: 'inherit' } as Binding)
    } else {
      push(ctx, type, name, item, fields)
    }
  }
}

function single(ctx: MapContext, config: Raw, section: string, type: string, fields: Fields = {}): void {
  const value = config[section]
  if (value === undefined) return
  const path = ctx.pathOf(section)
  if (!isRecord(value)) return ctx.problems.error(path, `expected an object, got ${describe(value)}`)
  if (typeof value.binding !== 'string') return ctx.problems.error([...path, 'binding'], 'required')
  push(ctx, type, value.binding, value, fields)
}

function vars(ctx: MapContext, config: Raw, wantString: boolean): void {
  const value = config.vars
  if (value === undefined) return
  if (!isRecord(value)) {
    if (wantString) ctx.problems.error(ctx.pathOf('vars'), `expected an object, got ${describe(value)}`)
    return
  }
  for (const [name, v] of Object.entries(value)) {
    if ((typeof v === 'string') !== wantString) continue
    ctx.bindings.push((wantString ? { name, type: 'plain_text', text: v } : { name, type: 'json', json: v }) as Binding)
  }
}

function nested(ctx: MapContext, config: Raw, section: string, key: string): { path: Path; value: unknown } {
  const outer = config[section]
  const path = [...ctx.pathOf(section), key]
  if (outer === undefined) return { path, value: undefined }
  if (!isRecord(outer)) {
    ctx.problems.error(ctx.pathOf(section), `expected an object, got ${describe(outer)}`)
    return { path, value: undefined }
  }
  return { path, value: outer[key] }
}

function durableObjects(ctx: MapContext, config: Raw): void {
  const { path, value } = nested(ctx, config, 'durable_objects', 'bindings')
  for (const [item, name] of entries(ctx, path, value, 'name')) {
    push(ctx, 'durable_object_namespace', name, item, { class_name: 'class_name', script_name: 'script_name', environment: 'environment' })
  }
}

function queues(ctx: MapContext, config: Raw): void {
  const { path, value } = nested(ctx, config, 'queues', 'producers')
  for (const [item, name] of entries(ctx, path, value, 'binding')) {
    push(ctx, 'queue', name, item, { queue_name: 'queue', delivery_delay: 'delivery_delay' })
  }
  if (nested(ctx, config, 'queues', 'consumers').value !== undefined) {
    ctx.warnings.push('queues.consumers: consumers are Worker settings, not part of a version; not sent (use wrangler deploy)')
  }
}

function dispatchNamespaces(ctx: MapContext, config: Raw): void {
  for (const [item, name] of entries(ctx, ctx.pathOf('dispatch_namespaces'), config.dispatch_namespaces, 'binding')) {
    const binding: Raw = { name, type: 'dispatch_namespace', namespace: item.namespace }
    const out = item.outbound
    if (isRecord(out)) {
      const worker: Raw = { service: out.service }
      if (out.environment !== undefined) worker.environment = out.environment
      binding.outbound = { worker, ...(Array.isArray(out.parameters) && { params: out.parameters.map((p) => ({ name: p })) }) }
    }
    ctx.bindings.push(binding as Binding)
  }
}

function analyticsEngine(ctx: MapContext, config: Raw): void {
  for (const [item, name] of entries(ctx, ctx.pathOf('analytics_engine_datasets'), config.analytics_engine_datasets, 'binding')) {
    // wrangler documents the dataset as defaulting to the binding name.
    ctx.bindings.push({ name, type: 'analytics_engine', dataset: item.dataset ?? name } as Binding)
  }
}

function vpcNetworks(ctx: MapContext, config: Raw): void {
  for (const [item, name] of entries(ctx, ctx.pathOf('vpc_networks'), config.vpc_networks, 'binding')) {
    const id = item.tunnel_id !== undefined ? { tunnel_id: item.tunnel_id } : { network_id: item.network_id }
    ctx.bindings.push({ name, type: 'vpc_network', ...id } as Binding)
  }
}

function assetsBinding(ctx: MapContext, config: Raw): void {
  const assets = config.assets
  if (isRecord(assets) && assets.binding !== undefined) {
    if (typeof assets.binding !== 'string') return ctx.problems.error([...ctx.pathOf('assets'), 'binding'], 'expected a string')
    ctx.bindings.push({ name: assets.binding, type: 'assets' } as Binding)
  }
}

function unsafe(ctx: MapContext, config: Raw): void {
  const { path, value } = nested(ctx, config, 'unsafe', 'bindings')
  for (const [item, name] of entries(ctx, path, value, 'name')) {
    // wrangler sends unsafe bindings as they are written: `{ name, type, …fields }`.
    const { name: _name, type, ...rest } = item
    ctx.bindings.push({ name, type, ...rest } as Binding)
  }
  if (nested(ctx, config, 'unsafe', 'metadata').value !== undefined) {
    ctx.warnings.push('unsafe.metadata: raw metadata overrides are not applied to the version body')
  }
}

/** Every binding the wrangler config declares, in the order wrangler sends them. */
export function mapBindings(ctx: MapContext, c: Raw): void {
  vars(ctx, c, true)
  vars(ctx, c, false)
  listOrInherit(ctx, c, 'kv_namespaces', 'kv_namespace', 'id', { namespace_id: 'id' })
  list(ctx, c, 'send_email', 'send_email', {
    destination_address: 'destination_address',
    allowed_destination_addresses: 'allowed_destination_addresses',
    allowed_sender_addresses: 'allowed_sender_addresses',
  }, 'name')
  durableObjects(ctx, c)
  list(ctx, c, 'workflows', 'workflow', { workflow_name: 'name', class_name: 'class_name', script_name: 'script_name' })
  queues(ctx, c)
  listOrInherit(ctx, c, 'r2_buckets', 'r2_bucket', 'bucket_name', { bucket_name: 'bucket_name', jurisdiction: 'jurisdiction' })
  listOrInherit(ctx, c, 'd1_databases', 'd1', 'database_id', { database_id: 'database_id' })
  list(ctx, c, 'vectorize', 'vectorize', { index_name: 'index_name' })
  list(ctx, c, 'ai_search_namespaces', 'ai_search_namespace', { namespace: 'namespace' })
  list(ctx, c, 'ai_search', 'ai_search', { instance_name: 'instance_name', namespace: 'namespace' })
  list(ctx, c, 'hyperdrive', 'hyperdrive', { id: 'id' })
  list(ctx, c, 'secrets_store_secrets', 'secrets_store_secret', { store_id: 'store_id', secret_name: 'secret_name' })
  list(ctx, c, 'artifacts', 'artifacts', { namespace: 'namespace' })
  list(ctx, c, 'unsafe_hello_world', 'unsafe_hello_world', { enable_timer: 'enable_timer' })
  list(ctx, c, 'flagship', 'flagship', { app_id: 'app_id' })
  list(ctx, c, 'ratelimits', 'ratelimit', { namespace_id: 'namespace_id', simple: 'simple' }, 'name')
  list(ctx, c, 'vpc_services', 'vpc_service', { service_id: 'service_id' })
  vpcNetworks(ctx, c)
  list(ctx, c, 'services', 'service', { service: 'service', environment: 'environment', entrypoint: 'entrypoint', props: 'props' })
  analyticsEngine(ctx, c)
  dispatchNamespaces(ctx, c)
  list(ctx, c, 'mtls_certificates', 'mtls_certificate', { certificate_id: 'certificate_id' })
  list(ctx, c, 'pipelines', 'pipelines', { pipeline: 'pipeline' })
  list(ctx, c, 'worker_loaders', 'worker_loader', {})
  single(ctx, c, 'browser', 'browser')
  single(ctx, c, 'ai', 'ai', { staging: 'staging' })
  single(ctx, c, 'images', 'images')
  single(ctx, c, 'stream', 'stream')
  single(ctx, c, 'media', 'media')
  single(ctx, c, 'version_metadata', 'version_metadata')
  assetsBinding(ctx, c)
  unsafe(ctx, c)
}

/** The sections {@link mapBindings} reads. */
export const BINDING_SECTIONS = new Set([
  'vars', 'kv_namespaces', 'send_email', 'durable_objects', 'workflows', 'queues', 'r2_buckets', 'd1_databases',
  'vectorize', 'ai_search_namespaces', 'ai_search', 'hyperdrive', 'secrets_store_secrets', 'artifacts',
  'unsafe_hello_world', 'flagship', 'ratelimits', 'vpc_services', 'vpc_networks', 'services',
  'analytics_engine_datasets', 'dispatch_namespaces', 'mtls_certificates', 'pipelines', 'worker_loaders', 'browser',
  'ai', 'images', 'stream', 'media', 'version_metadata', 'unsafe',
])
