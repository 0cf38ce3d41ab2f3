/**
 * Where retries are decided: the one loop every API call goes through. It sends with the
 * transport, reads the envelope, and applies `POLICY` (policy.ts) to decide between returning,
 * waiting and sending again, checking what a lost request did first (the `recover` hook, as in
 * undici's RetryHandler), or giving up with an error that says why.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { setTimeout as delay } from 'node:timers/promises'
import { WorkersVersionError } from '../core/errors.js'
import { plural } from '../core/plural.js'
import { type ApiMessage, parseEnvelope } from './envelope.js'
import { ApiError, formatApiErrors } from './errors.js'
import {
  type AbsentAnswer,
  type Backoff,
  classifyStatus,
  isAbsent,
  parseRetryAfter,
  POLICY,
  seconds,
  waitBeforeResend,
} from './policy.js'
import {
  NetworkFailure,
  type OutgoingRequest,
  ResponseTooLarge,
  type Transport,
} from './transport.js'

/** One call, declared: what to send, what it is called in messages, and how it may be resent. */
export interface ApiRequest extends OutgoingRequest {
  /** Names the call in messages, e.g. `List deployments for Worker "w"`. */
  what: string
  /** The Worker the call is about, for error hints. */
  worker: string
  /**
   * Whether sending it twice does no harm. One that is not is sent again only when the server
   * cannot have acted on it (not connected, 429, 503), or after `hooks.recover` found it did not.
   */
  idempotent: boolean
  /** `POLICY.absent` (no such Worker) answers `undefined` instead of failing. */
  absentIsUndefined?: boolean
  /** What "not there" looks like for this endpoint, when not `POLICY.absent` (e.g. `POLICY.absentWorkflow`, `POLICY.absentPreview`). */
  absent?: AbsentAnswer
  /** Whether a successful `result` is the answer; one that is not leaves the outcome unknown. */
  accept?: (result: unknown) => boolean
  /** Fewer sends than the policy allows (a check made between sends of another request). */
  maxSends?: number
  /** Names what an error's `source.pointer` refers to. */
  describe?: ((pointer: string) => string | undefined) | undefined
  /** The next step when the request may have taken effect but the call failed, e.g. where to look. */
  ifUnknown?: string
  hooks?: RetryHooks
}

interface RetryHooks {
  /** Runs before every send; what it throws ends the call as it is (an upload JWT about to expire). */
  beforeSend?: () => void
  /** Sees every HTTP status before it is judged; what it throws ends the call as it is. */
  onStatus?: (status: number) => void
  /**
   * Runs before a request whose outcome is unknown is sent again, and once more when no send is
   * left: finds what the lost request did. `{ result }` is adopted as the answer; undefined
   * means it did nothing, so sending again is safe. What it throws ends the call with
   * API_OUTCOME_UNKNOWN: without knowing, a non-idempotent request is never sent blindly.
   */
  recover?: (context: { firstSentAt: number }) => Promise<{ result: unknown } | undefined>
}

/** What the loop needs besides the request; one per call (see `withApi`). */
export interface ApiSession {
  transport: Transport
  backoff: Backoff
  /** Scrubs every known secret from server text before it goes into a message. */
  redact: (text: string) => string
  log: (line: string) => void
  /**
   * Shows where a request's retries are, rewritten in place (a terminal only). Without it a
   * request that was retried logs one line when it finally succeeds or fails, never one per attempt.
   */
  live?: (line: string) => void
  /** A background read: its waits do not hold the process open. */
  background: boolean
}

export interface ApiAnswer {
  /** The envelope's `result` (undefined for an absent thing). */
  result: unknown
  headers: IncomingHttpHeaders
}

interface Failure {
  unknown: boolean
  /** The server may still be working on the request (no answer, or a gateway that stopped waiting). */
  mayStillRun?: boolean
  summary: string
  retryAfterMs?: number | undefined
  http?: { status: number; errors: ApiMessage[]; detail: string[] }
  cause?: Error
}

type Sent = { kind: 'answer'; answer: ApiAnswer } | { kind: 'failed'; failure: Failure }

