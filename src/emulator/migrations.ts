/**
 * Durable Object migrations. A script has one current tag; `migrations` say which tag they start
 * from (`old_tag`) and which they lead to (`new_tag`). The platform applies them only through a
 * non-versioned deployment, the script upload (script-upload.ts): a versions endpoint that gets
 * any refuses the whole upload (10211), so a version never moves the tag.
 */
import { apiError, Code, fail, failOne, type ApiReply } from './envelope.js'

/** The API's code for a migration tag mismatch (seen in public wrangler bug reports, HTTP 412). */
const MIGRATION_TAG_MISMATCH = 10079
/**
 * A version upload carrying a migration (cloudflare-docs #32982/#33058, workers-sdk #15387): the
 * message is the API's as wrangler users quote it, without wrangler's `[code: …]` suffix.
 */
const MIGRATION_NEEDS_DEPLOY = 10211
/**
 * An account that may only create SQLite-backed Durable Objects refuses `new_classes` (seen in
 * public deploy reports as code 10099; the API's exact wording was not found in public material).
 */
const KV_CLASSES_REFUSED = 10099

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

export interface MigrationTags {
  old_tag?: string
  new_tag?: string
}

/** The tags of a body's `migrations`, or undefined when it has none. */
export function migrationTags(migrations: unknown): MigrationTags | undefined {
  if (!isObject(migrations)) return undefined
  const tags: MigrationTags = {}
  if (typeof migrations.old_tag === 'string') tags.old_tag = migrations.old_tag
  if (typeof migrations.new_tag === 'string') tags.new_tag = migrations.new_tag
  return tags
}

/** Whether a body carries a migration at all: anything but an absent or empty `migrations`. */
export function carriesMigration(migrations: unknown): boolean {
  if (migrations === undefined || migrations === null) return false
  return !isObject(migrations) || Object.keys(migrations).length > 0
}

/** The 400 every versions endpoint answers to a body with a migration. */
export function migrationNeedsDeploy(): ApiReply {
  return failOne(
    400,
    MIGRATION_NEEDS_DEPLOY,
    'Version upload failed. You attempted to upload a version of a Worker that includes a Durable Object migration, but migrations must be fully applied via a non-versioned deployment.',
    '/migrations',
  )
}

/** A 400/412 reply when `migrations` is malformed or does not start from the script's current tag. */
export function migrationProblem(
  migrations: unknown,
  currentTag: string | undefined,
): ApiReply | undefined {
  if (migrations === undefined) return undefined
  if (!isObject(migrations))
    return failOne(400, Code.validation, 'migrations must be an object', '/migrations')
  const errors = []
  for (const field of ['old_tag', 'new_tag'] as const) {
    if (migrations[field] !== undefined && typeof migrations[field] !== 'string') {
      errors.push(
        apiError(Code.validation, `migrations.${field} must be a string`, `/migrations/${field}`),
      )
    }
  }
  if (migrations.steps !== undefined && !Array.isArray(migrations.steps)) {
    errors.push(
      apiError(
        Code.validation,
        'migrations.steps must be an array of migration steps',
        '/migrations/steps',
      ),
    )
  }
  if (errors.length > 0) return fail(400, errors)
  return tagMismatch(migrationTags(migrations)?.old_tag, currentTag)
}

/** The old tag must be exactly the script's current one (absent when the script has none). */
function tagMismatch(
  oldTag: string | undefined,
  currentTag: string | undefined,
): ApiReply | undefined {
  if ((oldTag ?? '') === (currentTag ?? '')) return undefined
  return failOne(
    412,
    MIGRATION_TAG_MISMATCH,
    `Actor migration tag precondition failed, got tag '${oldTag ?? ''}' when expected tag is '${currentTag ?? ''}'. Please make sure the tags match and try again.`,
    '/migrations/old_tag',
  )
}

/**
 * On an account flagged as new, a step that creates key-value-backed classes (`new_classes`) is
 * refused; `new_sqlite_classes` is what such an account accepts. Single-step and `steps` forms.
 */
export function kvClassesProblem(migrations: unknown): ApiReply | undefined {
  if (!isObject(migrations)) return undefined
  const steps = Array.isArray(migrations.steps) ? migrations.steps : [migrations]
  const index = steps.findIndex(
    (step) => isObject(step) && Array.isArray(step.new_classes) && step.new_classes.length > 0,
  )
  if (index === -1) return undefined
  return failOne(
    400,
    KV_CLASSES_REFUSED,
    'This account can only create SQLite-backed Durable Object namespaces: declare new classes with a `new_sqlite_classes` migration, not `new_classes`.',
    Array.isArray(migrations.steps)
      ? `/migrations/steps/${index}/new_classes`
      : '/migrations/new_classes',
  )
}
