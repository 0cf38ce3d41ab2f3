import type { VersionRequestBody, VersionResult } from '../core/body.js'
import { WorkersVersionError } from '../core/errors.js'
import { type ApiCredentials, authHeaders } from './auth.js'
import { Redactor, secretsInBindings } from '../core/redact.js'
import { checkAccountId, checkWorkerName } from './identifiers.js'
import { type ApiMessage, parseEnvelope } from './envelope.js'
import { ApiError, formatApiErrors } from './errors.js'
import { describePointer } from './pointers.js'
import { backoffDelay, MAX_RETRY_AFTER_MS, parseRetryAfter, resolveRetryPolicy, type RetryOptions, type RetryPolicy, seconds, sleep } from './retry.js'
import { type BodyStream, NetworkFailure, type RequestBody, resolveTimeouts, type Timeouts, Transport } from './transport.js'
import type { Agent } from './undici.js'
import { pickVersionResult } from './result.js'
import { parseBaseUrl } from './url.js'
import { findCreatedVersion, identityOf, type VersionIdentity, versionsPath } from './versions.js'

export type { ApiCredentials } from './auth.js'
export type { ApiMessage } from './envelope.js'
export { ApiError } from './errors.js'
export { describePointer } from './pointers.js'
export { assertSafeBaseUrl, parseBaseUrl } from './url.js'
export { checkAccountId, checkWorkerName } from './identifiers.js'

export interface ApiClientOptions {
  /** The API root, e.g. https://api.cloudflare.com/client/v4 (the caller applies that default). */
  baseUrl: string
  credentials: ApiCredentials
  /** Defaults: connect 10 s, response headers 60 s, gap between body chunks 60 s, whole call 5 min. */
  timeouts?: Timeouts
  /** Defaults: 5 attempts, 500 ms base delay, 10 s max delay. */
  retries?: RetryOptions
  /** Receives one line per retry or recovery; never contains a secret the redactor knows. */
  log?: (line: string) => void
  userAgent?: string
  /**
   * The run's redactor (see `redactorFor`). The credentials and the `secret_text`
   * values of an object body are added to it; a streamed body's secrets must be
   * in it already (or in `secrets`), since the client never parses a stream.
   */
  redactor?: Redactor
  /** More secrets to keep out of every message, log line and result. */
  secrets?: readonly string[]
  /**
   * An Agent (`createAgent`) shared by the calls of one upload, so they reuse its connections
   * (one TLS handshake instead of one per call). Whoever creates it destroys it; without it,
   * each call opens and closes its own.
   */
  agent?: Agent
  /**
   * A read made while the bundler is still working: its deadline and retry waits do not hold
   * the process open, so a build that fails meanwhile exits at once. Whoever awaits its result
   * keeps the process alive itself (`holdingProcessOpen`).
   */
  background?: boolean
}

export interface CreateVersionOptions extends ApiClientOptions {
  accountId: string
  worker: string
  /** The request body, or a factory returning a fresh JSON stream for every attempt. */
  body: VersionRequestBody | (() => BodyStream)
  /**
   * What identifies a streamed body's version if its response is lost: metadata
   * and module digests, from `identityOfPayload(payload)`. Without module
   * digests a lost response is never matched to a version: the request is sent
   * again (a second version) rather than claiming one that may be another build's.
   */
  identity?: VersionIdentity
  /** Byte length of a streamed body, sent as `content-length` (some proxies refuse chunked uploads). */
  contentLength?: number
  /** Names what an error's `source.pointer` refers to; defaults to `describePointer(body, …)` for object bodies. */
  describe?: (pointer: string) => string | undefined
}

const DEFAULT_USER_AGENT = 'unplugin-workers-version'

/**
 * `POST /accounts/{accountId}/workers/workers/{worker}/versions`, with
 * retries that never adopt a version without proof that it is this build's
 * (see `run` and `findCreatedVersion`).
 *
 * Everything that leaves this function passes the redactor first: log lines,
 * the thrown error (every nested field, `cause` included) and the result,
 * which keeps only the fields the plugin uses (`pickVersionResult`).
 */