export async function sendWithRetries(
  session: ApiSession,
  request: ApiRequest,
): Promise<ApiAnswer> {
  const { transport, backoff } = session
  const maxSends = Math.min(backoff.attempts, request.maxSends ?? backoff.attempts)
  const recover = request.idempotent ? undefined : request.hooks?.recover
  const state = {
    sent: 0,
    unknown: false,
    mayStillRun: false,
    inFlight: false,
    firstSentAt: 0,
    last: undefined as Failure | undefined,
  }
  try {
    let giveUp: string | undefined
    while (state.sent < maxSends) {
      if (state.unknown && recover) {
        const found = await recoverLost(session, request, recover, state)
        if (found) return found
      }
      request.hooks?.beforeSend?.()
      if (state.sent === 0) state.firstSentAt = Date.now()
      state.sent++
      state.inFlight = true
      const sent = await sendOnce(session, request, state.sent)
      state.inFlight = false
      if (sent.kind === 'answer') {
        if (state.sent > 1)
          session.log(
            `${request.what} succeeded after ${plural(state.sent, 'attempt')} (the last failure: ${state.last?.summary ?? 'unknown'})`,
          )
        return sent.answer
      }
      const failure = sent.failure
      state.last = failure
      state.unknown ||= failure.unknown
      state.mayStillRun ||= failure.unknown && failure.mayStillRun === true
      if (failure.unknown && !request.idempotent && !recover) throw outcomeUnknown(request, failure)
      if (state.sent >= maxSends) break
      const decision = waitBeforeResend(
        state.sent,
        failure.retryAfterMs,
        backoff,
        transport.deadline.remainingMs(),
      )
      if ('pastDeadline' in decision)
        throw deadlineError(session, request, state, 'the next attempt would start after')
      if ('giveUp' in decision) {
        giveUp = decision.giveUp
        break
      }
      session.live?.(
        `${request.what}: ${failure.summary}; attempt ${state.sent}/${maxSends} failed, waiting ${seconds(decision.waitMs)}`,
      )
      await delay(decision.waitMs, undefined, {
        signal: transport.signal,
        ref: !session.background,
      })
    }
    if (state.unknown && recover) {
      const found = await recoverLost(session, request, recover, state)
      if (found) return found
    }
    throw exhausted(request, state.last, state.sent, giveUp)
  } catch (error) {
    // One line for the whole request, where its attempts used to print one each.
    if (state.sent > 1) {
      const last =
        error instanceof ApiError && error.status !== undefined
          ? `HTTP ${error.status}`
          : (state.last?.summary ?? 'unknown')
      session.log(`${request.what} failed after ${plural(state.sent, 'attempt')}: ${last}`)
    }
    if (transport.deadlineExceeded) throw deadlineError(session, request, state)
    throw error
  }
}

async function sendOnce(session: ApiSession, request: ApiRequest, sent: number): Promise<Sent> {
  const { redact } = session
  let response
  try {
    response = await session.transport.send(
      request.idempotent ? request : { ...request, minHeadersMs: POLICY.nonIdempotentHeadersMs },
    )
  } catch (error) {
    if (error instanceof ResponseTooLarge) {
      const mayHaveActed =
        !request.idempotent &&
        (error.status < 300 || classifyStatus(error.status) === 'outcome-unknown')
      const next = mayHaveActed
        ? ` It may have taken effect: ${request.ifUnknown ?? 'check the Worker in the dashboard before building again.'}`
        : ''
      throw new WorkersVersionError(
        'API_RESPONSE_TOO_LARGE',
        `${request.what} failed: ${error.message}; not sending it again.${next}`,
      )
    }
    if (!(error instanceof NetworkFailure)) throw error
    // Refused on this machine or at the TLS handshake: nothing reached the API, and sending
    // again would fail the same way.
    if (error.fatal)
      throw new WorkersVersionError(
        'API_NOT_SENT',
        `${request.what} was not sent: ${redact(error.message)}.`,
        { cause: error.cause },
      )
    const unknown = !error.notSent
    return {
      kind: 'failed',
      failure: {
        unknown,
        mayStillRun: unknown,
        summary: `${unknown ? 'no complete response' : 'could not connect'}: ${redact(error.message)}`,
        cause: error.cause as Error,
      },
    }
  }
  const { status } = response
  request.hooks?.onStatus?.(status)
  const parsed = parseEnvelope(response.text, redact)
  if (status >= 200 && status < 300) {
    const result =
      parsed.kind === 'envelope' && parsed.envelope.success ? parsed.envelope.result : undefined
    if (parsed.kind === 'envelope' && parsed.envelope.success && (request.accept?.(result) ?? true))
      return { kind: 'answer', answer: { result, headers: response.headers } }
    // A success the client cannot read may still mean the server acted.
    const detail = parsed.kind === 'other' ? parsed.excerpt : 'the response has no usable `result`'
    return {
      kind: 'failed',
      failure: {
        unknown: true,
        summary: `HTTP ${status} but ${redact(detail)}`,
        http: { status, errors: [], detail: [] },
      },
    }
  }
  const errors = parsed.kind === 'envelope' ? parsed.envelope.errors : []
  if (request.absentIsUndefined && isAbsent(status, errors, request.absent))
    return { kind: 'answer', answer: { result: undefined, headers: response.headers } }
  const detail =
    parsed.kind === 'other'
      ? [`- the response is not JSON: ${redact(parsed.excerpt)}`]
      : errors.length > 0
        ? formatApiErrors(errors, { worker: request.worker, describe: request.describe }).map(
            redact,
          )
        : ['- no error details in the response']
  const verdict = classifyStatus(status)
  if (verdict === 'refused')
    throw new ApiError(
      [`Cloudflare API rejected ${request.what} (HTTP ${status}):`, ...detail].join('\n'),
      { status, errors, attempts: sent },
    )
  const first = detail[0]?.replace(/^- /, '') ?? ''
  return {
    kind: 'failed',
    failure: {
      unknown: verdict === 'outcome-unknown',
      mayStillRun: POLICY.stillRunning.has(status),
      summary: `HTTP ${status}${first ? ` (${first})` : ''}`,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
      http: { status, errors, detail },
    },
  }
}

