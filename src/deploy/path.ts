/**
 * Which request carries the build: Create Version (then a deployment when `promote` asks), or the
 * script upload, a non-versioned deployment at 100%. Decided once, from the plan and the Worker's
 * migration tag as read before anything is uploaded, so a refusal costs nothing but the reads.
 *
 * The rule is `wrangler deploy`'s (`canUseNewVersionsDeploymentsApi` in workers-sdk
 * `packages/deploy-helpers/src/deploy/deploy.ts`, bundled in wrangler 4.164): the versions API only
 * when there is no pending Durable Object migration, no Durable Object `exports` and no containers.
 * The platform refuses a version that carries a migration (10211), so a pending one needs the
 * script upload, and that always deploys to 100%: with a gradual rollout or no `promote` it is
 * refused here. Durable Object `exports` and containers go through the script upload only on a
 * deploy at 100%; a version without traffic is what `wrangler versions upload` sends for them.
 * (wrangler deploy also takes the script upload for a Worker that does not exist yet; the plugin
 * creates the Worker and keeps the versions API there, which ends in the same deployed version.)
 */
import { WorkersVersionError } from '../core/errors.js'
import { bodyMigrations, describeMigrations } from '../version/migrations.js'
import type { UploadPlan } from '../plan/index.js'

export type DeployRoute =
  | { kind: 'version' }
  /** `why`: what makes the versions API unusable, for the summary; `migrations`: the pending ones, when that is why. */
  | { kind: 'script'; why: string; migrations?: unknown }

/** Cloudflare's guide to gradual deployments of Workers with Durable Objects. */
const GRADUAL_DO_GUIDE =
  'https://developers.cloudflare.com/workers/versions-and-deployments/gradual-deployments/with-durable-objects/'

/**
 * `warn`: what computing the pending migrations has to say (a tag not among the configured
 * steps), said only when the build goes on; the body then takes the route's `migrations`.
 */
export function deployRoute(
  plan: UploadPlan,
  migrationTag: string | undefined,
  warn?: (message: string) => void,
): DeployRoute {
  const toAll = plan.promote === 100
  const warnings: string[] = []
  const migrations = bodyMigrations(plan, migrationTag, (message) => warnings.push(message))
  if (migrations !== undefined) {
    if (!toAll) throw pendingMigrationRefused(plan, migrations, migrationTag)
    for (const message of warnings) warn?.(message)
    return migrationRoute(migrations)
  }
  if (!toAll) return { kind: 'version' }
  const classes = durableObjectExports(plan.version.exports)
  if (classes.length > 0)
    return { kind: 'script', why: `Durable Object exports (${classes.join(', ')})` }
  const containers = plan.version.containers ?? []
  if (containers.length > 0)
    return { kind: 'script', why: `containers (${containers.map((c) => c.class_name).join(', ')})` }
  return { kind: 'version' }
}

/** The script upload, for pending Durable Object migrations (the platform refuses them in a version, 10211). */
export function migrationRoute(migrations: unknown): DeployRoute {
  return {
    kind: 'script',
    why: `Durable Object migration ${describeMigrations(migrations)}`,
    migrations,
  }
}

/** Names of the `exports` entries of type `durable-object`. */
function durableObjectExports(exports: unknown): string[] {
  if (typeof exports !== 'object' || exports === null) return []
  return Object.entries(exports as Record<string, unknown>)
    .filter(([, entry]) => (entry as { type?: unknown } | null)?.type === 'durable-object')
    .map(([name]) => name)
}

function pendingMigrationRefused(
  plan: UploadPlan,
  migrations: unknown,
  migrationTag: string | undefined,
): WorkersVersionError {
  const worker = JSON.stringify(plan.target.worker)
  const asked =
    plan.promote === undefined
      ? 'Without `promote` the build would create a version'
      : `\`promote: ${String(plan.promote)}\` would start a gradual rollout`
  return new WorkersVersionError(
    'MIGRATION_NEEDS_FULL_DEPLOY',
    `Worker ${worker} has a pending Durable Object migration (${describeMigrations(migrations)}; its current tag is ${migrationTag === undefined ? 'none' : JSON.stringify(migrationTag)}). ` +
      `${asked}, but Cloudflare applies migrations only through a non-versioned deployment of the new version to 100% (a version that carries one is refused, code 10211). Nothing was uploaded. ` +
      `Either set \`promote: true\` to apply the migration with this build, or apply the migration on its own first (a build with \`promote: true\` whose code change is only the migration, or \`wrangler deploy\`), then roll out gradually: ${GRADUAL_DO_GUIDE}`,
  )
}
