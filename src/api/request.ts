/**
 * One small JSON call to the Cloudflare API with the client's transport, retries, envelope parsing
 * and error formatting. Create Version has its own, stricter loop (client.ts); this one serves the
 * calls around a version (Worker, deployments, scripts, secrets).
 */
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { Redactor } from '../core/redact.js'
import { authHeaders } from './auth.js'
import type { ApiClientOptions } from './client.js'
import { parseEnvelope } from './envelope.js'
import { ApiError, formatApiErrors } from './errors.js'
import { backoffDelay, MAX_RETRY_AFTER_MS, parseRetryAfter, resolveRetryPolicy, seconds, sleep } from './retry.js'
import { NetworkFailure, resolveTimeouts, Transport } from './transport.js'
import { assertSafeBaseUrl } from './url.js'

/** What every call around a version needs: the client options and the account. */
export interface ApiCallContext extends ApiClientOptions {
  accountId: string
}

export interface ApiCall {
  method: 'GET' | 'POST'
  /** Below the API root, e.g. `/accounts/a/workers/scripts`. */
  path: string
  query?: Record<string, string>
  body?: unknown
  /** Names the call in messages, e.g. `List deployments for Worker "w"`. */
  what: string
  /** The Worker the call is about, for error hints. */
  worker: string
  /**
   * Whether sending it twice does no harm. GETs are; a POST that is not is resent only when the
   * server cannot have seen it (connection refused, 429, 503).
   */
  idempotent: boolean
  /** A 404 with code 10007 (no such Worker) resolves to `undefined` instead of throwing. */
  notFoundIsUndefined?: boolean
}

const DEFAULT_USER_AGENT = 'unplugin-workers-version'
const TURNED_AWAY = new Set([429, 503])
const TRANSIENT = new Set([500, 502, 504, 520, 521, 522, 523, 524])

export async function callApi(ctx: ApiCallContext, call: ApiCall): Promise<unknown> {
  assertSafeBaseUrl(ctx.baseUrl)
  if (!ctx.accountId) throw new WorkersVersionError('MISSING_OPTION', `${call.what} needs a non-empty \`accountId\`.`)
  const transport = new Transport(ctx.baseUrl, ctx.credentials, authHeaders(ctx.credentials), ctx.userAgent ?? DEFAULT_USER_AGENT, resolveTimeouts(ctx.timeouts), ctx.agent, ctx.background)
  const policy = resolveRetryPolicy(ctx.retries)
  // The run's redactor knows every secret (credentials, secret bindings, asset JWTs); every
  // message and log line of the call, and any error it throws, passes it first.
  const redactor = (ctx.redactor ?? new Redactor()).add(ctx.credentials.apiToken, ctx.credentials.apiKey)
  const redact = (text: string) => redactor.redact(text)
  const log = (line: string) => {
    try {
      ctx.log?.(redact(line))
    } catch {
      // A failing logger must not fail the call.
    }
  }
  const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body))
  try {
    for (let attempt = 1; ; attempt++) {
      let problem: string
      let retryable: boolean
      let retryAfterMs: number | undefined
      try {
        const response = await transport.send(call.method, call.path, { ...(call.query ? { query: call.query } : {}), ...(payload ? { body: payload } : {}) })
        const parsed = parseEnvelope(response.text, redact)
        const { status } = response
        if (status >= 200 && status < 300 && parsed.kind === 'envelope' && parsed.envelope.success) return parsed.envelope.result
        if (call.notFoundIsUndefined && status === 404 && parsed.kind === 'envelope' && parsed.envelope.errors.some((e) => e.code === 10007)) return undefined
        const errors = parsed.kind === 'envelope' ? parsed.envelope.errors.map((e) => ({ ...e, message: redact(e.message) })) : []
        const detail =
          parsed.kind === 'other'
            ? [`- the response is not JSON: ${redact(parsed.excerpt)}`]
            : errors.length > 0
              ? formatApiErrors(errors, { worker: call.worker })
              : ['- no error details in the response']
        retryable = TURNED_AWAY.has(status) || (call.idempotent && (TRANSIENT.has(status) || (status >= 200 && status < 300)))
        if (!retryable || attempt >= policy.attempts) {
          throw new ApiError([`Cloudflare API: ${call.what} failed (HTTP ${status}):`, ...detail].join('\n'), { status, errors, attempts: attempt })
        }
        problem = `HTTP ${status}`
        retryAfterMs = parseRetryAfter(response.headers['retry-after'])
      } catch (error) {
        if (!(error instanceof NetworkFailure)) throw error
        problem = redact(error.message)
        retryable = error.notSent || call.idempotent
        if (!retryable) {
          throw new WorkersVersionError(
            'API_OUTCOME_UNKNOWN',
            `${call.what}: no complete response (${problem}), so it may have taken effect; not sending it again. Check the Worker in the dashboard before building again.`,
          )
        }
        if (attempt >= policy.attempts) throw new WorkersVersionError('API_NETWORK_ERROR', `${call.what} failed after ${attempt} attempts; last error: ${problem}`)
      }
      const wait = retryAfterMs ?? backoffDelay(attempt, policy)
      if (wait > MAX_RETRY_AFTER_MS || wait > transport.remainingMs()) {
        throw new WorkersVersionError('API_NETWORK_ERROR', `${call.what}: the API asks to wait ${seconds(wait)}, longer than this build waits (last: ${problem})`)
      }
      log(`${call.what}: ${problem}; attempt ${attempt}/${policy.attempts} failed, waiting ${seconds(wait)}`)
      await sleep(wait, transport.signal, !ctx.background)
    }
  } catch (error) {
    if (transport.deadlineExceeded) {
      throw new WorkersVersionError('API_TIMEOUT', `${call.what} gave up: no result within the ${seconds(transport.timeouts.deadlineMs)} deadline.`)
    }
    throw redactor.redactDeep(error)
  } finally {
    await transport.close()
  }
}

/** `/accounts/{a}/workers/<rest…>`, each segment encoded. */
export function accountPath(accountId: string, ...rest: string[]): string {
  return ['', 'accounts', accountId, 'workers', ...rest].map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/')
}

export function asRecords(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : []
}
