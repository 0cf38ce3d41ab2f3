import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { Agent, request } from 'undici'
import { type ApiCredentials, scrubCredentials } from './auth.js'
import { seconds } from './retry.js'
import { apiUrl } from './url.js'
import { withoutWasmTierUp } from './wasm-tier-up.js'

/** A serialised body (reused as is by every attempt) or a factory giving a fresh stream per attempt. */
export type RequestBody = Buffer | (() => AsyncIterable<Uint8Array> | Readable)

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
    connectMs: timeouts?.connectMs ?? 10_000,
    headersMs: timeouts?.headersMs ?? 60_000,
    bodyMs: timeouts?.bodyMs ?? 60_000,
    deadlineMs: timeouts?.deadlineMs ?? 5 * 60_000,
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
 * leaves the outcome unknown.
 */
export class NetworkFailure extends Error {
  readonly notSent: boolean
  constructor(message: string, notSent: boolean, options: { cause: Error }) {
    super(message, options)
    this.name = 'NetworkFailure'
    this.notSent = notSent
  }
}

/** The overall deadline passed; `signal.reason` of the transport. */
export class DeadlineExceeded extends Error {
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

/**
 * One undici Agent with the configured timeouts and one deadline shared by
 * every request of a Create Version call. `close()` must run in a `finally`:
 * it destroys the sockets so a build can never hang on a half-open connection.
 */
export class Transport {
  readonly signal: AbortSignal
  private readonly agent: Agent
  private readonly controller = new AbortController()
  private readonly timer: NodeJS.Timeout
  private readonly baseHeaders: Record<string, string>
  private readonly startedAt = Date.now()

  constructor(
    private readonly baseUrl: string,
    private readonly credentials: ApiCredentials,
    authHeaders: Record<string, string>,
    userAgent: string,
    readonly timeouts: ResolvedTimeouts,
  ) {
    this.agent = new Agent({
      connectTimeout: timeouts.connectMs,
      headersTimeout: timeouts.headersMs,
      bodyTimeout: timeouts.bodyMs,
    })
    this.signal = this.controller.signal
    this.timer = setTimeout(() => this.controller.abort(new DeadlineExceeded(timeouts.deadlineMs)), timeouts.deadlineMs)
    this.baseHeaders = { accept: 'application/json', 'user-agent': userAgent, ...authHeaders }
  }

  remainingMs(): number {
    return this.startedAt + this.timeouts.deadlineMs - Date.now()
  }

  get deadlineExceeded(): boolean {
    return this.signal.aborted
  }

  async send(method: 'GET' | 'POST', path: string, options: { query?: Record<string, string>; body?: RequestBody; contentLength?: number } = {}): Promise<HttpResponse> {
    if (this.signal.aborted) throw this.signal.reason
    const headers = { ...this.baseHeaders }
    let body: Buffer | Readable | undefined
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = typeof options.body === 'function' ? toReadable(options.body()) : options.body
      if (options.contentLength !== undefined) headers['content-length'] = String(options.contentLength)
    }
    try {
      // withoutWasmTierUp: no exit stall after an upload (see wasm-tier-up.ts for the numbers).
      const response = await withoutWasmTierUp(() =>
        request(apiUrl(this.baseUrl, path, options.query), {
          method,
          headers,
          body,
          dispatcher: this.agent,
          signal: this.signal,
        }),
      )
      const text = await response.body.text()
      return { status: response.statusCode, headers: response.headers, text }
    } catch (error) {
      if (this.signal.aborted) throw this.signal.reason
      throw this.networkFailure(error)
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.timer)
    // destroy, not close: close() would wait for a request still in flight.
    await this.agent.destroy().catch(() => undefined)
  }

  private networkFailure(error: unknown): NetworkFailure {
    const codes = errorCodes(error)
    const notSent = codes.length > 0 && codes.every((code) => NOT_SENT_CODES.has(code))
    const cause = this.sanitize(error)
    return new NetworkFailure(cause.message, notSent, { cause })
  }

  /**
   * A copy of the error with only its name, message and code. undici errors
   * can carry sockets or request details; none of that is needed to explain
   * the failure, and any of it could one day include a header.
   */
  private sanitize(error: unknown): Error {
    const original = error instanceof Error ? error : new Error(String(error))
    const code = errorCodes(original)[0]
    let message = scrubCredentials(original.message || original.name, this.credentials)
    if (code && !message.includes(code)) message += ` (${code})`
    const copy = new Error(message)
    copy.name = original.name
    if (code) Object.defineProperty(copy, 'code', { value: code, enumerable: true })
    copy.stack = `${copy.name}: ${message}`
    return copy
  }
}

/** The error codes of an error, its cause and (for happy-eyeballs connects) its AggregateError members. */
function errorCodes(error: unknown, depth = 0): string[] {
  if (!(error instanceof Error) || depth > 3) return []
  const code: unknown = (error as Error & { code?: unknown }).code
  const own = typeof code === 'string' ? [code] : []
  const members = error instanceof AggregateError ? error.errors.flatMap((member) => errorCodes(member, depth + 1)) : []
  const cause = own.length === 0 && members.length === 0 ? errorCodes(error.cause, depth + 1) : []
  return [...own, ...members, ...cause]
}

function toReadable(source: AsyncIterable<Uint8Array> | Readable): Readable {
  return source instanceof Readable ? source : Readable.from(source, { objectMode: false })
}
