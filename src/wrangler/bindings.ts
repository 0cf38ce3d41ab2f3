// wrangler config sections → Create Version `bindings`, as wrangler 4 sends them
// (`createWorkerUploadForm`), in the same order. Which section holds which kind,
// and how its fields are named, comes from the registry of binding kinds.
import { BINDING_KINDS, type Binding, type WranglerSource } from '../options/binding-kinds.js'
import { MAX_ENV_VARS } from '../options/env-var-limits.js'
import { describe, type Path, type Problems } from '../options/issues.js'
import { isRecord } from '../core/guards.js'

type Raw = Record<string, unknown>

/** What the section mappers share. */
export interface MapContext {
  problems: Problems
  warnings: string[]
  pathOf: (key: string) => Path
  bindings: Binding[]
}

/** Every section the registry maps, plus `unsafe` (bindings written as the API takes them). */
export const BINDING_SECTIONS = new Set([
  ...Object.values(BINDING_KINDS).flatMap((k) => (k.wrangler ? [k.wrangler.section] : [])),
  'unsafe',
])

/** The items of an array section, each checked to be an object with a string name. */
function* entries(
  ctx: MapContext,
  path: Path,
  value: unknown,
  nameKey: string,
): Generator<[Raw, string]> {
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
      ctx.problems.error(
        [...path, index, nameKey],
        name === undefined ? 'required' : `expected a string, got ${describe(name)}`,
      )
      continue
    }
    yield [item, name]
  }
}

/** `config[section][key]`, reporting a section that is not an object. */
function nested(
  ctx: MapContext,
  config: Raw,
  section: string,
  key: string,
): { path: Path; value: unknown } {
  const outer = config[section]
  const path = [...ctx.pathOf(section), key]
  if (outer === undefined) return { path, value: undefined }
  if (!isRecord(outer)) {
    ctx.problems.error(ctx.pathOf(section), `expected an object, got ${describe(outer)}`)
    return { path, value: undefined }
  }
  return { path, value: outer[key] }
}

/** The items a section declares, with their names: a list, a list inside the section, or a single object. */
function* itemsOf(ctx: MapContext, config: Raw, source: WranglerSource): Generator<[Raw, string]> {
  const nameKey = source.nameKey ?? 'binding'
  const value = config[source.section]
  if (source.list) {
    const inner = nested(ctx, config, source.section, source.list)
    yield* entries(ctx, inner.path, inner.value, nameKey)
  } else if (!source.single) {
    yield* entries(ctx, ctx.pathOf(source.section), value, nameKey)
  } else if (value !== undefined) {
    const path = ctx.pathOf(source.section)
    if (!isRecord(value))
      return ctx.problems.error(path, `expected an object, got ${describe(value)}`)
    const name = value[nameKey]
    if (typeof name === 'string') yield [value, name]
    else if (name !== undefined || source.single !== 'optional')
      ctx.problems.error([...path, nameKey], name === undefined ? 'required' : 'expected a string')
  }
}

function push(ctx: MapContext, type: string, name: string, fields: Raw): void {
  ctx.bindings.push({ name, type, ...fields } as Binding)
}

/** `vars`: strings become `plain_text`, every other JSON value `json`. */
function vars(ctx: MapContext, config: Raw, type: string): void {
  const value = config.vars
  if (value === undefined) return
  if (!isRecord(value)) {
    if (type === 'plain_text')
      ctx.problems.error(ctx.pathOf('vars'), `expected an object, got ${describe(value)}`)
    return
  }
  // Counted before any binding is made: mapping two million vars took most of a 13-18 s build.
  const names = Object.keys(value)
  if (names.length > MAX_ENV_VARS) {
    if (type === 'plain_text')
      ctx.problems.error(
        ctx.pathOf('vars'),
        `${names.length} variables, over Cloudflare's limit of ${MAX_ENV_VARS} environment variables per Worker (vars and secrets together; 64 on the Workers Free plan). Group related values into one JSON var, or keep data in KV or R2.`,
      )
    return
  }
  for (const name of names) {
    const v = value[name]
    if ((typeof v === 'string') === (type === 'plain_text'))
      push(ctx, type, name, type === 'plain_text' ? { text: v } : { json: v })
  }
}

function mapKind(ctx: MapContext, config: Raw, type: string, source: WranglerSource): void {
  if (source.section === 'vars') return vars(ctx, config, type)
  for (const [item, name] of itemsOf(ctx, config, source)) {
    if (source.inheritWithout !== undefined && item[source.inheritWithout] === undefined) {
      ctx.warnings.push(
        `${source.section}: "${name}" has no ${source.inheritWithout}; sent as {type:"inherit"} (keeps the binding of the current version; wrangler's automatic provisioning is not supported)`,
      )
      push(ctx, 'inherit', name, {})
      continue
    }
    const fields: Raw = source.map ? source.map(item, name) : {}
    for (const [apiField, configKey] of Object.entries(source.fields ?? {})) {
      if (item[configKey] !== undefined) fields[apiField] = item[configKey]
    }
    push(ctx, type, name, fields)
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
export function mapBindings(ctx: MapContext, config: Raw): void {
  for (const [type, kind] of Object.entries(BINDING_KINDS)) {
    if (kind.wrangler) mapKind(ctx, config, type, kind.wrangler)
  }
  unsafe(ctx, config)
}
