import type { IncomingHttpHeaders } from 'node:http'
import type { Readable } from 'node:stream'
import { setImmediate as nextMacrotask } from 'node:timers/promises'
import { Agent, createEnvProxyAgent, type Dispatcher, type FormData, request } from './undici.js'
import { proxyFromEnv, type ProxySettings } from './proxy.js'
import { Redactor } from '../core/redact.js'
import { NETWORK_DEFAULTS } from '../core/network-defaults.js'
import type { ApiCredentials } from './auth.js'
import { seconds } from './policy.js'
import { loopbackLookup } from './loopback-lookup.js'
import { POLICY } from './policy.js'
import { apiUrl } from './url.js'

/** Sent with every request; `userAgent` in the client options replaces it. */
const USER_AGENT = 'unplugin-workers-version'

/**
 * A body: bytes (sent as they are on every send), or a factory of a fresh stream or form for
 * every send. Iterables go to undici as they are (strings are written as UTF-8), pulled one
 * piece at a time as the socket drains.
 */
export type BodyStream =
  Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array> | Readable
type RequestBody = Buffer | (() => BodyStream | FormData)

export interface Timeouts {
  connectMs?: number
  headersMs?: number
  bodyMs?: number
  deadlineMs?: number
}

export type ResolvedTimeouts = Required<Timeouts>

// undici checks its timeouts on a coarse timer (about 1 s), so a headersMs
// below a second still takes about a second; the overall deadline is exact.
export function resolveTimeouts(timeouts: Timeouts | undefined): ResolvedTimeouts {
  return {
    connectMs: timeouts?.connectMs ?? NETWORK_DEFAULTS.timeouts.connectMs,
    headersMs: timeouts?.headersMs ?? NETWORK_DEFAULTS.timeouts.headersMs,
    bodyMs: timeouts?.bodyMs ?? NETWORK_DEFAULTS.timeouts.bodyMs,
    deadlineMs: timeouts?.deadlineMs ?? NETWORK_DEFAULTS.timeouts.deadlineMs,
  }
}

export interface HttpResponse {
  status: number
  headers: IncomingHttpHeaders
  text: string
}

/**
 * A request got no (complete) response. `notSent` is true only when the
 * connection was never established, so the server cannot have seen the body;
 * anything else (reset, timeout waiting for headers, broken response body)
 * leaves the outcome unknown. `fatal` (which implies `notSent`) says that
 * sending again cannot help: the request was refused on this machine (an
 * invalid header) or the TLS handshake failed (a plain-http port, a bad
 * certificate). It comes with a message saying what to fix.
 */
export class NetworkFailure extends Error {
  readonly notSent: boolean
  readonly fatal: boolean
  constructor(message: string, notSent: boolean, options: { cause: Error; fatal?: boolean }) {
    super(message, { cause: options.cause })
    this.name = 'NetworkFailure'
    this.fatal = options.fatal ?? false
    this.notSent = notSent || this.fatal
  }
}

/** The overall deadline passed; `signal.reason` of the transport. */
class DeadlineExceeded extends Error {
  constructor(deadlineMs: number) {
    super(`no result within the ${seconds(deadlineMs)} deadline`)
    this.name = 'DeadlineExceeded'
  }
}

// Failures of the TCP connect or the DNS lookup: no byte of the request left
// this machine. ETIMEDOUT is left out on purpose: it can also come from an
// established connection.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
])

// undici refused to build the request (a header with CR/LF, say): nothing was
// sent, and nothing will be on a retry.
const REFUSED_LOCALLY = new Set([
  'UND_ERR_INVALID_ARG',
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_HTTP_INVALID_HEADER_VALUE',
])

// A failed TLS handshake: the request is written only after it, so nothing was
// sent. OpenSSL reports protocol mismatches as ERR_SSL_*; the rest are the
// certificate checks Node runs on the peer.
const TLS_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
])
const isTlsFailure = (code: string) =>
  code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || TLS_CERTIFICATE.has(code)

/**
 * One clock for everything a deadline covers. It starts on first use, not when made: the
 * deadline of an upload runs from its first request, not from when the bundler started.
 * `background`: its timer does not hold the process open.
 */
