import { isIP } from 'node:net'
import { WorkersVersionError } from '../core/errors.js'

/**
 * Refuses a base URL that would send credentials in clear text. Plain http is
 * allowed only to loopback, so tests and local emulators keep working while a
 * typo such as `http://api.cloudflare.com` cannot leak a token.
 */
export function assertSafeBaseUrl(url: string): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new WorkersVersionError('INSECURE_API_URL', `The Cloudflare API base URL is not a valid URL: ${JSON.stringify(url)}.`)
  }
  if (parsed.username || parsed.password) {
    throw new WorkersVersionError('INSECURE_API_URL', 'The Cloudflare API base URL must not contain a user name or password.')
  }
  if (parsed.protocol === 'https:') return
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return
  throw new WorkersVersionError(
    'INSECURE_API_URL',
    `Refusing to send Cloudflare credentials to ${parsed.protocol}//${parsed.host}: use https (plain http is allowed only for 127.0.0.0/8, localhost and [::1]).`,
  )
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '')
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  if (isIP(host) === 4) return host.startsWith('127.')
  // WHATWG URL normalises `[::ffff:127.0.0.1]` to `[::ffff:7f00:1]`.
  if (isIP(host) === 6) return host === '::1' || /^::ffff:(127\.|7f[0-9a-f]{2}:)/.test(host)
  return false
}

/** `base` + `path` (+ query), keeping any path prefix of the base (`…/client/v4`). */
export function apiUrl(base: string, path: string, query?: Record<string, string>): URL {
  const url = new URL(base)
  url.pathname = url.pathname.replace(/\/+$/, '') + path
  url.search = ''
  for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, value)
  return url
}
