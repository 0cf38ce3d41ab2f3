import { WorkersVersionError } from '../core/errors.js'

/** How the client authenticates: an API token (preferred) or the global key + email. */
export interface ApiCredentials {
  apiToken?: string
  apiKey?: string
  email?: string
}

/**
 * The auth headers for one request. An API token wins over a global key
 * because it is scoped; a key without its email would fail on the server with
 * a less helpful message, so it is refused here.
 */
export function authHeaders(credentials: ApiCredentials): Record<string, string> {
  const token = credentials.apiToken?.trim()
  if (token)
    return {
      authorization: `Bearer ${headerSafe(token, 'the API token (`apiToken` / CLOUDFLARE_API_TOKEN)')}`,
    }
  const key = credentials.apiKey?.trim()
  const email = credentials.email?.trim()
  if (key && email) {
    return {
      'x-auth-email': headerSafe(email, 'the account email (`email` / CLOUDFLARE_EMAIL)'),
      'x-auth-key': headerSafe(key, 'the global API key (`apiKey` / CLOUDFLARE_API_KEY)'),
    }
  }
  if (key) {
    throw new WorkersVersionError(
      'MISSING_CREDENTIALS',
      'A global API key needs its account email too: set CLOUDFLARE_EMAIL (or `email`), or use an API token (CLOUDFLARE_API_TOKEN) instead.',
    )
  }
  throw new WorkersVersionError(
    'MISSING_CREDENTIALS',
    'No Cloudflare credentials: set CLOUDFLARE_API_TOKEN (a token with the "Workers Scripts Write" permission), or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY.',
  )
}

/**
 * A credential goes into an HTTP header, where a line break or other control
 * character is refused by the HTTP stack before anything is sent (or, worse,
 * splits the header). Said here, without echoing the value: a pasted token
 * with a trailing newline from `echo` is the usual cause.
 */
function headerSafe(value: string, what: string): string {
  // Visible ASCII, space and tab only (RFC 9110 field-value, minus obs-text).
  const bad = /[^\t\x20-\x7e]/.exec(value)
  if (bad) {
    const char =
      bad[0] === '\n'
        ? 'a line feed'
        : bad[0] === '\r'
          ? 'a carriage return'
          : `the character U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
    throw new WorkersVersionError(
      'INVALID_CREDENTIALS',
      `${what} contains ${char} (at position ${bad.index + 1} of ${value.length}), which cannot be sent in an HTTP header. ` +
        'Set it again without line breaks or other invisible characters (e.g. `printf %s "$TOKEN"` instead of `echo`).',
    )
  }
  return value
}