export async function createVersion(options: CreateVersionOptions): Promise<VersionResult> {
  const { body } = options
  const redactor = options.redactor ?? new Redactor()
  redactor.add(options.credentials.apiToken, options.credentials.apiKey, ...(options.secrets ?? []))
  if (typeof body !== 'function') redactor.add(...secretsInBindings(body.bindings))
  try {
    return await createVersionUnredacted(options, redactor)
  } catch (error) {
    throw redactor.redactDeep(error)
  }
}

async function createVersionUnredacted(options: CreateVersionOptions, redactor: Redactor): Promise<VersionResult> {
  parseBaseUrl(options.baseUrl)
  checkAccountId(options.accountId)
  checkWorkerName(options.worker)
  const headers = authHeaders(options.credentials)
  const { body } = options
  // Serialised once: every attempt sends this same Buffer, so a 100 MB body
  // exists as one string (garbage right after) and one Buffer, never more.
  const payload: RequestBody = typeof body === 'function' ? body : Buffer.from(JSON.stringify(body))
  const transport = new Transport(
    options.baseUrl,
    redactor,
    headers,
    options.userAgent ?? DEFAULT_USER_AGENT,
    resolveTimeouts(options.timeouts),
    options.agent,
  )
  const redact = (text: string) => redactor.redact(text)
  const userLog = options.log
  const run = new CreateVersionRun({
    transport,
    payload,
    contentLength: typeof body === 'function' ? options.contentLength : undefined,
    identity: typeof body === 'function' ? options.identity : identityOf(body),
    accountId: options.accountId,
    worker: options.worker,
    policy: resolveRetryPolicy(options.retries),
    describe: options.describe ?? (typeof body === 'function' ? undefined : (pointer) => describePointer(body, pointer)),
    redact,
    log: (line) => {
      // A failing logger must not turn a retry into a failed build.
      try {
        userLog?.(redact(line))
      } catch {
        /* ignored */
      }
    },
  })
  try {
    const raw = await run.run()
    const result = pickVersionResult(raw, redactor)
    if (!result) throw new WorkersVersionError('API_ERROR', `Create Version for Worker ${JSON.stringify(options.worker)}: the response has no version id.`)
    return result
  } finally {
    await transport.close()
  }
}

interface RunContext {
  transport: Transport
  payload: RequestBody
  contentLength: number | undefined
  identity: VersionIdentity | undefined
  accountId: string
  worker: string
  policy: RetryPolicy
  describe: ((pointer: string) => string | undefined) | undefined
  redact: (text: string) => string
  log: (line: string) => void
}

/** What one POST came to. `unknown`: the server may have created the version anyway. */
type Attempt =
  | { kind: 'created'; result: unknown }
  | { kind: 'rejected'; error: ApiError }
  | { kind: 'retry'; unknown: boolean; summary: string; retryAfterMs?: number; http?: HttpFailure; cause?: Error }

interface HttpFailure {
  status: number
  errors: ApiMessage[]
  detail: string[]
}

// 503 and 429 mean the request was turned away before any work was done. The
// others are retried because they are usually transient, but the server (or
// the origin behind Cloudflare's edge: 520–524) may have created the version
// before failing, so they count as an unknown outcome.
const RETRY_REJECTED = new Set([429, 503])
const RETRY_UNKNOWN = new Set([500, 502, 504, 520, 521, 522, 523, 524])

class CreateVersionRun {
  private attempt = 0
  private firstSentAt: number | undefined
  /** Sticky: once a POST may have succeeded, every resend is preceded by a lookup. */
  private outcomeUnknown = false
  private postInFlight = false
  private last: Extract<Attempt, { kind: 'retry' }> | undefined
  /** The attempt `last` came from (the loop counter has moved on by the time a lookup runs). */
  private lastAttempt = 0

  constructor(private readonly ctx: RunContext) {}

