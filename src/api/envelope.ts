import { isRecord } from '../core/guards.js'
import { printable } from '../core/printable.js'
/** One entry of the envelope's `errors` or `messages`. */
export interface ApiMessage {
  code: number
  message: string
  documentation_url?: string
  source?: { pointer?: string }
}

/** The envelope every Cloudflare v4 API response is wrapped in. */
interface Envelope<T = unknown> {
  success: boolean
  errors: ApiMessage[]
  messages: ApiMessage[]
  result: T | null
}

/** A response body read as an envelope, or a short excerpt when it is not one (an HTML error page from a proxy, say). */
export type ParsedBody<T> =
  { kind: 'envelope'; envelope: Envelope<T> } | { kind: 'other'; excerpt: string }

const EXCERPT_CHARS = 200

/**
 * Reads a response body. `redact` runs over every text that may be shown
 * (messages, their links and pointers, the excerpt of a non-JSON page) and
 * always before the excerpt is cut, so a cut never keeps part of a secret.
 * `result` is left as sent: callers pick the fields they need and redact those.
 */
export function parseEnvelope<T = unknown>(
  text: string,
  redact: (text: string) => string = (t) => t,
): ParsedBody<T> {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return { kind: 'other', excerpt: excerpt(redact(text)) }
  }
  if (!isRecord(data) || (!('success' in data) && !('errors' in data) && !('result' in data))) {
    return { kind: 'other', excerpt: excerpt(redact(text)) }
  }
  return {
    kind: 'envelope',
    envelope: {
      success: data.success === true,
      errors: messagesOf(data.errors, redact),
      messages: messagesOf(data.messages, redact),
      result: (data.result ?? null) as T | null,
    },
  }
}

/** The first 200 characters on one line: enough to recognise a page, short enough for a log. */
function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  if (flat === '') return '(empty body)'
  return printable(flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat)
}

// The server's shapes are trusted only as far as they are checked: a
// malformed entry must not turn an API error into a TypeError.
// Only these four fields are kept, each redacted: anything else the server
// puts in an entry (an echo of the request, say) never reaches an error.
function messagesOf(value: unknown, redact: (text: string) => string): ApiMessage[] {
  if (!Array.isArray(value)) return []
  return value.filter(isRecord).map((entry) => {
    const code =
      typeof entry.code === 'number' && Number.isFinite(entry.code)
        ? entry.code
        : Number(entry.code) || 0
    const message: ApiMessage = {
      code: Number(redact(String(code))) === code ? code : 0,
      message: redact(
        typeof entry.message === 'string'
          ? entry.message
          : (JSON.stringify(entry.message ?? '') ?? ''),
      ),
    }
    if (typeof entry.documentation_url === 'string' && entry.documentation_url !== '')
      message.documentation_url = redact(entry.documentation_url)
    if (isRecord(entry.source) && typeof entry.source.pointer === 'string')
      message.source = { pointer: redact(entry.source.pointer) }
    return message
  })
}