export class Deadline {
  private readonly controller = new AbortController()
  readonly signal = this.controller.signal
  private timer: NodeJS.Timeout | undefined
  private startedAt: number | undefined

  constructor(
    readonly ms: number,
    private readonly background: boolean,
  ) {}

  start(): this {
    if (this.startedAt !== undefined) return this
    this.startedAt = Date.now()
    this.timer = setTimeout(() => this.controller.abort(new DeadlineExceeded(this.ms)), this.ms)
    if (this.background) this.timer.unref()
    return this
  }

  remainingMs(): number {
    return this.startedAt === undefined ? this.ms : this.startedAt + this.ms - Date.now()
  }

  clear(): void {
    clearTimeout(this.timer)
  }
}

/**
 * The connection pool of one upload, carrying its deadline: every call made with it (the reads,
 * Worker creation, the assets, the version, the deployment) shares both. The deadline's timer
 * never holds the process open: a request in flight or a wait between sends does that.
 */
export class SharedAgent {
  readonly deadline: Deadline
  readonly dispatcher: Dispatcher
  readonly proxied: boolean
  #destroyed = false

  constructor(timeouts: ResolvedTimeouts, proxy: ProxySettings | undefined) {
    this.dispatcher = createDispatcher(timeouts, proxy)
    this.proxied = proxy !== undefined
    this.deadline = new Deadline(timeouts.deadlineMs, true)
  }

  get destroyed(): boolean {
    return this.#destroyed
  }

  /** The upload is over: its connections and its deadline too. */
  async destroy(): Promise<void> {
    this.#destroyed = true
    this.deadline.clear()
    await this.dispatcher.destroy()
  }
}

function poolOptions(timeouts: ResolvedTimeouts) {
  return {
    connectTimeout: timeouts.connectMs,
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs,
    connect: { lookup: loopbackLookup },
  }
}

/**
 * Every call goes through the proxies the environment names (`HTTPS_PROXY`, `HTTP_PROXY`,
 * `ALL_PROXY`, with `NO_PROXY`); without any, a plain Agent, which is what undici's proxy agent
 * would use for every host anyway.
 */
function createDispatcher(
  timeouts: ResolvedTimeouts,
  proxy: ProxySettings | undefined,
): Dispatcher {
  return proxy
    ? createEnvProxyAgent({ ...poolOptions(timeouts), ...proxy })
    : new Agent(poolOptions(timeouts))
}

/**
 * The pool for one upload; whoever creates it destroys it when the upload ends. `proxy`: what
 * `proxyFromEnv` read, passed in so that the redactor learns its credentials first.
 */
export function createAgent(
  timeouts: ResolvedTimeouts,
  proxy: ProxySettings | undefined = proxyFromEnv(),
): SharedAgent {
  return new SharedAgent(timeouts, proxy)
}

/** One request as the transport sends it. */
export interface OutgoingRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** Below the API root, e.g. `/accounts/a/workers/scripts`. */
  path: string
  query?: Record<string, string>
  body?: RequestBody
  /** Byte length of a streamed body, sent as `content-length` (some proxies refuse chunked uploads). */
  contentLength?: number
  /** A bearer token that replaces the account credentials (the assets upload JWT). */
  bearer?: string
  /** Waits at least this long for the answer's headers, even when `headersMs` is shorter. */
  minHeadersMs?: number
  /** The largest response body read; default `POLICY.maxResponseBytes`. */
  maxResponseBytes?: number
}

export interface TransportOptions {
  baseUrl: string
  /** The run's redactor, or just the credentials (then only they are scrubbed from network errors). */
  secrets: ApiCredentials | Redactor
  authHeaders: Record<string, string>
  userAgent?: string | undefined
  timeouts: ResolvedTimeouts
  /** The upload's pool and deadline; without it the transport has its own, closed with it. */
  shared?: SharedAgent | undefined
  /** A read made while the bundler works: its own deadline, whose timer does not hold the process open. */
  background?: boolean | undefined
}

