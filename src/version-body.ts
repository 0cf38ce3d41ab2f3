import type { VersionPayload } from './core/serialize.js'
import type { WorkerModule } from './core/types.js'
import { pendingMigrations } from './migrations.js'
import type { BuildPlan } from './plan.js'
import type { VersionConfig } from './options/version-schema.js'

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

export interface VersionBody {
  payload: VersionPayload
  /** The secrets kept from the current version (their `inherit` bindings are in the payload). */
  kept: string[]
}

/**
 * The one place the Create Version body is built: the plan's validated fields (secret bindings
 * included), then the git annotations the config leaves unset, the Durable Object migrations
 * the Worker has not applied (all of them without remote state: what a new Worker gets), the
 * assets token and an `inherit` binding for each current secret the build does not set.
 * A dry run writes its result without remote state; an upload writes it again with the state
 * and sends exactly that. The coming bodies (the script upload's metadata for a pending
 * migration, the Previews API's deployment with its `env` record) are this payload in
 * another envelope, so they are to be produced from it, not assembled elsewhere.
 */
export function versionBody(
  plan: BuildPlan,
  built: BuiltModules,
  inputs: { git?: Record<string, string>; remote?: RemoteState; warn?: (message: string) => void } = {},
): VersionBody {
  const { git, remote, warn } = inputs
  let fields: VersionConfig = built.mainModule === undefined ? assetsOnlyFields(plan.version) : plan.version
  if (git && Object.keys(git).length > 0) fields = { ...fields, annotations: { ...git, ...fields.annotations } }
  if (plan.migrationSteps && built.mainModule !== undefined) {
    const migrations = pendingMigrations(plan.migrationSteps, remote?.migrationTag, warn)
    const { migrations: _configured, ...rest } = fields
    fields = migrations ? { ...rest, migrations: migrations as VersionConfig['migrations'] } : rest
  }
  if (remote?.assetsJwt !== undefined) fields = { ...fields, assets: { ...fields.assets, jwt: remote.assetsJwt } }
  // Without code there is nothing to read a secret: an assets-only version keeps none.
  const kept = (built.mainModule === undefined ? [] : (remote?.secrets ?? [])).filter((name) => !fields.bindings?.some((binding) => binding.name === name))
  if (kept.length > 0) fields = { ...fields, bindings: [...(fields.bindings ?? []), ...kept.map((name) => ({ type: 'inherit' as const, name }))] }
  return { payload: { mainModule: built.mainModule, modules: built.modules, config: fields }, kept }
}

/** What wrangler sends for an assets-only Worker (no `main`): the assets, annotations and the runtime's date and flags. */
const ASSETS_ONLY_FIELDS = ['assets', 'annotations', 'compatibility_date', 'compatibility_flags'] as const

function assetsOnlyFields(version: VersionConfig): VersionConfig {
  return Object.fromEntries(ASSETS_ONLY_FIELDS.flatMap((key) => (version[key] === undefined ? [] : [[key, version[key]]]))) as VersionConfig
}
