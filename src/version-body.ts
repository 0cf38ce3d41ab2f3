import type { VersionPayload } from './core/serialize.js'
import type { WorkerModule } from './core/types.js'
import { bodyMigrations } from './migrations.js'
import type { BuildPlan } from './plan.js'
import type { VersionConfig } from './options/version-schema.js'

/** The modules of one Worker, as the modules stage made them. */
export interface BuiltModules {
  mainModule: string
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
export const KEPT_SECRET_KINDS = ['secret_text', 'secret_key'] as const

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
 * and sends exactly that. The script upload's metadata (`variant: 'script'`) is this payload
 * with `keep_bindings` in place of the `inherit` bindings; other bodies (the Previews API's
 * deployment with its `env` record) are this payload in another envelope, so they are to be
 * produced from it, not assembled elsewhere.
 */
export function versionBody(
  plan: BuildPlan,
  built: BuiltModules,
  inputs: { git?: Record<string, string>; remote?: RemoteState; warn?: (message: string) => void; variant?: BodyVariant } = {},
): VersionBody {
  const { git, remote, warn, variant = 'version' } = inputs
  let fields: VersionConfig = plan.version
  if (git && Object.keys(git).length > 0) fields = { ...fields, annotations: { ...git, ...fields.annotations } }
  const migrations = bodyMigrations(plan, remote?.migrationTag, warn)
  if (migrations !== fields.migrations) {
    const { migrations: _configured, ...rest } = fields
    fields = migrations ? { ...rest, migrations: migrations as VersionConfig['migrations'] } : rest
  }
  if (remote?.assetsJwt !== undefined) fields = { ...fields, assets: { ...fields.assets, jwt: remote.assetsJwt } }
  const kept = (remote?.secrets ?? []).filter((name) => !fields.bindings?.some((binding) => binding.name === name))
  if (variant === 'script') fields = { ...fields, keep_bindings: [...KEPT_SECRET_KINDS] } as VersionConfig
  else if (kept.length > 0) fields = { ...fields, bindings: [...(fields.bindings ?? []), ...kept.map((name) => ({ type: 'inherit' as const, name }))] }
  return { payload: { mainModule: built.mainModule, modules: built.modules, config: fields }, kept }
}