/**
 * Sends requests on an undici Agent and reads each answer whole, within a deadline. `close()`
 * must run in a `finally`: it destroys the sockets of its own Agent so a build can never hang
 * on a half-open connection; a shared Agent is closed by whoever made it.
 */
export class Transport {
  readonly deadline: Deadline
  private readonly agent: Dispatcher
  private readonly proxied: boolean
  private readonly ownsAgent: boolean
  private readonly ownsDeadline: boolean
  private readonly baseHeaders: Record<string, string>
  private readonly redactor: Redactor
  private readonly baseUrl: string
  private readonly headersMs: number

  constructor(options: TransportOptions) {
    const { secrets, shared, timeouts } = options
    this.baseUrl = options.baseUrl
    this.headersMs = timeouts.headersMs
    this.redactor =
      secrets instanceof Redactor
        ? secrets
        : new Redactor().addCredential(secrets.apiToken, secrets.apiKey)
    const proxy = shared ? undefined : proxyFromEnv()
    this.agent = shared?.dispatcher ?? createDispatcher(timeouts, proxy)
    this.proxied = shared?.proxied ?? proxy !== undefined
    this.ownsAgent = shared === undefined
    if (shared === undefined || options.background === true) {
      this.deadline = new Deadline(timeouts.deadlineMs, options.background ?? false)
      this.ownsDeadline = true
    } else {
      this.deadline = shared.deadline
      this.ownsDeadline = false
    }
    this.deadline.start()
    this.baseHeaders = {
      accept: 'application/json',
      'user-agent': options.userAgent ?? USER_AGENT,
      ...options.authHeaders,
    }
  }

  get signal(): AbortSignal {
    return this.deadline.signal
  }

  get deadlineExceeded(): boolean {
    return this.deadline.signal.aborted
  }

  async send(outgoing: OutgoingRequest): Promise<HttpResponse> {
    if (this.signal.aborted) throw this.signal.reason
    const headers =
      outgoing.bearer === undefined
        ? { ...this.baseHeaders }
        : withBearer(this.baseHeaders, outgoing.bearer)
    const source = typeof outgoing.body === 'function' ? outgoing.body() : outgoing.body
    // undici writes a form's multipart content type itself.
    if (source !== undefined && !isForm(source)) {
      headers['content-type'] = 'application/json'
      if (outgoing.contentLength !== undefined)
        headers['content-length'] = String(outgoing.contentLength)
    }
    // Built outside the try: a refused path is a programming or input error, not a network failure.
    const url = apiUrl(this.baseUrl, outgoing.path, outgoing.query)
    try {
      const response = await request(url, {
        method: outgoing.method,
        headers,
        // undici takes iterables and forms (it documents them; its types list only Readable).
        body: source as Buffer | Readable | undefined,
        dispatcher: this.agent,
        signal: this.signal,
        ...(outgoing.minHeadersMs !== undefined && outgoing.minHeadersMs > this.headersMs
          ? { headersTimeout: outgoing.minHeadersMs }
          : {}),
      })
      const text = await readCapped(response, outgoing.maxResponseBytes ?? POLICY.maxResponseBytes)
      // undici gives the connection back to the pool a macrotask after the body's end: a request the
      // caller sends at once would open a new connection instead, three round trips of TCP and TLS
      // against the real API (bench/network.mjs saw it on every full-stack deploy's third assets bucket).
      await nextMacrotask()
      return { status: response.statusCode, headers: response.headers, text }
    } catch (error) {
      if (error instanceof ResponseTooLarge) throw error
      if (this.signal.aborted) throw this.signal.reason
      throw this.networkFailure(error)
    }
  }

  async close(): Promise<void> {
    if (this.ownsDeadline) this.deadline.clear()
    // destroy, not close: close() would wait for a request still in flight.
    if (this.ownsAgent) await this.agent.destroy().catch(() => undefined)
  }

