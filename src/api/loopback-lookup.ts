/**
 * Name resolution for the API's connections. `localhost` and every `*.localhost` name are allowed
 * plain http as loopback (url.ts), so they must reach loopback whatever the system resolver says:
 * a DNS server or a hosts file could point `evil.localhost` anywhere, and the token would follow.
 * RFC 6761 reserves these names for loopback; they are answered here and never looked up.
 */
import dns, { type LookupAddress } from 'node:dns'

type Callback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

const LOOPBACK: readonly LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
]

function isLocalhostName(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '')
  return host === 'localhost' || host.endsWith('.localhost')
}

/** `net.connect`'s `lookup`: loopback for localhost names, the system's resolver for the rest. */
export function loopbackLookup(
  hostname: string,
  options: { family?: number | string; all?: boolean },
  callback: Callback,
): void {
  if (!isLocalhostName(hostname)) {
    // The same call net.connect makes without a `lookup` of its own, read from the module at call
    // time as net does (a named import would keep the function as it was when this file loaded).
    ;(dns.lookup as (host: string, options: object, callback: Callback) => void)(
      hostname,
      options,
      callback,
    )
    return
  }
  const family =
    options.family === 6 || options.family === 'IPv6'
      ? 6
      : options.family === 4 || options.family === 'IPv4'
        ? 4
        : 0
  const addresses = LOOPBACK.filter((entry) => family === 0 || entry.family === family)
  const [first] = addresses
  process.nextTick(() =>
    options.all ? callback(null, [...addresses]) : callback(null, first!.address, first!.family),
  )
}
