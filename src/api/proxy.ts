import { WorkersVersionError } from '../core/errors.js'

/** The proxies the environment names, by the scheme of the URL they carry. */
export interface ProxySettings {
  httpProxy?: string
  httpsProxy?: string
}

const HTTP_VARS = ['http_proxy', 'HTTP_PROXY'] as const
const HTTPS_VARS = ['https_proxy', 'HTTPS_PROXY'] as const
// undici reads only the two above; ALL_PROXY is curl's fallback for both (wrangler's proxy
// users set it too), and undici's ProxyAgent takes the socks5:// URLs it usually holds.
const ALL_VARS = ['all_proxy', 'ALL_PROXY'] as const

/**
 * The proxy for http and for https URLs, or undefined when the environment names none (then
 * every call connects directly, and `NO_PROXY` has nothing to bypass). The first non-empty
 * variable wins, the lower-case one first as in curl and undici; `ALL_PROXY` stands in for
 * either that is unset. A value that is not a URL is an error that does not quote it: it may
 * hold a password.
 */
export function proxyFromEnv(env: NodeJS.ProcessEnv = process.env): ProxySettings | undefined {
  const pick = (names: readonly string[]) => {
    const name = names.find((n) => env[n] !== undefined && env[n].trim() !== '')
    if (name === undefined) return undefined
    const value = env[name]!.trim()
    if (!URL.canParse(value)) {
      throw new WorkersVersionError(
        'INVALID_PROXY',
        `${name} is not a URL (it is not quoted here: it may hold a password); write it as http://host:port or http://user:password@host:port.`,
      )
    }
    return value
  }
  const all = pick(ALL_VARS)
  const httpProxy = pick(HTTP_VARS) ?? all
  const httpsProxy = pick(HTTPS_VARS) ?? all
  if (httpProxy === undefined && httpsProxy === undefined) return undefined
  return {
    ...(httpProxy !== undefined && { httpProxy }),
    ...(httpsProxy !== undefined && { httpsProxy }),
  }
}

/**
 * The forms a proxy's credentials take in output: the password and `user:password` as written
 * in the URL and decoded, and the `Proxy-Authorization` value undici sends. Registered with the
 * run's redactor before any request, so no message, log line or file shows them.
 */
export function proxySecrets(settings: ProxySettings | undefined): string[] {
  const secrets: string[] = []
  for (const proxy of new Set([settings?.httpProxy, settings?.httpsProxy])) {
    if (proxy === undefined) continue
    const { username, password } = new URL(proxy)
    if (!username && !password) continue
    const user = safeDecode(username)
    const pass = safeDecode(password)
    // A proxy that takes a token as the user name has no password.
    if (!password) secrets.push(username, user)
    secrets.push(
      password,
      pass,
      `${username}:${password}`,
      `${user}:${pass}`,
      Buffer.from(`${user}:${pass}`).toString('base64'),
    )
  }
  return secrets.filter((secret) => secret.length > 0)
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
