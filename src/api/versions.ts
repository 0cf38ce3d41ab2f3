import { createHash } from 'node:crypto'
import type { VersionRequestBody, VersionResult } from '../core/body.js'
import type { VersionPayload } from '../core/serialize.js'
import { isRecord } from '../core/guards.js'
import { POLICY } from './policy.js'
import { type ApiRequest, type ApiSession, sendWithRetries } from './retry.js'

/** A module as sent, reduced to what proves a found version holds it. */
interface ModuleFingerprint {
  name: string
  content_type: string
  /** Hex SHA-256 of the module's bytes (not of its base64). */
  sha256: string
}

/**
 * What identifies the version one request created, among the Worker's
 * versions. The client adds nothing to the user's body (no marker annotation:
 * `workers/message` and `workers/tag` belong to the user and are shown in the
 * dashboard), so the identity is made of what the body already says, plus a
 * digest of every module.
 */
export interface VersionIdentity {
  main_module?: string
  message?: string
  tag?: string
  compatibility_date?: string
  /**
   * Every module sent, as name, content type and digest. This is the proof:
   * a version is adopted only when its modules, fetched with their contents,
   * are exactly these. Without fingerprints no version is ever adopted.
   */
  modules?: readonly ModuleFingerprint[]
}

function fingerprint(name: string, contentType: string, bytes: Uint8Array): ModuleFingerprint {
  return {
    name,
    content_type: contentType,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  }
}

/** The identity of an object body (module contents decoded from base64 one at a time). */
export function identityOf(body: VersionRequestBody): VersionIdentity {
  return {
    ...metadataOf(body),
    modules: (body.modules ?? []).map((m) =>
      fingerprint(m.name, m.content_type, Buffer.from(m.content_base64, 'base64')),
    ),
  }
}

/**
 * The identity of a payload that is streamed (`bodyChunks`): digests come from
 * the module bytes before any is encoded, so nothing extra is held in memory.
 */
export function identityOfPayload(payload: VersionPayload): VersionIdentity {
  return {
    ...metadataOf({ main_module: payload.mainModule, ...payload.config, modules: [] }),
    modules: payload.modules.map((m) => fingerprint(m.name, m.content_type, m.contents)),
  }
}

function metadataOf(body: VersionRequestBody): Omit<VersionIdentity, 'modules'> {
  const identity: VersionIdentity = { main_module: body.main_module }
  if (body.annotations?.['workers/message'] !== undefined)
    identity.message = body.annotations['workers/message']
  if (body.annotations?.['workers/tag'] !== undefined)
    identity.tag = body.annotations['workers/tag']
  if (body.compatibility_date !== undefined) identity.compatibility_date = body.compatibility_date
  return identity
}

/**
 * The Worker's newest version just before this build's first send. Versions are numbered in the
 * order the API stores them, so one numbered up to this one was stored before the request left:
 * it is another build's, however alike its code, message and time.
 */
export interface VersionBaseline {
  /** The highest `number` listed; 0 when the Worker has no version yet (or does not exist). */
  number: number
  /** That version's id, for messages. */
  id?: string
}

/** Baselines read ahead of the send (api/baseline.ts), by Worker name; each serves the next send to that Worker once. */
export type EarlyBaselines = Map<string, Promise<VersionBaseline | undefined>>

export interface LookupContext {
  /** The session of the Create Version call: its transport, deadline and redaction. */
  session: ApiSession
  accountId: string
  worker: string
  /** Identity from the body; undefined when the body was a stream given without one. */
  identity: VersionIdentity | undefined
  /** Read by `readBaseline` before the first send; undefined when it could not be placed (no version is then adopted). */
  baseline: VersionBaseline | undefined
}

/** Versions read before sending; the newest is first (as the lookup also expects), and a page of them tells the order. */
const BASELINE_PAGE = 10
/** Candidates fetched with their modules at most; past that the lookup gives up proving and a new version is created. */
const MAX_PROOF_FETCHES = 10

