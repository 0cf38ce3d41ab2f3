import { WorkersVersionError } from '../core/errors.js'
import { quoteValue } from '../core/printable.js'
import type { ApiMessage } from './envelope.js'

/**
 * The API answered and refused the request (or kept failing until the retries
 * ran out). `errors` are the envelope's errors as the server sent them (with
 * any credential echo removed); `message` is what to show the user.
 */
export class ApiError extends WorkersVersionError {
  readonly status: number
  readonly errors: ApiMessage[]
  /** How many times the request was sent before giving up. */
  readonly attempts: number
  constructor(
    message: string,
    details: { status: number; errors: ApiMessage[]; attempts: number },
  ) {
    super('API_ERROR', message)
    this.name = 'ApiError'
    this.status = details.status
    this.errors = details.errors
    this.attempts = details.attempts
  }
}

export interface FormatContext {
  worker: string
  /** Names what a `source.pointer` refers to; undefined leaves the raw pointer. */
  describe?: ((pointer: string) => string | undefined) | undefined
}

/** A server message is quoted whole up to this many characters (validation messages run long). */
const MESSAGE_CHARS = 1000

/**
 * One line per error (`message [code N]`, where it points, the docs link),
 * then one next-step hint per distinct problem. Every text from the server is
 * escaped and clipped (the envelope reader redacted it already).
 */
export function formatApiErrors(errors: ApiMessage[], context: FormatContext): string[] {
  const lines: string[] = []
  const hints = new Set<string>()
  for (const error of errors) {
    let line = `- ${quoteValue(error.message, undefined, MESSAGE_CHARS)} [code ${error.code}]`
    const pointer = error.source?.pointer
    if (pointer !== undefined)
      line += ` at ${quoteValue(safeDescribe(context.describe, pointer) ?? pointer)}`
    lines.push(line)
    if (error.documentation_url) lines.push(`  see ${quoteValue(error.documentation_url)}`)
    const hint = hintFor(error, context.worker)
    if (hint) hints.add(hint)
  }
  for (const hint of hints) lines.push(`hint: ${hint}`)
  return lines
}

// A describe callback is user code; a bug in it must not hide the API error.
function safeDescribe(describe: FormatContext['describe'], pointer: string): string | undefined {
  try {
    return describe?.(pointer)
  } catch {
    return undefined
  }
}

/** The next step for the error codes users meet most. */
function hintFor(error: ApiMessage, worker: string): string | undefined {
  switch (error.code) {
    case 10000:
    case 9106:
      return 'authentication failed: check CLOUDFLARE_API_TOKEN (or apiToken / CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY) and that the token has the "Workers Scripts Write" permission for this account.'
    case 7003:
      return 'the account was not found: check accountId / CLOUDFLARE_ACCOUNT_ID, and that the credentials belong to that account.'
    case 10007:
      return `the Worker ${JSON.stringify(worker)} does not exist: create it in the Cloudflare dashboard or with wrangler (\`wrangler deploy\`) first, or check the \`worker\` option.`
    case 10021:
      return /startup/i.test(error.message) && /cpu/i.test(error.message)
        ? 'the Worker used too much CPU time while starting: reduce top-level work at module scope (move it into handlers or initialise lazily).'
        : 'the request failed validation: fix the field named above.'
    case 10002:
      // The local emulator's own failure (see src/emulator/create-version.ts): nothing in the request to fix.
      return /local emulator/.test(error.message)
        ? 'the local emulator could not run the version, through no fault of the request: fix the cause named above where the emulator runs; it looks for miniflare and workerd again on the next upload, without a restart.'
        : undefined
    case 10027:
      return 'the Worker is too large (limit: 64 MiB uncompressed): check for source maps or large assets bundled as modules.'
    case 10099:
      return 'this account creates only SQLite-backed Durable Objects: in the migration, declare the new classes under `new_sqlite_classes` instead of `new_classes` (a class already created keeps its storage backend).'
    case 10211:
      return 'a version cannot carry a Durable Object migration: deploy it with `promote: true` (the plugin then applies it through the script upload), or apply the migration on its own first (`wrangler deploy`).'
    case 10013:
    case 971:
      return 'a transient Cloudflare error: retry later.'
    default:
      return undefined
  }
}