  /**
   * Retry loop. Two rules: a POST whose outcome is unknown is never sent again
   * before `findCreatedVersion` has looked for the version it may have made,
   * and a version found is returned only when proven to hold this build's
   * modules. Without that proof the POST is sent again: a second, harmless
   * version is better than reporting another build's code as ours. If the
   * versions cannot be listed at all, the run stops with API_OUTCOME_UNKNOWN.
   */
  async run(): Promise<unknown> {
    const { policy, log } = this.ctx
    let giveUpReason: string | undefined
    try {
      for (this.attempt = 1; this.attempt <= policy.attempts; this.attempt++) {
        if (this.outcomeUnknown) {
          const found = await this.recover()
          if (found) return found
        }
        const outcome = await this.post()
        if (outcome.kind === 'created') return outcome.result
        if (outcome.kind === 'rejected') throw outcome.error
        this.last = outcome
        this.lastAttempt = this.attempt
        this.outcomeUnknown ||= outcome.unknown
        if (this.attempt === policy.attempts) break
        const wait = this.waitBeforeRetry(outcome)
        if (typeof wait === 'string') {
          giveUpReason = wait
          break
        }
        log(`Create Version: ${outcome.summary}; attempt ${this.attempt}/${policy.attempts} failed, waiting ${seconds(wait)}`)
        await sleep(wait, this.ctx.transport.signal)
      }
      if (this.outcomeUnknown) {
        const found = await this.recover()
        if (found) return found
      }
      throw this.exhausted(giveUpReason)
    } catch (error) {
      if (this.ctx.transport.deadlineExceeded) throw this.deadlineError()
      throw error
    }
  }

  private async post(): Promise<Attempt> {
    const { transport, accountId, worker, payload, contentLength } = this.ctx
    this.firstSentAt ??= Date.now()
    this.postInFlight = true
    let response
    try {
      response = await transport.send('POST', versionsPath(accountId, worker), { body: payload, contentLength })
    } catch (error) {
      // Left set on a deadline abort: the error then says the version may exist.
      if (!(error instanceof NetworkFailure)) throw error
      this.postInFlight = false
      if (error.fatal) {
        // Refused on this machine or at the TLS handshake: nothing reached the
        // API, and sending again would fail the same way. No lookup, no retry.
        throw new WorkersVersionError(
          'API_NOT_SENT',
          `Create Version for Worker ${JSON.stringify(worker)} was not sent: ${this.ctx.redact(error.message)}.`,
          { cause: error.cause },
        )
      }
      const unknown = !error.notSent
      const what = unknown ? 'no complete response' : 'could not connect'
      return { kind: 'retry', unknown, summary: `${what}: ${this.ctx.redact(error.message)}`, cause: error.cause as Error }
    }
    this.postInFlight = false

    const { status } = response
    const parsed = parseEnvelope(response.text, this.ctx.redact)
    if (status >= 200 && status < 300) {
      if (parsed.kind === 'envelope' && parsed.envelope.success && pickVersionResult(parsed.envelope.result) !== undefined) {
        return { kind: 'created', result: parsed.envelope.result }
      }
      // A 2xx the client cannot read may still mean the version exists.
      const detail = parsed.kind === 'other' ? parsed.excerpt : 'the response has no version in `result`'
      return { kind: 'retry', unknown: true, summary: `HTTP ${status} but ${this.ctx.redact(detail)}`, http: { status, errors: [], detail: [] } }
    }

    const http = this.httpFailure(status, parsed)
    if (RETRY_REJECTED.has(status) || RETRY_UNKNOWN.has(status)) {
      const retryAfterMs = parseRetryAfter(response.headers['retry-after'])
      const firstLine = http.detail[0]?.replace(/^- /, '') ?? ''
      return {
        kind: 'retry',
        unknown: RETRY_UNKNOWN.has(status),
        summary: `HTTP ${status}${firstLine ? ` (${firstLine})` : ''}`,
        http,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      }
    }
    const message = [`Cloudflare API rejected Create Version for Worker ${JSON.stringify(worker)} (HTTP ${status}):`, ...http.detail].join('\n')
    return { kind: 'rejected', error: new ApiError(message, { status, errors: http.errors, attempts: this.attempt }) }
  }

