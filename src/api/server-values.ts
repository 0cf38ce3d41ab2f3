/**
 * Values the server sends that the plugin prints, writes (result.json, GITHUB_OUTPUT), hands to
 * `onVersion` or sends back in a later request. A hostile or broken server must not be able to
 * add a line to a CI output or send a user to a `javascript:` link, so each value is checked
 * against its format before any use, and an error quotes it only clipped, escaped and redacted.
 */
import { WorkersVersionError } from '../core/errors.js'
import { clip } from '../core/guards.js'
import { printable } from '../core/printable.js'
import { isLoopbackHost } from './url.js'

/** Version and deployment ids are UUIDs (the API's `id` of both, and every `version_id`). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** A Worker's id: 32 hex characters from the API; letters, digits, `-` and `_` let through for emulators. */
const WORKER_ID = /^[A-Za-z0-9_-]{1,64}$/
/** Enough of a refused value to recognise it, never a whole payload. */
const QUOTE_CHARS = 80

type Redact = (text: string) => string

/**
 * A server value as an error may show it: redacted first, then clipped, then JSON-escaped (no raw
 * line break), with what JSON leaves raw (C1 controls, bidirectional marks, U+2028) escaped too.
 */
export function quoteServerValue(value: unknown, redact: Redact = (text) => text): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
  return printable(JSON.stringify(clip(redact(text), QUOTE_CHARS)))
}

function invalid(
  what: string,
  value: unknown,
  expected: string,
  redact: Redact | undefined,
): WorkersVersionError {
  return new WorkersVersionError(
    'API_INVALID_RESPONSE',
    `Cloudflare API: ${what} is ${quoteServerValue(value, redact)}, which is not ${expected}; the answer is not used (nothing from it was printed or written).`,
  )
}

/** `value` when it is a version or deployment id (a UUID); otherwise API_INVALID_RESPONSE. */
export function checkUuid(value: unknown, what: string, redact?: Redact): string {
  if (typeof value === 'string' && UUID.test(value)) return value
  throw invalid(what, value, 'a UUID', redact)
}

export function checkWorkerId(value: unknown, what: string, redact?: Redact): string {
  if (typeof value === 'string' && WORKER_ID.test(value)) return value
  throw invalid(what, value, "a Worker id (letters, digits, '-' and '_')", redact)
}

/**
 * A Preview's or Preview deployment's id. Their format is not documented (wrangler's tests use
 * any string), so they are held to what an id can safely be wherever it goes (a URL path, a step
 * output, a table cell): 1 to 64 letters, digits, `-` and `_`, which a UUID or 32 hex digits are.
 */
export function checkPreviewId(value: unknown, what: string, redact?: Redact): string {
  if (typeof value === 'string' && WORKER_ID.test(value)) return value
  throw invalid(what, value, "an id (1 to 64 letters, digits, '-' and '_')", redact)
}

/** A URL the plugin prints or writes: https, or http on loopback (the local emulator's previews). */
export function checkServerUrl(value: unknown, what: string, redact?: Redact): string {
  let url: URL | undefined
  try {
    url = typeof value === 'string' && !/[\s\p{Cc}]/u.test(value) ? new URL(value) : undefined
  } catch {
    url = undefined
  }
  const safe =
    url !== undefined &&
    !url.username &&
    !url.password &&
    (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname)))
  if (safe) return value as string
  throw invalid(what, value, 'an https URL (or http on loopback)', redact)
}
