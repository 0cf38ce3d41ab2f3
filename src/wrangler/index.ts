import { basename, dirname, resolve } from 'node:path'
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import type { TaggedMigrationStep } from '../core/stage-types.js'
import { describe, formatPath, Problems, type Path } from '../options/issues.js'
import type { Binding, VersionConfig } from '../options/version-schema.js'
import { BINDING_SECTIONS, mapBindings, type MapContext } from './bindings.js'
import { DEPLOY_SETTING_KEYS, readDeploySettings, type DeploySettings } from './deploy-settings.js'
import { selectEnvironment } from './env.js'
import { NOT_MAPPED, SILENT } from './keys.js'
import { parseWranglerFile } from './parse.js'

// The wrangler config as a source of the plugin's options: the Worker, the
// account and the Create Version fields, mapped the way wrangler 4 maps them.

export { findWranglerConfig } from './find.js'

/** wrangler's `assets` section, for uploading the assets directory. */
interface WranglerAssets {
  /** `assets.directory`, resolved against the config file's directory. */
  directory?: string
  /** `assets.binding`: the name the Worker reads the assets by. */
  binding?: string
  /** As written; also in `version.assets.config`. */
  html_handling?: unknown
  /** As written; also in `version.assets.config`. */
  not_found_handling?: unknown
  /** As written; also in `version.assets.config`. */
  run_worker_first?: unknown
}

/** What a wrangler config contributes to the plugin's options. */
export interface WranglerConfig {
  /** Worker name (`name`, with `-<env>` appended for an environment that does not set its own). */
  worker?: string
  /** `account_id`. */
  accountId?: string
  /**
   * A generated config's `main`: the built file that is the Worker's main module, relative to the
   * config's directory (the Worker's output). A source config's `main` is the bundler's input, not read.
   */
  main?: string
  /** The Create Version fields the config declares (not yet validated: run `validateVersionConfig`). No `migrations`: see `migrationSteps`. */
  version: VersionConfig
  /** Secrets to keep from the current version (wrangler's `secrets.required`). */
  secrets: { inherit: string[] }
  /** The `assets` section, when there is one. */
  assets?: WranglerAssets
  /** wrangler's `migrations` as written, tags kept: which of them to send depends on the Worker's current migration tag. */
  migrationSteps?: TaggedMigrationStep[]
  /** Routes, triggers, queue consumers, Workflows and script settings: applied by a promote to 100%, after its deployment. */
  deploy: DeploySettings
  /** The `previews` block: what a Preview deployment takes instead of the top-level settings. */
  previews?: WranglerPreviews
  /** `upload_source_maps`: whether the chunks' source maps are sent (wrangler's default: not). */
  uploadSourceMaps?: boolean
  /** Keys that were not mapped and other things worth telling the user. */
  warnings: string[]
}

/**
 * wrangler's `previews` block. Its bindings are the Preview deployment's whole `env` (the top-level
 * ones are production's; Cloudflare adds the Worker's Preview defaults under them); `limits`,
 * `placement` and `cache` replace the top-level ones when set.
 */
export interface WranglerPreviews {
  bindings: Binding[]
  fields: Pick<VersionConfig, 'limits' | 'placement' | 'cache_options'>
}

const HANDLED = new Set([
  'compatibility_date',
  'compatibility_flags',
  'exports',
  'migrations',
  'placement',
  'limits',
  'assets',
  'containers',
  'cache',
  'secrets',
  'previews',
  'upload_source_maps',
])

/** Keys @cloudflare/vite-plugin adds to the `wrangler.json` it generates, about itself. */
const GENERATED_ONLY = new Set([
  'configPath',
  'userConfigPath',
  'topLevelName',
  'definedEnvironments',
  'legacy_env',
])

function isEmpty(value: unknown): boolean {
  return (
    (Array.isArray(value) && value.length === 0) ||
    (isRecord(value) && Object.values(value).every(isEmpty))
  )
}