  private httpFailure(status: number, parsed: ReturnType<typeof parseEnvelope>): HttpFailure {
    const { redact } = this.ctx
    if (parsed.kind === 'other') return { status, errors: [], detail: [`- the response is not JSON: ${redact(parsed.excerpt)}`] }
    // The server may quote the request (and so a credential) back in a message.
    const errors = parsed.envelope.errors
    const detail = errors.length > 0 ? formatApiErrors(errors, { worker: this.ctx.worker, describe: this.ctx.describe }) : ['- no error details in the response']
    return { status, errors, detail: detail.map(redact) }
  }

  /**
   * Retry-After when the server sent one, else backoff. A Retry-After past the
   * cap or the deadline returns the reason to stop now: sleeping it out would
   * only end in a less helpful timeout.
   */
  private waitBeforeRetry(outcome: Extract<Attempt, { kind: 'retry' }>): number | string {
    const wait = outcome.retryAfterMs
    if (wait === undefined) return backoffDelay(this.attempt, this.ctx.policy)
    if (wait > MAX_RETRY_AFTER_MS) return `the API asks to wait ${seconds(wait)} (Retry-After), longer than the ${seconds(MAX_RETRY_AFTER_MS)} a build waits`
    if (wait > this.ctx.transport.remainingMs()) return `the API asks to wait ${seconds(wait)} (Retry-After), past the deadline`
    return wait
  }

  private async recover(): Promise<VersionResult | undefined> {
    const { transport, accountId, worker, identity, policy, log, redact } = this.ctx
    let found: VersionResult | undefined
    try {
      found = await findCreatedVersion({ transport, accountId, worker, identity, firstSentAt: this.firstSentAt ?? Date.now(), policy, log, redact })
    } catch (error) {
      if (transport.deadlineExceeded) throw error
      const reason = error instanceof Error ? error.message : String(error)
      throw new WorkersVersionError(
        'API_OUTCOME_UNKNOWN',
        this.ctx.redact(
          `Create Version for Worker ${JSON.stringify(worker)}: attempt ${this.lastAttempt} got ${this.last?.summary ?? 'no answer'}, so it may have created a version, ` +
            `and the versions could not be listed to check (${reason}). Not sending it again, to avoid creating a second version: ` +
            `check the Worker's versions (dashboard or \`wrangler versions list --name ${worker}\`) before building again.`,
        ),
      )
    }
    if (found) log(`Create Version: recovered the lost response: version ${found.id} (number ${String(found.number)}) had been created with this build's modules`)
    return found
  }

  /** The final error once retries are used up (or pointless). */
  private exhausted(reason?: string): WorkersVersionError {
    const last = this.last
    const count = Math.min(this.attempt, this.ctx.policy.attempts)
    const attempts = `${count} attempt${count === 1 ? '' : 's'}`
    const head = `Create Version for Worker ${JSON.stringify(this.ctx.worker)} failed after ${attempts}`
    if (last?.http) {
      const lines = [`${head}; ${reason ? `${reason}; last error` : 'last error'}: HTTP ${last.http.status}${last.http.detail.length ? ':' : ''}`, ...last.http.detail]
      if (!reason && last.http.detail.length === 0) lines[0] += ` (${last.summary})`
      return new ApiError(lines.join('\n'), { status: last.http.status, errors: last.http.errors, attempts: count })
    }
    return new WorkersVersionError('API_NETWORK_ERROR', `${head}; ${reason ? `${reason}; ` : ''}last error: ${last?.summary ?? 'unknown'}`, last?.cause ? { cause: last.cause } : undefined)
  }

  private deadlineError(): WorkersVersionError {
    const { transport, worker } = this.ctx
    const mayExist = this.postInFlight || this.outcomeUnknown
    const lines = [
      `Create Version for Worker ${JSON.stringify(worker)} gave up: no result within the ${seconds(transport.timeouts.deadlineMs)} deadline (attempt ${this.attempt}${this.last ? `; last error: ${this.last.summary}` : ''}).`,
    ]
    if (mayExist) lines.push(`The version may have been created anyway: check \`wrangler versions list --name ${worker}\` before building again.`)
    return new WorkersVersionError('API_TIMEOUT', this.ctx.redact(lines.join('\n')))
  }
}
