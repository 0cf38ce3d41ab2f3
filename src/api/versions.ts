import type { VersionRequestBody, VersionResult } from '../core/body.js'
import { isRecord } from '../core/guards.js'
import { parseEnvelope } from './envelope.js'
import { backoffDelay, type RetryPolicy, seconds, sleep } from './retry.js'
import type { HttpResponse, Transport } from './transport.js'
import { NetworkFailure } from './transport.js'

/**
 * What identifies the version one request created, among the Worker's
 * versions. The client adds nothing to the user's body (no marker annotation:
 * `workers/message` and `workers/tag` belong to the user and are shown in the
 * dashboard), so the identity is made of what the body already says and the
 * server echoes back.
 */
export interface VersionIdentity {
  main_module?: string
  message?: string
  tag?: string
  compatibility_date?: string
  /** Compared only when the server's version lists its modules with contents. */
  modules?: VersionRequestBody['modules']
}

export function identityOf(body: VersionRequestBody): VersionIdentity {
  const identity: VersionIdentity = { main_module: body.main_module, modules: body.modules }
  if (body.annotations?.['workers/message'] !== undefined) identity.message = body.annotations['workers/message']
  if (body.annotations?.['workers/tag'] !== undefined) identity.tag = body.annotations['workers/tag']
  if (body.compatibility_date !== undefined) identity.compatibility_date = body.compatibility_date
  return identity
}

export interface LookupContext {
  transport: Transport
  accountId: string
  worker: string
  /** Identity from the body; undefined when the body was a stream the client never parsed. */
  identity: VersionIdentity | undefined
  /** Local clock (ms) just before the first POST was sent. */
  firstSentAt: number
  policy: RetryPolicy
  log: (line: string) => void
}

/**
 * Slack on the window start. Every error in the server-clock estimate already
 * widens the window (the `Date` header is truncated to the second and stamped
 * before the response travels back), so this only covers clock differences
 * between the API's own machines. Kept small because a wider window lets an
 * identical-looking version of a build run seconds earlier in.
 */
const WINDOW_SLACK_MS = 2_000
/** Used only when the server sends no `Date` header and the local clock must be trusted. */
const CLOCK_SKEW_MS = 60_000

/**
 * After a Create Version request whose outcome is unknown, finds the version
 * it created, if any, so the caller returns it instead of creating a second one.
 *
 * A version is ours when
 *  1. it was created after our first POST was sent: `created_on` ≥ that moment
 *     on the server's clock (server `Date` now − locally elapsed time − 2 s),
 *     which is immune to a wrong local clock; and
 *  2. its `main_module`, `workers/message`, `workers/tag` and
 *     `compatibility_date` equal what we sent (the server truncates a message
 *     over 1000 bytes, so a prefix match is accepted for long messages), and
 *     its modules too when the server includes their contents.
 * What remains possible: another build of the same Worker, with the same
 * message and tag, whose version was created within those 2 s, is taken for
 * ours when the server does not return module contents to compare. That needs
 * two builds of one Worker racing each other, where which version wins is
 * arbitrary anyway.
 * When the body was a stream (no identity), only a single version inside the
 * window is accepted; several are ambiguous and the caller must stop rather
 * than guess.
 *
 * Returns undefined when no such version exists (safe to send again). Throws
 * when the versions cannot be listed: then resending is not safe.
 */
export async function findCreatedVersion(context: LookupContext): Promise<VersionResult | undefined> {
  const base = versionsPath(context.accountId, context.worker)
  const listed = await getWithRetries(context, base, { per_page: '20' }, { notFoundIsEmpty: true })
  const windowStart = windowStartOf(listed.response, context.firstSentAt)
  const candidates = asList(listed.result).filter((item) => createdAt(item) >= windowStart)
  if (candidates.length === 0) return undefined

  if (context.identity === undefined) {
    if (candidates.length > 1) {
      throw new Error(`${candidates.length} versions were created since the request was sent and a streamed body cannot tell which one is ours`)
    }
    return fullVersion(context, candidates[0]!)
  }
  // Newest first from the API; the oldest match is the earliest attempt's.
  for (const item of [...candidates].reverse()) {
    const detail = typeof item.main_module === 'string' ? item : await fetchVersion(context, item.id)
    if (matches(detail, context.identity)) return detail === item ? fullVersion(context, item) : detail
  }
  return undefined
}

export function versionsPath(accountId: string, worker: string): string {
  return `/accounts/${encodeURIComponent(accountId)}/workers/workers/${encodeURIComponent(worker)}/versions`
}

