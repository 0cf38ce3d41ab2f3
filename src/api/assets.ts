/**
 * The static assets upload: `assets-upload-session` with the API credentials, then only the
 * buckets the session asks for, each authorised with the session's upload JWT, until a response
 * carries the completion JWT that goes into the Create Version body's `assets.jwt`.
 *
 * What makes it robust at scale (REFERENCE.md "Static assets"):
 * - bounded concurrency (default 3 buckets at once), dropped to 1 for good after a 524;
 * - 429 and 5xx retried with backoff, honouring Retry-After;
 * - an upload JWT that expires (its `exp` claim, or a 401) opens a new session, which lists only
 *   the files still missing, so nothing already accepted is sent again;
 * - file bytes are read only when their bucket is sent, and dropped right after.
 * Neither JWT ever appears in a message, a log line or an error.
 */
import { readFileSync } from 'node:fs'
import mime from 'mime'
import { Agent, FormData, request } from 'undici'
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { manifestRequestJson, type AssetFile, type AssetsManifest } from '../assets/manifest.js'
import { type ApiCredentials, authHeaders } from './auth.js'
import { Redactor } from '../core/redact.js'
import { parseEnvelope } from './envelope.js'
import { backoffDelay, MAX_RETRY_AFTER_MS, parseRetryAfter, resolveRetryPolicy, type RetryOptions, type RetryPolicy, sleep } from './retry.js'
import { resolveTimeouts, type Timeouts } from './transport.js'
import { apiUrl, assertSafeBaseUrl } from './url.js'

export interface AssetsUploadProgress {
  totalFiles: number
  /** Files the API already holds (not sent). */
  presentFiles: number
  /** Files the first session asked for. */
  filesToUpload: number
  bytesToUpload: number
  uploadedFiles: number
  uploadedBytes: number
  elapsedMs: number
}

export interface UploadAssetsOptions {
  /** The API root, e.g. https://api.cloudflare.com/client/v4. */
  baseUrl: string
  credentials: ApiCredentials
  accountId: string
  scriptName: string
  manifest: AssetsManifest
  /** Buckets uploaded at once. Default 3 (what wrangler uses). */
  concurrency?: number
  /** Per request. Defaults: 5 attempts, 500 ms base delay, 10 s max delay. */
  retries?: RetryOptions
  /** `deadlineMs` bounds the whole upload (default 30 min); the others apply to each request. */
  timeouts?: Timeouts
  /** Called after the session opens and after every accepted bucket. */
  onProgress?: (progress: AssetsUploadProgress) => void
  /** One line per retry, renewed session or concurrency change; never a token or JWT. */
  log?: (line: string) => void
  userAgent?: string
  /** The run's redactor: it learns both JWTs as they arrive, so nothing the run prints later can show them. */
  redactor?: Redactor
}

export interface AssetsUploadResult {
  /** The completion JWT: goes into the Create Version body as `assets.jwt`. Never print it. */
  jwt: string
  uploadedFiles: number
  uploadedBytes: number
  presentFiles: number
  totalFiles: number
  elapsedMs: number
}

const DEFAULT_CONCURRENCY = 3
const DEFAULT_DEADLINE_MS = 30 * 60_000
/** A JWT this close to its `exp` is renewed before use rather than sent to fail. */
const EXPIRY_MARGIN_MS = 5_000
/** Sessions opened in a row without a single accepted file before giving up. */
const MAX_SESSIONS_WITHOUT_PROGRESS = 3
const DEFAULT_USER_AGENT = 'unplugin-workers-version'

interface Session {
  jwt: string
  buckets: string[][]
}

/** Thrown inside a bucket upload when its JWT has expired: the round ends and a new session starts. */
class JwtExpired extends Error {}

export async function uploadAssets(options: UploadAssetsOptions): Promise<AssetsUploadResult> {
  assertSafeBaseUrl(options.baseUrl)
  for (const field of ['accountId', 'scriptName'] as const) {
    if (!options[field]) throw new WorkersVersionError('MISSING_OPTION', `uploadAssets needs a non-empty \`${field}\`.`)
  }
  const upload = new AssetsUpload(options)
  try {
    return await upload.run()
  } finally {
    await upload.close()
  }
}

class AssetsUpload {
  private readonly started = Date.now()
  private readonly agent: Agent
  private readonly apiHeaders: Record<string, string>
  private readonly policy: RetryPolicy
  private readonly controller = new AbortController()
  private readonly deadline: NodeJS.Timeout
  private readonly byHash = new Map<string, AssetFile>()
  private readonly redactor: Redactor
  private readonly sessionBody: Buffer
  private concurrency: number
  private accepted = new Set<string>()
  private progress: AssetsUploadProgress

