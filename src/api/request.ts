/**
 * Opens what one call needs (transport, backoff, redaction, logging) around the retry loop, and
 * closes it whatever happens. Every endpoint is one declarative `ApiRequest` passed to `callApi`.
 */
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { Redactor } from '../core/redact.js'
import { type ApiCredentials, authHeaders } from './auth.js'
import type { EarlyBaselines } from './versions.js'
import { resolveBackoff, type RetryOptions } from './policy.js'
import { type ApiRequest, type ApiSession, sendWithRetries } from './retry.js'
import { resolveTimeouts, type SharedAgent, type Timeouts, Transport } from './transport.js'
import { assertSafeBaseUrl } from './url.js'

export interface ApiClientOptions {
  /** The API root, e.g. https://api.cloudflare.com/client/v4 (the caller applies that default). */
  baseUrl: string
  credentials: ApiCredentials
  /** Defaults: `NETWORK_DEFAULTS.timeouts` (the deadline covers every call made with the same `agent`, the assets included). */
  timeouts?: Timeouts
  /** Defaults: `NETWORK_DEFAULTS.retries`. */
  retries?: RetryOptions
  /** Receives one line per retried request (when it finally succeeds or fails) or recovery; never contains a secret the redactor knows. */
  log?: (line: string) => void
  /** Receives each failed attempt's line, to show in place on a terminal (`ApiSession.live`); redacted like `log`. */
  live?: (line: string) => void
  userAgent?: string
  /**
   * The run's redactor (see `redactorFor`). The credentials are added to it, and so are the
   * secrets a call learns (the `secret_text` values of an object body, the assets JWTs).
   */
  redactor?: Redactor
  /**
   * The upload's pool and deadline (`createAgent`), shared by its calls so they reuse connections
   * (one TLS handshake instead of one per call) and one deadline bounds them all. Whoever creates
   * it destroys it; without it, each call opens and closes its own.
   */
  agent?: SharedAgent
  /**
   * A read made while the bundler is still working: its deadline and waits do not hold the
   * process open, so a build that fails meanwhile exits at once. Whoever awaits its result keeps
   * the process alive itself (`holdingProcessOpen`).
   */
  background?: boolean
  /**
   * Versions baselines read with the Worker's other reads, taken by the next Create Version or
   * script upload of that Worker (api/baseline.ts); without it each send reads its own first.
   */
  baselines?: EarlyBaselines
}

/** What every call about a Worker needs: the client options and the account. */
export interface ApiCallContext extends ApiClientOptions {
  accountId: string
}

/**
 * Runs `use` with a session on a fresh transport. Every message and log line of the calls, and
 * any error they throw, passes the run's redactor first.
 */
export async function withApi<T>(
  options: ApiClientOptions,
  use: (session: ApiSession, redactor: Redactor) => Promise<T>,
): Promise<T> {
  const redactor = (options.redactor ?? new Redactor()).addCredential(
    options.credentials.apiToken,
    options.credentials.apiKey,
  )
  try {
    assertSafeBaseUrl(options.baseUrl)
    const transport = new Transport({
      baseUrl: options.baseUrl,
      secrets: redactor,
      authHeaders: authHeaders(options.credentials),
      userAgent: options.userAgent,
      timeouts: resolveTimeouts(options.timeouts),
      shared: options.agent,
      background: options.background,
    })
    const redact = (text: string) => redactor.redact(text)
    const session: ApiSession = {
      transport,
      backoff: resolveBackoff(options.retries),
      redact,
      log: redactedLine(options.log, redact),
      live: options.live && redactedLine(options.live, redact),
      background: options.background ?? false,
    }
    try {
      return await use(session, redactor)
    } finally {
      await transport.close()
    }
  } catch (error) {
    throw redactor.redactDeep(error)
  }
}

/** One request about an account's Workers; its `result`, or undefined for an absent thing. */
export async function callApi(ctx: ApiCallContext, request: ApiRequest): Promise<unknown> {
  requireAccount(ctx, request.what)
  return withApi(ctx, async (session) => (await sendWithRetries(session, request)).result)
}

export function requireAccount(ctx: ApiCallContext, what: string): void {
  if (!ctx.accountId)
    throw new WorkersVersionError('MISSING_OPTION', `${what} needs a non-empty \`accountId\`.`)
}

/** A JSON body, serialised once: every send reuses these bytes. */
export function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value))
}

export type { ApiRequest }

/** `/accounts/{a}/workers/<rest…>`, each segment encoded. */
export function accountPath(accountId: string, ...rest: string[]): string {
  return accountRoot(accountId, 'workers', ...rest)
}

/** `/accounts/{a}/<rest…>`, outside `/workers` too (queues, Workflows), each segment encoded. */
export function accountRoot(accountId: string, ...rest: string[]): string {
  return ['', 'accounts', accountId, ...rest]
    .map((s, i) => (i === 0 ? s : encodeURIComponent(s)))
    .join('/')
}

export function asRecords(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : []
}

/** A log sink that sees only redacted text and cannot fail the call. */
function redactedLine(
  sink: ((line: string) => void) | undefined,
  redact: (text: string) => string,
): (line: string) => void {
  return (line) => {
    try {
      sink?.(redact(line))
    } catch {
      // A failing logger must not fail the call.
    }
  }
}