  private networkFailure(error: unknown): NetworkFailure {
    const codes = errorCodes(error)
    const cause = this.sanitize(error)
    const host = new URL(this.baseUrl).host
    const local = codes.find((code) => REFUSED_LOCALLY.has(code))
    if (local) {
      return new NetworkFailure(
        `the request was refused before sending (${local}: ${cause.message}); a header value (token, key, email or user agent) probably contains a line break or another character HTTP does not allow`,
        true,
        { cause, fatal: true },
      )
    }
    const tls = codes.find(isTlsFailure)
    if (tls) {
      const why = tls.startsWith('ERR_SSL_')
        ? `the server at ${host} does not speak https there (a plain-http server, or another protocol): use http:// for a local emulator on loopback, or the https port`
        : `the certificate of ${host} was refused: check the host name, or the CA configuration (NODE_EXTRA_CA_CERTS) for a proxy that re-signs traffic`
      return new NetworkFailure(
        `TLS handshake with ${host} failed (${tls}); nothing was sent: ${why}`,
        true,
        { cause, fatal: true },
      )
    }
    const notSent = codes.length > 0 && codes.every((code) => NOT_SENT_CODES.has(code))
    // Behind a mandatory proxy the only symptom is a name that does not resolve.
    const unresolved =
      !this.proxied && codes.some((code) => code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    const hint = unresolved
      ? `; ${new URL(this.baseUrl).hostname} could not be resolved: if this machine reaches the internet only through a proxy, set HTTPS_PROXY (and NO_PROXY for hosts to reach directly)`
      : ''
    return new NetworkFailure(`${cause.message}${hint}`, notSent, { cause })
  }

  /**
   * A copy of the error with only its name, message and code. undici errors
   * can carry sockets or request details; none of that is needed to explain
   * the failure, and any of it could one day include a header.
   */
  private sanitize(error: unknown): Error {
    const original = error instanceof Error ? error : new Error(String(error))
    const code = errorCodes(original)[0]
    let message = this.redactor.redact(original.message || original.name)
    if (code && !message.includes(code)) message += ` (${code})`
    const copy = new Error(message)
    copy.name = original.name
    if (code) Object.defineProperty(copy, 'code', { value: code, enumerable: true })
    copy.stack = `${copy.name}: ${message}`
    return copy
  }
}

/**
 * The answer's body was larger than the cap: it is left unread (a 1 GB error page would otherwise
 * be held in memory, twice). The server did answer, so this is no reason to send again.
 */
export class ResponseTooLarge extends Error {
  constructor(
    readonly status: number,
    readonly maxBytes: number,
    readonly declaredBytes: number | undefined,
  ) {
    super(
      `the API answered HTTP ${status} with a body ${declaredBytes === undefined ? 'over' : `of ${declaredBytes} bytes, over`} the ${maxBytes / 2 ** 20} MiB a response may have; it was not read`,
    )
    this.name = 'ResponseTooLarge'
  }
}

async function readCapped(
  response: Awaited<ReturnType<typeof request>>,
  maxBytes: number,
): Promise<string> {
  const declared = Number(response.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.body.destroy()
    throw new ResponseTooLarge(response.statusCode, maxBytes, declared)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) {
      response.body.destroy()
      throw new ResponseTooLarge(response.statusCode, maxBytes, undefined)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size).toString('utf8')
}

/** The error codes of an error, its cause and (for happy-eyeballs connects) its AggregateError members. */
function errorCodes(error: unknown, depth = 0): string[] {
  if (!(error instanceof Error) || depth > 3) return []
  const code: unknown = (error as Error & { code?: unknown }).code
  const own = typeof code === 'string' ? [code] : []
  const members =
    error instanceof AggregateError
      ? error.errors.flatMap((member) => errorCodes(member, depth + 1))
      : []
  const cause = own.length === 0 && members.length === 0 ? errorCodes(error.cause, depth + 1) : []
  return [...own, ...members, ...cause]
}

function withBearer(base: Record<string, string>, token: string): Record<string, string> {
  const { authorization: _token, 'x-auth-email': _email, 'x-auth-key': _key, ...rest } = base
  return { ...rest, authorization: `Bearer ${token}` }
}

function isForm(body: Buffer | BodyStream | FormData): body is FormData {
  return (body as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'FormData'
}
