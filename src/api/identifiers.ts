import { WorkersVersionError } from '../core/errors.js'
import { clip } from '../core/guards.js'

/**
 * Worker and account identifiers go into URL paths. Each is checked before the
 * build does any work (and again by every API call), and every URL encodes it
 * with `encodeURIComponent`: without both, a Worker named `..` would post to
 * `/accounts/{id}/workers/versions`, another endpoint entirely.
 */

/**
 * What the Workers API accepts as a script name: lower-case letters, digits,
 * `-` and `_`, not starting with `-` (the backend pattern wrangler mirrors),
 * at most 63 characters (the dashboard's limit; one DNS label on workers.dev).
 * A Worker's id (32 hex characters) fits the same pattern.
 */
const WORKER_NAME = /^[a-z0-9_][a-z0-9_-]*$/
const WORKER_NAME_MAX = 63

/** Account ids are 32 hex characters; anything of letters, digits, `-` and `_` is let through for emulators and tests. */
const ACCOUNT_ID = /^[A-Za-z0-9_-]+$/
const ACCOUNT_ID_MAX = 64

/** Throws INVALID_WORKER_NAME unless `name` can be a Worker's name or id. `optionPath` names the option in the message. */
export function checkWorkerName(name: unknown, optionPath = '`worker`'): string {
  const problem = identifierProblem(name, WORKER_NAME_MAX)
  if (problem)
    throw new WorkersVersionError(
      'INVALID_WORKER_NAME',
      `${optionPath} ${problem}. A Worker name uses lower-case letters, digits, "-" and "_" (at most ${WORKER_NAME_MAX} characters), or give the Worker's id.`,
    )
  const value = name as string
  if (!WORKER_NAME.test(value)) {
    const hint =
      /[A-Z]/.test(value) && WORKER_NAME.test(value.toLowerCase())
        ? ` Did you mean ${JSON.stringify(value.toLowerCase())}?`
        : ''
    throw new WorkersVersionError(
      'INVALID_WORKER_NAME',
      `${optionPath} is ${JSON.stringify(value)}, which is not a Worker name: use lower-case letters, digits, "-" and "_", not starting with "-".${hint}`,
    )
  }
  return value
}

/** Throws INVALID_ACCOUNT_ID unless `id` can be an account id. */
export function checkAccountId(
  id: unknown,
  optionPath = '`accountId` (or CLOUDFLARE_ACCOUNT_ID)',
): string {
  const problem = identifierProblem(id, ACCOUNT_ID_MAX)
  const value = id as string
  if (problem || !ACCOUNT_ID.test(value)) {
    throw new WorkersVersionError(
      'INVALID_ACCOUNT_ID',
      `${optionPath} ${problem ?? `is ${JSON.stringify(value)}, which is not an account id`}: an account id is 32 hex characters, shown in the dashboard's sidebar (Account ID) or by \`wrangler whoami\`.`,
    )
  }
  return value
}

/** The problems both identifiers share, worded for the message; undefined when none. */
function identifierProblem(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string')
    return `must be a string, got ${value === null ? 'null' : typeof value}`
  if (value === '') return 'is empty'
  if (value !== value.trim()) return `has leading or trailing spaces (${JSON.stringify(value)})`
  if (value === '.' || value === '..')
    return `is ${JSON.stringify(value)}, a path segment, not a name`
  if (value.includes('/') || value.includes('\\'))
    return `is ${JSON.stringify(clip(value, 80))}, which contains a slash`
  if (value.length > max) return `is ${value.length} characters long (at most ${max})`
  return undefined
}
