/**
 * The static assets upload: `assets-upload-session` with the API credentials, then only the
 * buckets the session asks for, each authorised with the session's upload JWT, until a response
 * carries the completion JWT that goes into the Create Version body's `assets.jwt`. Both go
 * through the one retry loop (retry.ts) on the upload's connections and deadline. On top of it,
 * as wrangler does:
 * - at most 3 buckets at once (`concurrency`), dropped to 1 for good after a 524;
 * - an upload JWT that expires (its `exp` claim, or a 401) opens a new session, which lists only
 *   the files still missing, so nothing already accepted is sent again;
 * - file bytes are read only when their bucket is sent, and dropped right after.
 * Neither JWT ever appears in a message, a log line or an error.
 */
import { readFileSync } from 'node:fs'
import mime from 'mime'
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { plural } from '../core/plural.js'
import { NETWORK_DEFAULTS } from '../core/network-defaults.js'
import type { Redactor } from '../core/redact.js'
import { manifestRequestJson, type AssetFile, type AssetsManifest } from '../assets/manifest.js'
import type { AssetsUploadProgress, AssetsUploadResult } from '../assets/progress.js'
import { accountPath, requireAccount, withApi, type ApiCallContext } from './request.js'
import { type ApiSession, sendWithRetries } from './retry.js'
import { createFormData, type FormData } from './undici.js'

export interface UploadAssetsOptions extends ApiCallContext {
  scriptName: string
  /** A user Worker's assets open their session in its dispatch namespace (as wrangler's `syncAssets`). */
  dispatchNamespace?: string
  manifest: AssetsManifest
  /** Buckets uploaded at once. Default 3 (what wrangler uses). */
  concurrency?: number
  /** Called after the session opens and after every accepted bucket. */
  onProgress?: (progress: AssetsUploadProgress) => void
}

/** A JWT this close to its `exp` is renewed before use rather than sent to fail. */
const EXPIRY_MARGIN_MS = 5_000
/** Sessions opened in a row without a single accepted file before giving up. */
const MAX_SESSIONS_WITHOUT_PROGRESS = 3

interface Session {
  jwt: string
  buckets: string[][]
}

/** Thrown inside a bucket upload when its JWT has expired: the round ends and a new session starts. */
class JwtExpired extends Error {}

export async function uploadAssets(options: UploadAssetsOptions): Promise<AssetsUploadResult> {
  requireAccount(options, 'uploadAssets')
  if (!options.scriptName)
    throw new WorkersVersionError('MISSING_OPTION', 'uploadAssets needs a non-empty `scriptName`.')
  return withApi(options, (session, redactor) => new AssetsUpload(options, session, redactor).run())
}

class AssetsUpload {
  private readonly started = Date.now()
  private readonly byHash = new Map<string, AssetFile>()
  private readonly sessionBody: Buffer
  private concurrency: number
  private accepted = new Set<string>()
  private progress: AssetsUploadProgress

  constructor(
    private readonly options: UploadAssetsOptions,
    private readonly api: ApiSession,
    private readonly redactor: Redactor,
  ) {
    this.concurrency = Math.max(
      1,
      Math.floor(options.concurrency ?? NETWORK_DEFAULTS.assetsConcurrency),
    )
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
    this.progress.bytesToUpload = missing.reduce(
      (sum, hash) => sum + (this.byHash.get(hash)?.size ?? 0),
      0,
    )
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
        throw this.failure(
          `the upload token expired ${plural(idleSessions, 'time')} in a row before any file was accepted`,
        )
      }
      this.api.log(
        `The assets upload token expired; opening a new upload session to resume (${plural(this.progress.uploadedFiles, 'file')} already sent ${this.progress.uploadedFiles === 1 ? 'is' : 'are'} kept).`,
      )
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

  /**
   * Uploads the session's buckets with up to `concurrency` workers. Resolves with the completion
   * JWT, or undefined when the upload JWT expired (every bucket in flight is allowed to finish
   * first, so the next session sees everything that was accepted).
   */
  private async uploadRound(session: Session): Promise<string | undefined> {
    const queue = session.buckets
      .filter((bucket) => bucket.length > 0)
      .map((bucket) => bucket.filter((hash) => !this.accepted.has(hash)))
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
    throw this.failure(
      'every requested file was accepted but no response carried the completion token',
    )
  }