/**
 * Reads the Worker's newest version number; called just before the first send of a request that
 * creates a version, so that a lookup after a lost response can tell this build's version from
 * one stored before it (see `VersionBaseline`). A version without a number makes the baseline
 * undefined: nothing can then be placed after it, and no version is adopted.
 */
export async function readBaseline(
  session: ApiSession,
  accountId: string,
  worker: string,
): Promise<VersionBaseline | undefined> {
  const listed = await lookupRead(session, worker, {
    path: versionsPath(accountId, worker),
    // Newest first: the first page holds the highest number.
    query: { per_page: String(BASELINE_PAGE) },
    what: `List the versions of Worker ${JSON.stringify(worker)} (before sending, to tell this build's version from earlier ones if the answer is lost)`,
    absentIsUndefined: true,
  })
  const items = asList(listed.result)
  let newest: VersionBaseline = { number: 0 }
  for (const item of items) {
    const number = numberOf(item)
    if (number === undefined) return undefined
    if (number > newest.number) newest = { number, id: item.id }
  }
  // A full page listed oldest first may leave the newest on a later page: nothing can be placed after it then.
  const oldestFirst = items.length > 1 && numberOf(items[0]!)! < numberOf(items.at(-1)!)!
  return oldestFirst && items.length >= BASELINE_PAGE ? undefined : newest
}

/**
 * After a Create Version request whose outcome is unknown, finds the version
 * it created, if any, so the caller returns it instead of creating a second one.
 *
 * A version is ours only with proof:
 *  1. it was stored after our first send: its `number` is higher than the
 *     newest one listed just before that send (`readBaseline`). Times are not
 *     used: the server's `Date` has one-second precision, and another build's
 *     version of the same code a second earlier fell inside any window it gave;
 *  2. its `main_module`, `workers/message`, `workers/tag` and
 *     `compatibility_date` equal what we sent (a message over 1000 bytes may
 *     come back truncated, so a prefix is accepted); and
 *  3. fetched with `?include=modules`, its modules are exactly ours: the same
 *     names, content types and SHA-256 of the contents.
 * What this cannot tell apart: a version of exactly this build's code and
 * metadata that another build stored between our baseline read and our send,
 * or while our request was in flight. Without proof (no baseline, no
 * fingerprints, a server that does not return contents, other code) the
 * version is not claimed: a second, harmless version is better than reporting
 * another build's code as this one's. A line is logged saying so.
 *
 * Returns undefined when no version is proven ours (safe to send again).
 * Throws when the versions cannot be listed or fetched: then resending is not safe.
 */
export async function findCreatedVersion(
  context: LookupContext,
): Promise<VersionResult | undefined> {
  const base = versionsPath(context.accountId, context.worker)
  // A Worker that does not exist (10007) has no versions: the lost request created none.
  const listed = await lookup(context, {
    path: base,
    query: { per_page: '20' },
    what: `List the versions of Worker ${JSON.stringify(context.worker)}`,
    absentIsUndefined: true,
  })
  const listedVersions = asList(listed.result)
  const { baseline, identity } = context
  const fingerprints = identity?.modules
  if (identity === undefined || fingerprints === undefined || baseline === undefined) {
    const why =
      baseline === undefined && fingerprints !== undefined
        ? 'the versions listed before sending had no numbers to place them by'
        : "without digests of this build's modules"
    if (listedVersions.length > 0)
      context.session.log(
        `Create Version: the Worker has versions, but ${why}, so none can be proven to be ours; creating a new version instead of claiming one`,
      )
    return undefined
  }
  // Newest first from the API; the oldest proven one is the earliest attempt's.
  const candidates = listedVersions
    .filter((item) => (numberOf(item) ?? 0) > baseline.number)
    .reverse()
  if (candidates.length === 0) return undefined
  const count = `${candidates.length} version${candidates.length === 1 ? ' was' : 's were'} created since the request was sent`

  const reasons = new Map<string, number>()
  const note = (reason: string) => reasons.set(reason, (reasons.get(reason) ?? 0) + 1)
  let fetched = 0
  for (const item of candidates) {
    if (typeof item.main_module === 'string' && !sameMetadata(item, identity)) {
      note('other metadata')
      continue
    }
    if (fetched >= MAX_PROOF_FETCHES) {
      note('not checked')
      continue
    }
    fetched++
    const detail = await fetchVersion(context, item.id)
    if (!sameMetadata(detail, identity)) {
      note('other metadata')
      continue
    }
    const problem = moduleMismatch(detail.modules, fingerprints)
    if (problem === undefined) return detail
    note(problem)
  }
  const why = [...reasons].map(([reason, n]) => `${n}× ${reason}`).join(', ')
  context.session.log(
    `Create Version: ${count}, none holding this build's modules (${why}); creating a new version rather than claiming another build's`,
  )
  return undefined
}

