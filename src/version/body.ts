import type { VersionPayload } from '../core/serialize.js'
import type { WorkerModule } from '../core/types.js'
import { bodyMigrations } from './migrations.js'
import type { BuildPlan } from '../plan/index.js'
import type { VersionConfig } from '../options/version-schema.js'

/** The modules of one Worker, as the modules stage made them. */
export interface BuiltModules {
  /** None for an assets-only Worker: a build with static assets and no Worker code. */
  mainModule?: string
  modules: readonly WorkerModule[]
}

/** What the body takes from the Worker as it is before the version is created; a dry run has none. */
export interface RemoteState {
  /** The Worker's Durable Object migration tag; none for a new Worker or one never migrated. */
  migrationTag?: string
  /** Names of the current version's secrets: each one the build does not set is kept (`inherit`). */
  secrets: readonly string[]
  /** The static assets upload's completion token. */
  assetsJwt?: string
}

/**
 * Which request the body is for: Create Version (`version`), or the script upload (`script`), whose
 * `metadata` keeps the current secrets with `keep_bindings` (as `wrangler deploy` does) instead of
 * one `inherit` binding per secret, which only the versions API needs.
 */
export type BodyVariant = 'version' | 'script'

/** The secret kinds a script upload keeps from the current version, as `wrangler deploy` sends them. */
const KEPT_SECRET_KINDS = ['secret_text', 'secret_key'] as const

export interface VersionBody {
  payload: VersionPayload
  /** The secrets kept from the current version (their `inherit` bindings are in the payload). */
  kept: string[]
}

/** The fields a Preview deployment takes besides `env`, `main_module` and `modules` (workers-sdk `preview/api.ts`); `cache_options` is sent as `cache`. */
const PREVIEW_FIELDS = [
  'annotations',
  'assets',
  'compatibility_date',
  'compatibility_flags',
  'migrations',
  'limits',
  'placement',
  'containers',
  'exports',
] as const

/**
 * The Preview deployment body (`POST …/previews/{p}/deployments`): the version body built above
 * for the Preview's own state (its latest deployment's migration tag and secrets), in the Previews
 * API's envelope: `env` as a record of name → binding instead of `bindings`, the CI's annotations
 * (commit, pull request, repository) under the configured ones, and only the fields it takes.
 */
export function previewDeploymentBody(
  plan: BuildPlan,
  built: BuiltModules,
  inputs: {
    git?: Record<string, string>
    ci?: Record<string, string>
    remote?: RemoteState
    warn?: (message: string) => void
  } = {},
): VersionBody {
  const { payload, kept } = versionBody(plan, built, inputs)
  const config = payload.config as VersionConfig
  const fields: Record<string, unknown> = {}
  for (const key of PREVIEW_FIELDS) if (config[key] !== undefined) fields[key] = config[key]
  if (config.cache_options !== undefined) fields.cache = config.cache_options
  if (inputs.ci && Object.keys(inputs.ci).length > 0)
    fields.annotations = { ...inputs.ci, ...config.annotations }
  if (config.bindings && config.bindings.length > 0)
    fields.env = Object.fromEntries(config.bindings.map(({ name, ...binding }) => [name, binding]))
  return {
    payload: { mainModule: payload.mainModule, modules: payload.modules, config: fields },
    kept,
  }
}

/**
 * The one place the Create Version body is built: the plan's validated fields (secret bindings
 * included), then the git annotations the config leaves unset, the Durable Object migrations
 * the Worker has not applied (all of them without remote state: what a new Worker gets), the
 * assets token and an `inherit` binding for each current secret the build does not set.
 * A dry run writes its result without remote state; an upload writes it again with the state
 * and sends exactly that. The script upload's metadata (`variant: 'script'`) is this payload
 * with `keep_bindings` in place of the `inherit` bindings; other bodies (the Previews API's
 * deployment with its `env` record) are this payload in another envelope, so they are to be
 * produced from it, not assembled elsewhere.
 */
export function versionBody(
  plan: BuildPlan,
  built: BuiltModules,
  inputs: {
    git?: Record<string, string>
    remote?: RemoteState
    warn?: (message: string) => void
    variant?: BodyVariant
    /**
     * The pending migrations as the deploy path decision computed them from the same tag
     * (`deployRoute`), so they are not computed, nor warned about, twice; without it, computed
     * here from `remote.migrationTag`.
     */
    migrations?: { pending: unknown }
  } = {},
): VersionBody {
  const { git, remote, warn, variant = 'version' } = inputs
  let fields: VersionConfig =
    built.mainModule === undefined ? assetsOnlyFields(plan.version) : plan.version
  if (git && Object.keys(git).length > 0)
    fields = { ...fields, annotations: { ...git, ...fields.annotations } }
  // An assets-only version has no Durable Object to migrate.
  const migrations =
    built.mainModule === undefined
      ? undefined
      : inputs.migrations
        ? inputs.migrations.pending
        : bodyMigrations(plan, remote?.migrationTag, warn)
  if (migrations !== fields.migrations) {
    const { migrations: _configured, ...rest } = fields
    fields = migrations ? { ...rest, migrations: migrations as VersionConfig['migrations'] } : rest
  }
  if (remote?.assetsJwt !== undefined)
    fields = { ...fields, assets: { ...fields.assets, jwt: remote.assetsJwt } }
  // Without code there is nothing to read a secret: an assets-only version keeps none.
  const kept = (built.mainModule === undefined ? [] : (remote?.secrets ?? [])).filter(
    (name) => !fields.bindings?.some((binding) => binding.name === name),
  )
  if (variant === 'script')
    fields = { ...fields, keep_bindings: [...KEPT_SECRET_KINDS] } as VersionConfig
  else if (kept.length > 0)
    fields = {
      ...fields,
      bindings: [
        ...(fields.bindings ?? []),
        ...kept.map((name) => ({ type: 'inherit' as const, name })),
      ],
    }
  return { payload: { mainModule: built.mainModule, modules: built.modules, config: fields }, kept }
}

/** What wrangler sends for an assets-only Worker (no `main`): the assets, annotations and the runtime's date and flags. */
const ASSETS_ONLY_FIELDS = [
  'assets',
  'annotations',
  'compatibility_date',
  'compatibility_flags',
] as const

function assetsOnlyFields(version: VersionConfig): VersionConfig {
  return Object.fromEntries(
    ASSETS_ONLY_FIELDS.flatMap((key) => (version[key] === undefined ? [] : [[key, version[key]]])),
  ) as VersionConfig
}