async function recoverLost(
  session: ApiSession,
  request: ApiRequest,
  recover: NonNullable<RetryHooks['recover']>,
  state: { firstSentAt: number; last: Failure | undefined; sent: number; mayStillRun: boolean },
): Promise<ApiAnswer | undefined> {
  try {
    for (let look = 0; ; look++) {
      const found = await recover({ firstSentAt: state.firstSentAt })
      if (found) return { result: found.result, headers: {} }
      const waitMs = state.mayStillRun
        ? (session.backoff.recoveryWaitsMs ?? POLICY.recoveryWaitsMs)[look]
        : undefined
      if (waitMs === undefined) return undefined
      session.log(
        `${request.what}: nothing found yet, but the lost request may still be in progress on the server; looking again in ${seconds(waitMs)}`,
      )
      await delay(waitMs, undefined, { signal: session.transport.signal, ref: !session.background })
    }
  } catch (error) {
    if (session.transport.deadlineExceeded) throw error
    const reason = error instanceof Error ? error.message : String(error)
    throw new WorkersVersionError(
      'API_OUTCOME_UNKNOWN',
      session.redact(
        `${request.what}: attempt ${state.sent} got ${state.last?.summary ?? 'no answer'}, so it may have taken effect, and that could not be checked (${reason}). ` +
          `Not sending it again, to avoid doing it twice. ${request.ifUnknown ?? 'Check the Worker in the dashboard before building again.'}`,
      ),
    )
  }
}

function outcomeUnknown(request: ApiRequest, failure: Failure): WorkersVersionError {
  return new WorkersVersionError(
    'API_OUTCOME_UNKNOWN',
    `${request.what}: ${failure.summary}, so it may have taken effect; not sending it again. ${request.ifUnknown ?? 'Check the Worker in the dashboard before building again.'}`,
  )
}

/** The final error once no send is left, or the server asked for a wait the policy refuses. */
function exhausted(
  request: ApiRequest,
  last: Failure | undefined,
  sent: number,
  giveUp: string | undefined,
): WorkersVersionError {
  const head = `${request.what} failed after ${plural(sent, 'attempt')}`
  if (last?.http) {
    const { status, errors, detail } = last.http
    const lines = [
      `${head}; ${giveUp ? `${giveUp}; last error` : 'last error'}: HTTP ${status}${detail.length ? ':' : ''}`,
      ...detail,
    ]
    if (!giveUp && detail.length === 0) lines[0] += ` (${last.summary})`
    return new ApiError(lines.join('\n'), { status, errors, attempts: sent })
  }
  return new WorkersVersionError(
    'API_NETWORK_ERROR',
    `${head}; ${giveUp ? `${giveUp}; ` : ''}last error: ${last?.summary ?? 'unknown'}`,
    last?.cause ? { cause: last.cause } : undefined,
  )
}

function deadlineError(
  session: ApiSession,
  request: ApiRequest,
  state: { sent: number; unknown: boolean; inFlight: boolean; last: Failure | undefined },
  why = 'no result within',
): WorkersVersionError {
  const mayHaveActed = !request.idempotent && (state.inFlight || state.unknown)
  const lines = [
    `${request.what} gave up: ${why} the ${seconds(session.transport.deadline.ms)} deadline (attempt ${state.sent}${state.last ? `; last error: ${state.last.summary}` : ''}).`,
  ]
  if (mayHaveActed && request.ifUnknown) lines.push(request.ifUnknown)
  return new WorkersVersionError('API_TIMEOUT', session.redact(lines.join('\n')))
}