  constructor(private readonly options: UploadAssetsOptions) {
    this.redactor = (options.redactor ?? new Redactor()).add(options.credentials.apiToken, options.credentials.apiKey)
    const timeouts = resolveTimeouts(options.timeouts)
    this.agent = new Agent({ connectTimeout: timeouts.connectMs, headersTimeout: timeouts.headersMs, bodyTimeout: timeouts.bodyMs })
    this.apiHeaders = {
      ...authHeaders(options.credentials),
      accept: 'application/json',
      'user-agent': options.userAgent ?? DEFAULT_USER_AGENT,
    }
    this.policy = resolveRetryPolicy(options.retries)
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_CONCURRENCY))
    const deadlineMs = options.timeouts?.deadlineMs ?? DEFAULT_DEADLINE_MS
    this.deadline = setTimeout(() => this.controller.abort(new Error(`no completion within ${Math.round(deadlineMs / 1000)} s`)), deadlineMs)
    for (const file of options.manifest.files) this.byHash.set(file.hash, file)
    // Serialised once: every session (the first and any renewal) sends the same manifest.
    this.sessionBody = manifestRequestJson(options.manifest)
    this.progress = {
      totalFiles: options.manifest.files.length,
      presentFiles: 0,
      filesToUpload: 0,
      bytesToUpload: 0,
      uploadedFiles: 0,
      uploadedBytes: 0,
      elapsedMs: 0,
    }
  }

  async run(): Promise<AssetsUploadResult> {
    let session = await this.openSession()
    const missing = session.buckets.flat()
    this.progress.filesToUpload = missing.length
    this.progress.bytesToUpload = missing.reduce((sum, hash) => sum + (this.byHash.get(hash)?.size ?? 0), 0)
    this.progress.presentFiles = this.progress.totalFiles - missing.length
    this.report()

    let completion: string | undefined
    let idleSessions = 0
    while (completion === undefined) {
      if (session.buckets.flat().length === 0) {
        completion = session.jwt // nothing (left) to send: the session's JWT completes the upload
        break
      }
      const before = this.accepted.size
      completion = await this.uploadRound(session)
      if (completion !== undefined) break
      // The upload JWT expired mid-round: a new session lists only what is still missing.
      idleSessions = this.accepted.size > before ? 0 : idleSessions + 1
      if (idleSessions >= MAX_SESSIONS_WITHOUT_PROGRESS) {
        throw this.failure(`the upload token expired ${idleSessions} times in a row before any file was accepted`)
      }
      this.log(`The assets upload token expired; opening a new upload session to resume (${count(this.progress.uploadedFiles)} files already sent are kept).`)
      session = await this.openSession()
      this.countAcceptedUnseen(missing, session)
    }
    this.report()
    return {
      jwt: completion,
      uploadedFiles: this.progress.uploadedFiles,
      uploadedBytes: this.progress.uploadedBytes,
      presentFiles: this.progress.presentFiles,
      totalFiles: this.progress.totalFiles,
      elapsedMs: Date.now() - this.started,
    }
  }

  /**
   * Files the first session asked for that a later session no longer lists were accepted even
   * though their response never arrived (lost, or cut off by the expiry): count them as sent.
   */
  private countAcceptedUnseen(requested: string[], session: Session): void {
    const stillMissing = new Set(session.buckets.flat())
    for (const hash of requested) {
      if (this.accepted.has(hash) || stillMissing.has(hash)) continue
      this.accepted.add(hash)
      this.progress.uploadedFiles++
      this.progress.uploadedBytes += this.byHash.get(hash)?.size ?? 0
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.deadline)
    await this.agent.destroy().catch(() => undefined)
  }

  /**
   * Uploads the session's buckets with up to `concurrency` workers. Resolves with the completion
   * JWT, or undefined when the upload JWT expired (every bucket in flight is allowed to finish
   * first, so the next session sees everything that was accepted).
   */
  private async uploadRound(session: Session): Promise<string | undefined> {
    const queue = session.buckets.filter((bucket) => bucket.length > 0).map((bucket) => bucket.filter((hash) => !this.accepted.has(hash)))
    let completion: string | undefined
    let expired = false
    let failed: unknown
    const worker = async (index: number) => {
      // A worker whose index is at or past the (possibly lowered) concurrency stops taking work.
      while (index < this.concurrency && !expired && failed === undefined) {
        const bucket = queue.shift()
        if (!bucket) return
        if (bucket.length === 0) continue
        try {
          const jwt = await this.sendBucket(bucket, session.jwt)
          if (jwt !== undefined) completion = jwt
        } catch (error) {
          if (error instanceof JwtExpired) expired = true
          else failed ??= error
        }
      }
    }
    await Promise.all(Array.from({ length: this.concurrency }, (_, i) => worker(i)))
    if (failed !== undefined) throw failed
    if (completion !== undefined) return completion
    if (expired) return undefined
    throw this.failure('every requested file was accepted but no response carried the completion token')
  }

  /** One bucket, retried on 429/5xx/network errors. Resolves with the completion JWT if this response carried it. */
  private async sendBucket(hashes: string[], jwt: string): Promise<string | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (expiresSoon(jwt)) throw new JwtExpired()
      const outcome = await this.postBucket(hashes, jwt)
      if (outcome.kind === 'accepted') {
        for (const hash of hashes) {
          if (this.accepted.has(hash)) continue
          this.accepted.add(hash)
          this.progress.uploadedFiles++
          this.progress.uploadedBytes += this.byHash.get(hash)?.size ?? 0
        }
        this.report()
        if (outcome.jwt !== undefined) this.redactor.add(outcome.jwt)
        return outcome.jwt
      }
      if (outcome.kind === 'expired') throw new JwtExpired()
      if (outcome.kind === 'rejected' || attempt >= this.policy.attempts) throw this.failure(outcome.summary)
      if (outcome.gateway && this.concurrency > 1) {
        this.concurrency = 1
        this.log(`The assets API answered ${outcome.summary}; uploading one bucket at a time from now on.`)
      }
      const delay = outcome.retryAfterMs !== undefined ? Math.min(outcome.retryAfterMs, MAX_RETRY_AFTER_MS) : backoffDelay(attempt, this.policy)
      this.log(`Uploading an assets bucket failed (${outcome.summary}); retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 1} of ${this.policy.attempts}).`)
      await this.sleep(delay)
    }
  }

  private async postBucket(hashes: string[], jwt: string): Promise<BucketOutcome> {
    // The bytes are read here, for this attempt only, and become garbage once the request is sent.
    const form = new FormData()
    for (const hash of hashes) {
      const file = this.byHash.get(hash)
      if (!file) return { kind: 'rejected', summary: `the API asked for a file that is not in the manifest (hash ${hash})` }
      // Sync: asset files are at most 25 MiB and mostly small, where async reads cost more than they save.
      const base64 = readFileSync(file.path).toString('base64')
      form.append(hash, new Blob([base64], { type: partContentType(file.key) }), hash)
    }
    const response = await this.send(
      apiUrl(this.options.baseUrl, `/accounts/${encodeURIComponent(this.options.accountId)}/workers/assets/upload`, { base64: 'true' }),
      { authorization: `Bearer ${jwt}`, accept: 'application/json', 'user-agent': this.apiHeaders['user-agent'] ?? DEFAULT_USER_AGENT },
      form,
    )
    if ('network' in response) return { kind: 'retry', summary: response.network, gateway: false }
    const { status, text, retryAfter } = response
    const parsed = parseEnvelope<unknown>(text)
    if (status >= 200 && status < 300 && parsed.kind === 'envelope' && parsed.envelope.success) {
      const result = parsed.envelope.result
      const completion = isRecord(result) && typeof result.jwt === 'string' && result.jwt !== '' ? result.jwt : undefined
      return { kind: 'accepted', jwt: completion }
    }
    if (status === 401) return { kind: 'expired' }
    const summary = this.describeFailure(status, parsed)
    if (status === 429 || status >= 500) return { kind: 'retry', summary, gateway: status === 524, retryAfterMs: parseRetryAfter(retryAfter) }
    return { kind: 'rejected', summary }
  }

  /** `assets-upload-session`, retried on 429/5xx/network errors (it only reports what is missing, so a retry is harmless). */
  private async openSession(): Promise<Session> {
    const url = apiUrl(
      this.options.baseUrl,
      `/accounts/${encodeURIComponent(this.options.accountId)}/workers/scripts/${encodeURIComponent(this.options.scriptName)}/assets-upload-session`,
    )
    for (let attempt = 1; ; attempt++) {
      const response = await this.send(url, { ...this.apiHeaders, 'content-type': 'application/json' }, this.sessionBody)
      let summary: string
      let retryAfterMs: number | undefined
      if ('network' in response) {
        summary = response.network
      } else {
        const parsed = parseEnvelope<unknown>(response.text)
        const result = parsed.kind === 'envelope' && parsed.envelope.success ? parsed.envelope.result : undefined
        if (response.status >= 200 && response.status < 300 && isRecord(result) && typeof result.jwt === 'string' && result.jwt !== '') {
          this.redactor.add(result.jwt)
          const buckets = Array.isArray(result.buckets) ? result.buckets.filter(Array.isArray).map((b) => b.filter((h): h is string => typeof h === 'string')) : []
          return { jwt: result.jwt, buckets }
        }
        summary = this.describeFailure(response.status, parsed)
        if (response.status < 500 && response.status !== 429) throw this.failure(`the upload session was refused: ${summary}`)
        retryAfterMs = parseRetryAfter(response.retryAfter)
      }
      if (attempt >= this.policy.attempts) throw this.failure(`the upload session could not be opened: ${summary}`)
      const delay = retryAfterMs !== undefined ? Math.min(retryAfterMs, MAX_RETRY_AFTER_MS) : backoffDelay(attempt, this.policy)
      this.log(`Opening the assets upload session failed (${summary}); retrying in ${(delay / 1000).toFixed(1)} s.`)
      await this.sleep(delay)
    }
  }

  private async send(
    url: URL,
    headers: Record<string, string>,
    body: Buffer | FormData,
  ): Promise<{ status: number; text: string; retryAfter: string | string[] | undefined } | { network: string }> {
    if (this.controller.signal.aborted) throw this.failure(String((this.controller.signal.reason as Error).message))
    try {
      const response = await request(url, { method: 'POST', headers, body, dispatcher: this.agent, signal: this.controller.signal })
      const text = await response.body.text()
      return { status: response.statusCode, text, retryAfter: response.headers['retry-after'] }
    } catch (error) {
      if (this.controller.signal.aborted) throw this.failure(String((this.controller.signal.reason as Error).message))
      const code = isRecord(error) && typeof error.code === 'string' ? ` (${error.code})` : ''
      return { network: this.redact(`${error instanceof Error ? error.message : String(error)}${code}`) }
    }
  }

  private describeFailure(status: number, parsed: ReturnType<typeof parseEnvelope>): string {
    if (parsed.kind === 'other') return this.redact(`HTTP ${status}: ${parsed.excerpt}`)
    const first = parsed.envelope.errors[0]
    return this.redact(first ? `HTTP ${status}: ${first.message} (code ${first.code})` : `HTTP ${status}`)
  }

  private async sleep(ms: number): Promise<void> {
    try {
      await sleep(ms, this.controller.signal)
    } catch {
      throw this.failure(String((this.controller.signal.reason as Error).message))
    }
  }

  /** The error every final failure becomes: which directory, how far it got, what to do. */
  private failure(reason: string): WorkersVersionError {
    const { uploadedFiles, filesToUpload, presentFiles } = this.progress
    const present = presentFiles > 0 ? ` (${count(presentFiles)} already present)` : ''
    return new WorkersVersionError(
      'ASSETS_UPLOAD_FAILED',
      `Uploading the static assets in ${this.options.manifest.directory} failed: uploaded ${count(uploadedFiles)} of ${count(filesToUpload)} files${present}; ${this.redact(reason)}. ` +
        'No version was created. Files already uploaded are kept, so running the build again resumes from here.',
    )
  }

  private report(): void {
    this.progress.elapsedMs = Date.now() - this.started
    try {
      this.options.onProgress?.({ ...this.progress })
    } catch {
      // A failing progress reporter must not fail the upload.
    }
  }

  private log(line: string): void {
    try {
      this.options.log?.(this.redact(line))
    } catch {
      /* ignored */
    }
  }

  /** Removes the API credentials and every JWT seen so far from text that may leave this module. */
  private redact(text: string): string {
    return this.redactor.redact(text)
  }
}

type BucketOutcome =
  | { kind: 'accepted'; jwt: string | undefined }
  | { kind: 'expired' }
  | { kind: 'rejected'; summary: string }
  | { kind: 'retry'; summary: string; gateway: boolean; retryAfterMs?: number }

/**
 * The part's content type, as wrangler sends it: the path's MIME type, `; charset=utf-8` added to
 * `text/*`, `application/null` when unknown (the API reads that as "no content type").
 */
export function partContentType(path: string): string {
  const type = mime.getType(path)
  if (!type) return 'application/null'
  return type.startsWith('text/') && !type.includes('charset') ? `${type}; charset=utf-8` : type
}

/** Whether a JWT's `exp` claim is past (or within a few seconds). A token without a readable `exp` is trusted until the API says 401. */
export function expiresSoon(jwt: string, now = Date.now()): boolean {
  const payload = jwt.split('.')[1]
  if (payload === undefined) return false
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    return isRecord(claims) && typeof claims.exp === 'number' && claims.exp * 1000 - EXPIRY_MARGIN_MS <= now
  } catch {
    return false
  }
}

function count(n: number): string {
  return n.toLocaleString('en-US')
}
