import { WorkersVersionError } from '../core/errors.js'
import { clip } from '../core/guards.js'

/** `apiBaseUrl` / CLOUDFLARE_API_BASE_URL: the option path errors name by default. */
const BASE_URL_OPTION = '`apiBaseUrl` (or CLOUDFLARE_API_BASE_URL)'

/**
 * Parses and checks an API base URL, for plan time and for every request:
 *  - an empty value is an error (never a silent fallback to the default);
 *  - a value without a scheme (`localhost:8787`, which `new URL` reads as the
 *    scheme `localhost:`) says that the scheme is missing;
 *  - credentials are never sent in clear text: plain http only to loopback, so
 *    tests and local emulators work while `http://api.cloudflare.com` cannot
 *    leak a token;
 *  - no user name or password, no query or fragment (they would be dropped).
 * `optionPath` names where the value came from in messages.
 */
export function parseBaseUrl(url: string, optionPath: string = BASE_URL_OPTION): URL {
  const text = typeof url === 'string' ? url.trim() : ''
  if (text === '') {
    throw new WorkersVersionError(
      'INVALID_API_URL',
      `${optionPath} is empty: leave it unset for https://api.cloudflare.com/client/v4, or set a full URL.`,
    )
  }
  if (!/^[a-z][a-z\d+.-]*:\/\//i.test(text)) {
    throw new WorkersVersionError(
      'INVALID_API_URL',
      `${optionPath} ${JSON.stringify(clip(text, 100))} has no scheme: write it in full, e.g. https://api.example.com/client/v4, or http://${text.replace(/^\/+/, '')} for a local emulator.`,
    )
  }
  let parsed: URL
  try {
    parsed = new URL(text)
  } catch {
    throw new WorkersVersionError(
      'INVALID_API_URL',
      `${optionPath} is not a valid URL: ${JSON.stringify(clip(text, 100))}.`,
    )
  }
  if (parsed.username || parsed.password) {
    throw new WorkersVersionError(
      'INSECURE_API_URL',
      `${optionPath} must not contain a user name or password.`,
    )
  }
  if (
    parsed.protocol !== 'https:' &&
    !(parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname))
  ) {
    throw new WorkersVersionError(
      'INSECURE_API_URL',
      `Refusing to send Cloudflare credentials to ${parsed.protocol}//${parsed.host} (${optionPath}): use https (plain http is allowed only for 127.0.0.0/8, localhost and [::1]).`,
    )
  }
  if (parsed.search || parsed.hash) {
    throw new WorkersVersionError(
      'INVALID_API_URL',
      `${optionPath} must not have a query or fragment (${JSON.stringify(clip(text, 100))}): give only the API root, e.g. https://api.cloudflare.com/client/v4.`,
    )
  }
  return parsed
}

/** Throws unless `url` is a usable, safe API base URL (see {@link parseBaseUrl}). */
export function assertSafeBaseUrl(url: string, optionPath?: string): void {
  parseBaseUrl(url, optionPath)
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  // The WHATWG URL parser has normalised the host: an IPv4 address is four decimal parts
  // (`127.1` is `127.0.0.1` by then), and only an IPv6 address contains a colon.
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(host)) return host.startsWith('127.')
  // WHATWG URL normalises `[::ffff:127.0.0.1]` to `[::ffff:7f00:1]`.
  if (host.includes(':')) return host === '::1' || /^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(host)
  return false
}

/**
 * `base` + `path` (+ query), keeping any path prefix of the base (`…/client/v4`).
 * Identifiers in `path` are encoded by the caller; a `.` or `..` segment would
 * still be resolved away by URL parsing and silently hit another endpoint, so
 * a path that does not survive as written is refused.
 */
export function apiUrl(base: string, path: string, query?: Record<string, string>): URL {
  const url = new URL(base)
  const wanted = url.pathname.replace(/\/+$/, '') + path
  url.pathname = wanted
  if (url.pathname !== wanted) {
    throw new WorkersVersionError(
      'INVALID_IDENTIFIER',
      `Refusing to request ${JSON.stringify(wanted)}: a "." or ".." path segment would send it to another endpoint.`,
    )
  }
  url.search = ''
  for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value)
  return url
}
