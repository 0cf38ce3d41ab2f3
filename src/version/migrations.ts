import type { PendingMigrations, TaggedMigrationStep } from '../core/stage-types.js'
import type { BuildPlan } from '../plan/index.js'

export type { PendingMigrations, TaggedMigrationStep } from '../core/stage-types.js'

/**
 * Which Durable Object migration steps a version still has to carry, computed like
 * `wrangler versions upload` does from the script's current `migration_tag`
 * (read by `currentMigrationTag` in api/workers.ts):
 * - no current tag (a new Worker, or one never migrated): every step, no `old_tag`;
 * - the current tag is one of the steps: the steps after it, `old_tag` = current tag (undefined when
 *   it is the last step: nothing to send);
 * - the current tag is unknown here: `warn`, then every step, with `old_tag` = current tag.
 *
 * `new_tag` is always the last step's tag; the steps are sent without their own `tag`.
 */
export function pendingMigrations(
  steps: TaggedMigrationStep[],
  currentTag: string | undefined,
  warn: (message: string) => void = () => undefined,
): PendingMigrations | undefined {
  const last = steps.at(-1)
  if (!last) return undefined
  const untag = (list: TaggedMigrationStep[]) => list.map(({ tag: _tag, ...rest }) => rest)
  if (currentTag === undefined) return { new_tag: last.tag, steps: untag(steps) }
  const index = steps.findIndex((step) => step.tag === currentTag)
  if (index === -1) {
    warn(
      `The deployed Worker has migration tag "${currentTag}", which is not among the configured migrations (${steps.map((s) => s.tag).join(', ')}); ` +
        'it may have been removed from the config. Sending all migration steps.',
    )
    return { old_tag: currentTag, new_tag: last.tag, steps: untag(steps) }
  }
  if (index === steps.length - 1) return undefined
  return { old_tag: currentTag, new_tag: last.tag, steps: untag(steps.slice(index + 1)) }
}

/**
 * The `migrations` a body carries, given the Worker's current tag: the configured wrangler steps
 * it has not applied (`pendingMigrations`), or the `version.migrations` option as written, unless
 * the Worker's tag already is its `new_tag` (applied by an earlier deploy). Undefined: nothing is
 * pending. The one place that decides it, for the body and for the choice of deploy path.
 */
export function bodyMigrations(
  plan: Pick<BuildPlan, 'migrationSteps' | 'version'>,
  currentTag: string | undefined,
  warn?: (message: string) => void,
): unknown {
  if (plan.migrationSteps) return pendingMigrations(plan.migrationSteps, currentTag, warn)
  const configured = plan.version.migrations
  if (configured === undefined) return undefined
  const newTag = (configured as { new_tag?: unknown }).new_tag
  return currentTag !== undefined && newTag === currentTag ? undefined : configured
}

/** `old_tag → new_tag: step, step` of a body's migrations, for messages and the summary. */
export function describeMigrations(migrations: unknown): string {
  const m = (migrations ?? {}) as { old_tag?: unknown; new_tag?: unknown; steps?: unknown }
  const steps = Array.isArray(m.steps)
    ? (m.steps as Record<string, unknown>[])
    : [m as Record<string, unknown>]
  const tags = `${typeof m.old_tag === 'string' ? `${m.old_tag} → ` : ''}${typeof m.new_tag === 'string' ? m.new_tag : '(no new_tag)'}`
  return `${tags}: ${steps.map(describeStep).join('; ') || 'no steps'}`
}

function describeStep(step: Record<string, unknown>): string {
  return Object.entries(step)
    .filter(
      ([key, value]) =>
        key !== 'old_tag' && key !== 'new_tag' && Array.isArray(value) && value.length > 0,
    )
    .map(
      ([key, value]) =>
        `${key} ${(value as unknown[]).map((item) => (typeof item === 'string' ? item : describeRename(item))).join(', ')}`,
    )
    .join(', ')
}

function describeRename(item: unknown): string {
  const {
    from,
    to,
    from_script: script,
  } = (item ?? {}) as { from?: unknown; to?: unknown; from_script?: unknown }
  return `${typeof script === 'string' ? `${script}:` : ''}${String(from)} → ${String(to)}`
}
