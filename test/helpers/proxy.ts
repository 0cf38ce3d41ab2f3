import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { afterEach, beforeEach, expect, vi } from 'vitest'

/** What a proxy saw: a forwarded request (`GET http://host/path`) or a tunnel (`CONNECT host:port`). */
export interface ProxiedCall {
  line: string
  /** The `Proxy-Authorization` header it came with. */
  authorization?: string
}

export interface LoggingProxy {
  url: string
  port: number
  calls: ProxiedCall[]
  /** The proxy's own port of each tunnel it opened: the port the server saw that client on. */
  tunnelPorts: number[]
  close(): Promise<void>
}

/**
 * A forward proxy on 127.0.0.1 that logs every call: plain-http requests with absolute URIs are
 * forwarded, CONNECT opens a tunnel (to 127.0.0.1 only; https goes through it end to end). With `requireAuthorization`, a call without that exact
 * `Proxy-Authorization` gets 407. `answer` may reply in the proxy's place (a hostile proxy).
 */
export async function startLoggingProxy(
  options: {
    requireAuthorization?: string
    answer?: (req: IncomingMessage, res: ServerResponse) => boolean
  } = {},
): Promise<LoggingProxy> {
  const calls: ProxiedCall[] = []
  const tunnelPorts: number[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    calls.push({
      line: `${req.method} ${req.url}`,
      authorization: req.headers['proxy-authorization'],
    })
    if (
      options.requireAuthorization !== undefined &&
      req.headers['proxy-authorization'] !== options.requireAuthorization
    ) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end()
      return
    }
    if (options.answer?.(req, res)) return
    const { 'proxy-authorization': _auth, 'proxy-connection': _keepAlive, ...headers } = req.headers
    const upstream = request(req.url!, { method: req.method, headers }, (response) => {
      res.writeHead(response.statusCode ?? 502, response.headers)
      response.pipe(res)
    })
    upstream.on('error', () => res.writeHead(502).end())
    req.pipe(upstream)
  })
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    calls.push({ line: `CONNECT ${req.url}`, authorization: req.headers['proxy-authorization'] })
    if (
      options.requireAuthorization !== undefined &&
      req.headers['proxy-authorization'] !== options.requireAuthorization
    ) {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n',
      )
      return
    }
    // Tunnels lead to this machine only: a test never sends traffic anywhere else.
    const target = /^(127\.0\.0\.1|localhost):(\d{1,5})$/.exec(req.url ?? '')
    if (!target) {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n')
      return
    }
    const upstream = connect(Number(target[2]), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
      tunnelPorts.push(upstream.localPort!)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls,
    tunnelPorts,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** The variables undici's `EnvHttpProxyAgent` reads, as the plugin uses it. */
const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY'].flatMap((name) => [
  name,
  name.toLowerCase(),
])

/** Proxy credentials (user `alice`), as a proxy URL carries them and as the proxy receives them. */
export interface ProxyCredentials {
  /** The `Proxy-Authorization` header they make. */
  authorization: string
  /** The URL of `proxy` with them in it, for HTTP_PROXY or HTTPS_PROXY. */
  url(proxy: LoggingProxy): string
  /** Every form of them that must show nowhere: the password, URL-encoded, and the header's value. */
  forms: string[]
}

export function proxyCredentials(password: string): ProxyCredentials {
  const token = Buffer.from(`alice:${password}`).toString('base64')
  return {
    authorization: `Basic ${token}`,
    url: (proxy) => `http://alice:${password}@127.0.0.1:${proxy.port}`,
    forms: [password, encodeURIComponent(password), token],
  }
}

/**
 * The set-up of a test file about proxies: each test starts with no proxy variable set; after it,
 * the variables and spies are restored and the proxy it started is closed. The returned function
 * starts a logging proxy and, with `variable`, names it there (with the credentials when given)
 * and sets NO_PROXY to `noProxy` (default: empty).
 */
export function useProxies(): (
  options?: Parameters<typeof startLoggingProxy>[0] & {
    variable?: 'HTTP_PROXY' | 'HTTPS_PROXY' | 'ALL_PROXY'
    credentials?: ProxyCredentials
    noProxy?: string
  },
) => Promise<LoggingProxy> {
  let proxy: LoggingProxy | undefined
  beforeEach(() => {
    for (const name of PROXY_VARIABLES) vi.stubEnv(name, undefined)
  })
  afterEach(async () => {
    vi.unstubAllEnvs()
    vi.restoreAllMocks()
    await proxy?.close()
    proxy = undefined
  })
  return async ({ variable, credentials, noProxy = '', ...options } = {}) => {
    proxy = await startLoggingProxy(options)
    if (variable) {
      vi.stubEnv(variable, credentials ? credentials.url(proxy) : proxy.url)
      vi.stubEnv('NO_PROXY', noProxy)
    }
    return proxy
  }
}

/** What the test has printed to the console since the call (log, warn and error), one line per call. */
export function consoleOutput(): () => string {
  const spies = [vi.spyOn(console, 'log'), vi.spyOn(console, 'warn'), vi.spyOn(console, 'error')]
  return () =>
    spies
      .flatMap((spy) => spy.mock.calls)
      .map((args) => args.join(' '))
      .join('\n')
}

/** Expects none of the credentials' forms in `text`. */
export function expectNoCredentials(text: string, credentials: ProxyCredentials): void {
  for (const form of credentials.forms) expect(text).not.toContain(form)
}