  /** One bucket. Resolves with the completion JWT if its response carried it. */
  private async sendBucket(hashes: string[], jwt: string): Promise<string | undefined> {
    const answer = await this.step(() =>
      sendWithRetries(this.api, {
        method: 'POST',
        path: accountPath(this.options.accountId, 'assets', 'upload'),
        query: { base64: 'true' },
        bearer: jwt,
        // Read for each send only, and garbage once it is sent.
        body: () => this.form(hashes),
        what: `Upload an assets bucket of ${hashes.length} file${hashes.length === 1 ? '' : 's'}`,
        worker: this.options.scriptName,
        // The files are keyed by their hash: sending a bucket twice stores nothing twice.
        idempotent: true,
        hooks: {
          beforeSend: () => {
            if (expiresSoon(jwt)) throw new JwtExpired()
          },
          onStatus: (status) => {
            if (status === 401) throw new JwtExpired()
            if (status === 524 && this.concurrency > 1) {
              this.concurrency = 1
              this.api.log(
                'The assets API answered HTTP 524 (a timeout); uploading one bucket at a time from now on.',
              )
            }
          },
        },
      }),
    )
    for (const hash of hashes) {
      if (this.accepted.has(hash)) continue
      this.accepted.add(hash)
      this.progress.uploadedFiles++
      this.progress.uploadedBytes += this.byHash.get(hash)?.size ?? 0
    }
    this.report()
    const result = answer.result
    const completion =
      isRecord(result) && typeof result.jwt === 'string' && result.jwt !== ''
        ? result.jwt
        : undefined
    if (completion !== undefined) this.redactor.add(completion)
    return completion
  }

  private form(hashes: string[]): FormData {
    const form = createFormData()
    for (const hash of hashes) {
      const file = this.byHash.get(hash)
      if (!file)
        throw this.failure(`the API asked for a file that is not in the manifest (hash ${hash})`)
      // Sync: asset files are at most 25 MiB and mostly small, where async reads cost more than they save.
      const base64 = readFileSync(file.path).toString('base64')
      form.append(hash, new Blob([base64], { type: partContentType(file.key) }), hash)
    }
    return form
  }

  /** `assets-upload-session`: it only reports what is missing, so sending it twice is harmless. */
  private async openSession(): Promise<Session> {
    const answer = await this.step(() =>
      sendWithRetries(this.api, {
        method: 'POST',
        path: accountPath(
          this.options.accountId,
          ...(this.options.dispatchNamespace === undefined
            ? []
            : ['dispatch', 'namespaces', this.options.dispatchNamespace]),
          'scripts',
          this.options.scriptName,
          'assets-upload-session',
        ),
        body: this.sessionBody,
        what: `Open an assets upload session for Worker ${JSON.stringify(this.options.scriptName)}`,
        worker: this.options.scriptName,
        idempotent: true,
        accept: (result) => isRecord(result) && typeof result.jwt === 'string' && result.jwt !== '',
      }),
    )
    const result = answer.result as { jwt: string; buckets?: unknown }
    this.redactor.add(result.jwt)
    const buckets = Array.isArray(result.buckets)
      ? result.buckets
          .filter(Array.isArray)
          .map((b: unknown[]) => b.filter((h): h is string => typeof h === 'string'))
      : []
    return { jwt: result.jwt, buckets }
  }

  /** Runs one request; its failure (which names the request) becomes the upload's, saying how far the upload got. */
  private async step<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send()
    } catch (error) {
      if (
        error instanceof JwtExpired ||
        (error instanceof WorkersVersionError && error.code === 'ASSETS_UPLOAD_FAILED')
      )
        throw error
      throw this.failure(error instanceof Error ? error.message : String(error))
    }
  }

  /** The error every final failure becomes: which directory, how far it got, what to do. */
  private failure(reason: string): WorkersVersionError {
    const { uploadedFiles, filesToUpload, presentFiles } = this.progress
    const present = presentFiles > 0 ? ` (${count(presentFiles)} already present)` : ''
    return new WorkersVersionError(
      'ASSETS_UPLOAD_FAILED',
      `Uploading the static assets in ${this.options.manifest.directory} failed: uploaded ${count(uploadedFiles)} of ${plural(filesToUpload, 'file')}${present}. ` +
        `No version was created. Files already uploaded are kept, so running the build again resumes from here.\n${this.redactor.redact(reason)}`,
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
}

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
    return (
      isRecord(claims) &&
      typeof claims.exp === 'number' &&
      claims.exp * 1000 - EXPIRY_MARGIN_MS <= now
    )
  } catch {
    return false
  }
}

function count(n: number): string {
  return n.toLocaleString('en-US')
}
