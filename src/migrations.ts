import type { PendingMigrations, TaggedMigrationStep } from './core/pipeline.js'

export type { PendingMigrations, TaggedMigrationStep } from './core/pipeline.js'

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
