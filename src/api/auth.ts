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
  if (token) return { authorization: `Bearer ${token}` }
  const key = credentials.apiKey?.trim()
  const email = credentials.email?.trim()
  if (key && email) return { 'x-auth-email': email, 'x-auth-key': key }
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
 * Replaces every secret of `credentials` in `text`. Used on everything that
 * leaves the client as text (log lines, error messages, server replies quoted
 * in errors), because a proxy or the server itself may echo request headers.
 */
export function scrubCredentials(text: string, credentials: ApiCredentials): string {
  let out = text
  for (const secret of [credentials.apiToken, credentials.apiKey]) {
    const value = secret?.trim()
    // Very short values would blank out ordinary words; real tokens are 40+ chars.
    if (value && value.length >= 6) out = out.split(value).join('[redacted]')
  }
  return out
}