/**
 * Reads a wrangler config (JSONC or TOML) for one environment and maps it to
 * the version body the way wrangler would. Throws `INVALID_WRANGLER_CONFIG`
 * for syntax errors and sections of the wrong shape.
 */
export function readWranglerConfig(
  file: string,
  opts: { env?: string; generated?: boolean } = {},
): WranglerConfig {
  return mapWranglerConfig(parseWranglerFile(file), file, opts)
}

/**
 * Maps an already parsed wrangler config; `file` names it in messages and resolves `assets.directory`
 * (a Build Output `worker.config.json` is mapped this way, after conversion to wrangler's keys).
 */
export function mapWranglerConfig(
  raw: Record<string, unknown>,
  file: string,
  opts: { env?: string; generated?: boolean } = {},
): WranglerConfig {
  const problems = new Problems('')
  const warnings: string[] = []
  let effective: ReturnType<typeof selectEnvironment>
  try {
    effective = selectEnvironment(raw, opts.env, warnings)
  } catch (error) {
    throw new WorkersVersionError(
      'INVALID_WRANGLER_CONFIG',
      `${basename(file)}: ${(error as Error).message}`,
    )
  }
  const { config: c, pathOf } = effective
  const ctx: MapContext = { problems, warnings, pathOf, bindings: [] }
  const version: Record<string, unknown> = {}
  const result: WranglerConfig = {
    version: version as VersionConfig,
    secrets: { inherit: [] },
    deploy: { routes: [], queueConsumers: [], workflows: [] },
    warnings,
  }

  const str = (key: string): string | undefined => {
    const value = c[key]
    if (value === undefined || typeof value === 'string') return value
    problems.error(pathOf(key), `expected a string, got ${describe(value)}`)
    return undefined
  }
  if (c.upload_source_maps !== undefined) {
    if (typeof c.upload_source_maps === 'boolean') result.uploadSourceMaps = c.upload_source_maps
    else
      problems.error(
        pathOf('upload_source_maps'),
        `expected true or false, got ${describe(c.upload_source_maps)}`,
      )
  }
  result.worker = str('name')
  result.accountId = str('account_id')
  const main = str('main')
  if (opts.generated && main !== undefined) result.main = main.replace(/^\.\//, '')

  if (c.compatibility_date !== undefined) version.compatibility_date = c.compatibility_date
  if (c.compatibility_flags !== undefined) version.compatibility_flags = c.compatibility_flags
  mapBindings(ctx, c)
  if (ctx.bindings.length > 0) version.bindings = ctx.bindings as Binding[]
  mapMigrations(ctx, c, result)
  mapExports(ctx, c, version, result)
  mapPlacement(ctx, c, version)
  if (c.limits !== undefined) version.limits = c.limits
  mapAssets(ctx, c, version, result, dirname(resolve(file)))
  mapContainers(ctx, c, version)
  if (c.cache !== undefined) version.cache_options = c.cache
  mapSecrets(ctx, c, result)
  result.deploy = readDeploySettings(ctx, c, result.worker)
  if (c.previews !== undefined) result.previews = mapPreviews(ctx, c.previews)

  for (const key of Object.keys(c)) {
    if (
      SILENT.has(key) ||
      HANDLED.has(key) ||
      DEPLOY_SETTING_KEYS.has(key) ||
      BINDING_SECTIONS.has(key)
    )
      continue
    if (key === 'legacy_env' && c[key] !== false) continue
    const reason = NOT_MAPPED.get(key)
    // The Cloudflare Vite plugin's generated config spells out every default and its own bookkeeping;
    // only settings with content are the user's, and build settings were the Vite build's business.
    if (
      opts.generated &&
      (GENERATED_ONLY.has(key) || isEmpty(c[key]) || reason === NOT_MAPPED.get('no_bundle'))
    )
      continue
    warnings.push(`${render(pathOf(key))}: ${reason ?? 'unknown wrangler config key; ignored'}`)
  }
  problems.throwIfAny(
    `Cannot use ${basename(file)}${opts.env ? ` (env ${opts.env})` : ''}`,
    'INVALID_WRANGLER_CONFIG',
  )
  return result
}

/** The `previews` block, mapped with the same rules as the top level; keys it does not use are reported like there. */
function mapPreviews(ctx: MapContext, block: unknown): WranglerPreviews | undefined {
  if (!isRecord(block)) {
    ctx.problems.error(ctx.pathOf('previews'), `expected an object, got ${describe(block)}`)
    return undefined
  }
  const inner: MapContext = {
    ...ctx,
    pathOf: (key) => [...ctx.pathOf('previews'), key],
    bindings: [],
  }
  mapBindings(inner, block)
  // A Worker setting, which a Preview never changes: refused there, as wrangler refuses it.
  if (isRecord(block.images) && block.images.url_transformations !== undefined)
    ctx.problems.error(
      [...inner.pathOf('images'), 'url_transformations'],
      'not supported in Previews (a setting of the deployed Worker, applied by a promote); set it at the top level',
    )
  const fields: Record<string, unknown> = {}
  mapPlacement(inner, block, fields)
  if (block.limits !== undefined) fields.limits = block.limits
  if (block.cache !== undefined) fields.cache_options = block.cache
  for (const key of Object.keys(block)) {
    if (
      BINDING_SECTIONS.has(key) ||
      ['placement', 'limits', 'cache', 'observability', 'logpush', 'tail_consumers'].includes(key)
    )
      continue
    ctx.warnings.push(
      `${render(inner.pathOf(key))}: not used for a Preview deployment by the plugin; ignored`,
    )
  }
  return { bindings: inner.bindings, fields: fields as WranglerPreviews['fields'] }
}

function render(path: Path): string {
  return formatPath('', path)
}

function mapMigrations(ctx: MapContext, c: Record<string, unknown>, result: WranglerConfig): void {
  const value = c.migrations
  if (value === undefined) return
  const path = ctx.pathOf('migrations')
  if (!Array.isArray(value))
    return ctx.problems.error(path, `expected an array of migration steps, got ${describe(value)}`)
  const steps: TaggedMigrationStep[] = []
  value.forEach((step, index) => {
    if (!isRecord(step))
      return ctx.problems.error([...path, index], `expected an object, got ${describe(step)}`)
    if (typeof step.tag !== 'string') return ctx.problems.error([...path, index, 'tag'], 'required')
    steps.push({ ...step } as TaggedMigrationStep)
  })
  if (steps.length === value.length && steps.length > 0) result.migrationSteps = steps
}

/**
 * `exports` goes into the version as written, as wrangler sends it: Durable Object and entrypoint
 * entries. Durable Object exports replace `migrations` (wrangler refuses both in one config).
 */
function mapExports(
  ctx: MapContext,
  c: Record<string, unknown>,
  version: Record<string, unknown>,
  result: WranglerConfig,
): void {
  const value = c.exports
  if (value === undefined) return
  const path = ctx.pathOf('exports')
  if (!isRecord(value))
    return ctx.problems.error(path, `expected an object of export names, got ${describe(value)}`)
  const sent: Record<string, unknown> = {}
  for (const [name, entry] of Object.entries(value)) {
    const type = isRecord(entry) ? entry.type : undefined
    if (type === 'durable-object' || type === 'worker') sent[name] = entry
    else if (type === 'workflow')
      ctx.warnings.push(
        `${render([...path, name])}: a Workflow export is not sent by this plugin (wrangler sends it under a newer Script API date); declare the Workflow in \`workflows\``,
      )
    else
      ctx.problems.error(
        [...path, name],
        `expected an object whose "type" is "durable-object", "worker" or "workflow", got ${describe(entry)}`,
      )
  }
  const objects = Object.values(sent).some(
    (entry) => isRecord(entry) && entry.type === 'durable-object',
  )
  if (objects && result.migrationSteps)
    ctx.problems.error(
      path,
      'Durable Object exports and `migrations` cannot be set together (wrangler refuses both too); declare the classes in one of them',
    )
  if (Object.keys(sent).length > 0) version.exports = sent
}

function mapPlacement(
  ctx: MapContext,
  c: Record<string, unknown>,
  version: Record<string, unknown>,
): void {
  const p = c.placement
  if (p === undefined) return
  if (!isRecord(p))
    return ctx.problems.error(ctx.pathOf('placement'), `expected an object, got ${describe(p)}`)
  // wrangler's parseConfigPlacement: `mode = "off"` sends nothing; a hint means smart.
  if (p.hint === undefined && p.mode === 'off') return
  if (p.hint !== undefined || p.mode === 'smart') {
    version.placement = { mode: 'smart', ...(p.hint !== undefined && { hint: p.hint }) }
    return
  }
  for (const key of ['region', 'host', 'hostname']) {
    if (p[key]) {
      version.placement = { mode: 'targeted', [key]: p[key] }
      return
    }
  }
  ctx.warnings.push(
    `${render(ctx.pathOf('placement'))}: no mode, region, host or hostname; not sent`,
  )
}

const ASSET_CONFIG = ['html_handling', 'not_found_handling', 'run_worker_first'] as const

function mapAssets(
  ctx: MapContext,
  c: Record<string, unknown>,
  version: Record<string, unknown>,
  result: WranglerConfig,
  root: string,
): void {
  const a = c.assets
  if (a === undefined) return
  const path = ctx.pathOf('assets')
  if (!isRecord(a)) return ctx.problems.error(path, `expected an object, got ${describe(a)}`)
  const assets: WranglerAssets = {}
  const config: Record<string, unknown> = {}
  for (const key of Object.keys(a)) {
    if ((ASSET_CONFIG as readonly string[]).includes(key))
      config[key] = assets[key as (typeof ASSET_CONFIG)[number]] = a[key]
    else if (key === 'directory') {
      if (typeof a.directory === 'string') assets.directory = resolve(root, a.directory)
      else
        ctx.problems.error(
          [...path, 'directory'],
          `expected a string, got ${describe(a.directory)}`,
        )
    } else if (key === 'binding') {
      if (typeof a.binding === 'string') assets.binding = a.binding
    } else
      ctx.warnings.push(`${render([...path, key])}: not part of a version's assets config; ignored`)
  }
  result.assets = assets
  if (Object.keys(config).length > 0) version.assets = { config }
}

function mapContainers(
  ctx: MapContext,
  c: Record<string, unknown>,
  version: Record<string, unknown>,
): void {
  const value = c.containers
  if (value === undefined) return
  const path = ctx.pathOf('containers')
  if (!Array.isArray(value))
    return ctx.problems.error(path, `expected an array, got ${describe(value)}`)
  const containers: Array<{ class_name: unknown }> = []
  let extra = false
  value.forEach((item, index) => {
    if (!isRecord(item))
      return ctx.problems.error([...path, index], `expected an object, got ${describe(item)}`)
    containers.push({ class_name: item.class_name })
    extra ||= Object.keys(item).some((key) => key !== 'class_name')
  })
  if (extra) {
    ctx.warnings.push(
      `${render(path)}: only class_name goes into a version; images and instance settings are applied by wrangler deploy`,
    )
  }
  version.containers = containers
}

function mapSecrets(ctx: MapContext, c: Record<string, unknown>, result: WranglerConfig): void {
  const s = c.secrets
  if (s === undefined) return
  const path = ctx.pathOf('secrets')
  if (!isRecord(s)) return ctx.problems.error(path, `expected an object, got ${describe(s)}`)
  const required = s.required
  if (required === undefined) return
  if (!Array.isArray(required) || !required.every((name) => typeof name === 'string')) {
    return ctx.problems.error([...path, 'required'], 'expected an array of secret names')
  }
  result.secrets.inherit = [...required]
}