function matches(version: VersionResult, identity: VersionIdentity): boolean {
  const annotations = isRecord(version.annotations) ? version.annotations : {}
  const sameMessage =
    identity.message === undefined
      ? annotations['workers/message'] === undefined
      : annotations['workers/message'] === identity.message ||
        (Buffer.byteLength(identity.message) > 1000 &&
          typeof annotations['workers/message'] === 'string' &&
          identity.message.startsWith(annotations['workers/message']))
  return (
    version.main_module === identity.main_module &&
    sameMessage &&
    annotations['workers/tag'] === identity.tag &&
    // Older list items may omit the date; only a present, different one rules a version out.
    (version.compatibility_date === undefined || version.compatibility_date === identity.compatibility_date) &&
    sameModules(version.modules, identity.modules)
  )
}

function sameModules(theirs: unknown, ours: VersionIdentity['modules']): boolean {
  if (!Array.isArray(theirs) || ours === undefined) return true
  const withContent = theirs.filter((m): m is Record<string, unknown> => isRecord(m) && typeof m.content_base64 === 'string')
  if (withContent.length !== theirs.length) return true // a summary without contents proves nothing
  if (theirs.length !== ours.length) return false
  const byName = new Map(ours.map((m) => [m.name, m]))
  return withContent.every((m) => {
    const mine = byName.get(String(m.name))
    return mine !== undefined && mine.content_type === m.content_type && mine.content_base64 === m.content_base64
  })
}

async function fullVersion(context: LookupContext, item: VersionResult): Promise<VersionResult> {
  // The list may carry a summary only; the caller reports urls and startup time.
  if (Array.isArray(item.urls) && item.startup_time_ms !== undefined) return item
  return fetchVersion(context, item.id)
}

async function fetchVersion(context: LookupContext, id: string): Promise<VersionResult> {
  const path = `${versionsPath(context.accountId, context.worker)}/${encodeURIComponent(id)}`
  const { result } = await getWithRetries(context, path)
  if (!isVersion(result)) throw new Error(`GET ${path} returned no version`)
  return result
}

function windowStartOf(response: HttpResponse, firstSentAt: number): number {
  const serverNow = Date.parse(String(response.headers.date ?? ''))
  if (Number.isNaN(serverNow)) return firstSentAt - CLOCK_SKEW_MS
  return serverNow - (Date.now() - firstSentAt) - WINDOW_SLACK_MS
}

function asList(result: unknown): VersionResult[] {
  const list = Array.isArray(result) ? result : isRecord(result) && Array.isArray(result.items) ? result.items : []
  return list.filter(isVersion)
}

function createdAt(version: VersionResult): number {
  const time = typeof version.created_on === 'string' ? Date.parse(version.created_on) : Number.NaN
  // A version without a readable date cannot be placed in the window: never ours.
  return Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time
}

function isVersion(value: unknown): value is VersionResult {
  return isRecord(value) && typeof value.id === 'string'
}

/**
 * A GET with its own retries: reads are idempotent, so any network failure,
 * 429 or 5xx may be retried. Throws an Error whose message says what failed.
 */
async function getWithRetries(
  context: LookupContext,
  path: string,
  query?: Record<string, string>,
  options: { notFoundIsEmpty?: boolean } = {},
): Promise<{ response: HttpResponse; result: unknown }> {
  const attempts = Math.min(3, context.policy.attempts)
  let lastProblem = ''
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await context.transport.send('GET', path, query ? { query } : {})
      const parsed = parseEnvelope(response.text)
      if (response.status >= 200 && response.status < 300 && parsed.kind === 'envelope' && parsed.envelope.success) {
        return { response, result: parsed.envelope.result }
      }
      // "Worker not found" (10007) while listing: a Worker that does not exist
      // has no versions, so the lost request cannot have created one.
      if (options.notFoundIsEmpty && response.status === 404 && parsed.kind === 'envelope' && parsed.envelope.errors.some((e) => e.code === 10007)) {
        return { response, result: [] }
      }
      lastProblem =
        parsed.kind === 'envelope'
          ? `HTTP ${response.status}: ${parsed.envelope.errors.map((e) => `${e.message} [code ${e.code}]`).join('; ') || 'no error details'}`
          : `HTTP ${response.status}: ${parsed.excerpt}`
      if (response.status !== 429 && response.status < 500) throw new Error(`GET ${path} failed: ${lastProblem}`)
    } catch (error) {
      if (!(error instanceof NetworkFailure)) throw error
      lastProblem = error.message
    }
    if (attempt >= attempts) throw new Error(`GET ${path} failed ${attempts} times, last: ${lastProblem}`)
    const wait = backoffDelay(attempt, context.policy)
    context.log(`Listing versions: ${lastProblem}; attempt ${attempt}/${attempts}, waiting ${seconds(wait)}`)
    await sleep(wait, context.transport.signal)
  }
}
