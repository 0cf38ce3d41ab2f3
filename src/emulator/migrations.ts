/**
 * Durable Object migration tags. A script has one current tag; a version's `migrations` say which
 * tag they start from (`old_tag`) and which they lead to (`new_tag`). The tag only moves when a
 * deployment gives that version all traffic (see deployments.ts), so an upload is checked against
 * the tag of what is deployed now.
 */
import { apiError, Code, fail, failOne, type ApiReply } from './envelope.js'

/** The API's code for a migration tag mismatch (seen in public wrangler bug reports, HTTP 412). */
export const MIGRATION_TAG_MISMATCH = 10079
/**
 * The API refuses to apply migrations through a gradual deployment (10211, "migrations must be fully
 * applied"); the emulator uses it when a version with pending migrations is deployed below 100%.
 */
export const MIGRATION_NOT_FULLY_APPLIED = 10211

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export interface MigrationTags {
  old_tag?: string
  new_tag?: string
}

/** The tags of a version body's `migrations`, or undefined when it has none. */
export function migrationTags(migrations: unknown): MigrationTags | undefined {
  if (!isObject(migrations)) return undefined
  const tags: MigrationTags = {}
  if (typeof migrations.old_tag === 'string') tags.old_tag = migrations.old_tag
  if (typeof migrations.new_tag === 'string') tags.new_tag = migrations.new_tag
  return tags
}

/** A 400/412 reply when `migrations` is malformed or does not start from the script's current tag. */
export function migrationProblem(migrations: unknown, currentTag: string | undefined): ApiReply | undefined {
  if (migrations === undefined) return undefined
  if (!isObject(migrations)) return failOne(400, Code.validation, 'migrations must be an object', '/migrations')
  const errors = []
  for (const field of ['old_tag', 'new_tag'] as const) {
    if (migrations[field] !== undefined && typeof migrations[field] !== 'string') {
      errors.push(apiError(Code.validation, `migrations.${field} must be a string`, `/migrations/${field}`))
    }
  }
  if (migrations.steps !== undefined && !Array.isArray(migrations.steps)) {
    errors.push(apiError(Code.validation, 'migrations.steps must be an array of migration steps', '/migrations/steps'))
  }
  if (errors.length > 0) return fail(400, errors)
  return tagMismatch(migrationTags(migrations)?.old_tag, currentTag)
}

/** The old tag must be exactly the script's current one (absent when the script has none). */
export function tagMismatch(oldTag: string | undefined, currentTag: string | undefined): ApiReply | undefined {
  if ((oldTag ?? '') === (currentTag ?? '')) return undefined
  return failOne(
    412,
    MIGRATION_TAG_MISMATCH,
    `Actor migration tag precondition failed, got tag '${oldTag ?? ''}' when expected tag is '${currentTag ?? ''}'. Please make sure the tags match and try again.`,
    '/migrations/old_tag',
  )
}