export function versionsPath(accountId: string, worker: string): string {
  return `/accounts/${encodeURIComponent(accountId)}/workers/workers/${encodeURIComponent(worker)}/versions`
}

function sameMetadata(version: VersionResult, identity: VersionIdentity): boolean {
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
    (version.compatibility_date === undefined ||
      version.compatibility_date === identity.compatibility_date)
  )
}

/** Why `theirs` (a version's modules, with contents) is not exactly `ours`; undefined when it is. */
function moduleMismatch(theirs: unknown, ours: readonly ModuleFingerprint[]): string | undefined {
  if (!Array.isArray(theirs)) return 'no module contents returned'
  const byName = new Map<string, Record<string, unknown>>()
  for (const m of theirs as unknown[]) {
    if (!isRecord(m) || typeof m.name !== 'string' || typeof m.content_base64 !== 'string')
      return 'no module contents returned'
    byName.set(m.name, m)
  }
  if (byName.size !== ours.length || theirs.length !== ours.length) return 'other modules'
  for (const mine of ours) {
    const other = byName.get(mine.name)
    if (other === undefined) return 'other modules'
    if (mediaType(other.content_type) !== mediaType(mine.content_type)) return 'other content types'
    const digest = createHash('sha256')
      .update(Buffer.from(other.content_base64 as string, 'base64'))
      .digest('hex')
    if (digest !== mine.sha256) return 'other module contents'
  }
  return undefined
}

function mediaType(value: unknown): string {
  return typeof value === 'string' ? value.split(';')[0]!.trim().toLowerCase() : ''
}

async function fetchVersion(context: LookupContext, id: string): Promise<VersionResult> {
  const path = `${versionsPath(context.accountId, context.worker)}/${encodeURIComponent(id)}`
  const { result } = await lookup(context, {
    path,
    query: { include: 'modules' },
    what: `Get version ${id} of Worker ${JSON.stringify(context.worker)}`,
    maxResponseBytes: POLICY.maxModulesResponseBytes,
  })
  if (!isVersion(result)) throw new Error(`GET ${path} returned no version`)
  return result
}

/** A read made to decide whether to send Create Version again: kept short, since the POST waits on it. */
function lookup(
  context: LookupContext,
  read: Pick<ApiRequest, 'path' | 'query' | 'what' | 'absentIsUndefined' | 'maxResponseBytes'>,
) {
  return lookupRead(context.session, context.worker, read)
}

function lookupRead(
  session: ApiSession,
  worker: string,
  read: Pick<ApiRequest, 'path' | 'query' | 'what' | 'absentIsUndefined' | 'maxResponseBytes'>,
) {
  return sendWithRetries(session, { ...read, method: 'GET', worker, idempotent: true, maxSends: 3 })
}

function asList(result: unknown): VersionResult[] {
  const list = Array.isArray(result)
    ? result
    : isRecord(result) && Array.isArray(result.items)
      ? result.items
      : []
  return list.filter(isVersion)
}

/** A version's `number`, when it is a positive integer: the API numbers a Worker's versions 1, 2, 3, … as it stores them. */
function numberOf(version: VersionResult): number | undefined {
  const raw = version.number
  return typeof raw === 'number' && Number.isSafeInteger(raw) && raw > 0 ? raw : undefined
}

function isVersion(value: unknown): value is VersionResult {
  // The id goes into a URL of the next request: a hostile "." or ".." is no version.
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    value.id !== '' &&
    value.id !== '.' &&
    value.id !== '..'
  )
}
