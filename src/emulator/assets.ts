/**
 * The static assets endpoints:
 *
 * - `POST /accounts/:a/workers/scripts/:name/assets-upload-session` `{manifest}` (API token):
 *   records the manifest, answers `{jwt, buckets}` with the hashes this account does not hold yet,
 *   or a completion token straight away when it holds them all;
 * - `POST /accounts/:a/workers/assets/upload?base64=true` (Bearer upload token, NOT the API token):
 *   multipart, one part per file named by its hash; checks each part against the session's manifest
 *   (size and hash) and answers the completion token once the last missing file arrived.
 *
 * Tokens look like JWTs (three base64url parts, an `exp` claim) so clients can read their expiry,
 * but the emulator only trusts the ones it issued. Create Version resolves `assets.jwt` through
 * {@link AssetsService.completion} and writes the version's files into a temp directory that
 * Miniflare serves. Nothing here imports the plugin's code.
 */
import { randomBytes } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, extname, join } from 'node:path'
import { createBLAKE3 } from 'hash-wasm'
import type { ApiContext, ApiRequest, Route } from './api.js'
import { Code, failOne, ok, type ApiReply } from './envelope.js'
import { ASSETS_SOURCES } from '../workerd/assets.js'
import type {
  AssetsEmulatorOptions,
  RecordedAssetsSession,
  RecordedAssetsUpload,
  VersionModule,
} from './types.js'

type Manifest = Record<string, { hash: string; size: number }>

interface UploadSession {
  id: string
  accountId: string
  script: string
  manifest: Manifest
  missing: Set<string>
  expiresAt: number
  /** Uploads accepted with this token; the token stops working after `failAfterUploads`. */
  uploads: number
  failAfterUploads?: number
}

interface Completion {
  accountId: string
  script: string
  manifest: Manifest
}

interface HeldFile {
  bytes: Buffer
}

const SEGMENT = '([^/]+)'
const HASH = /^[0-9a-f]{32}$/
const DEFAULT_BUCKET_FILES = 100
const DEFAULT_UPLOAD_TOKEN_TTL_MS = 60 * 60_000
const AUTH_FAILED = 10000
const ASSETS_INVALID = 10021

export class AssetsService {
  /** Every manifest a session was opened with, oldest first. */
  readonly sessions: RecordedAssetsSession[] = []
  /** Every bucket upload that reached the handler, oldest first. */
  readonly uploads: RecordedAssetsUpload[] = []
  #held = new Map<string, Map<string, HeldFile>>() // account → hash → file
  #tokens = new Map<string, UploadSession>()
  #completions = new Map<string, Completion>()
  #tempDirs: string[] = []
  #materialised = new Map<string, Promise<string>>() // completion token → directory
  #nextExpiry: { afterUploads?: number; ttlMs?: number } | undefined

  constructor(private readonly options: AssetsEmulatorOptions = {}) {
    ASSETS_SOURCES.add(this)
  }

  /**
   * Fault injection: the NEXT upload token issued stops working after `afterUploads` accepted
   * bucket uploads (answering 401 like an expired token), and/or carries an `exp` of `ttlMs` from now.
   */
  expireNextUploadToken(fault: { afterUploads?: number; ttlMs?: number }): void {
    this.#nextExpiry = fault
  }

  /** Hashes this account holds, sorted. */
  heldHashes(accountId: string): string[] {
    return [...(this.#held.get(accountId)?.keys() ?? [])].sort()
  }

  /** Forget every held file of an account (as if it never uploaded any). */
  forget(accountId: string): void {
    this.#held.delete(accountId)
  }

  /** Seeds files as already held, e.g. for a benchmark where most files were uploaded earlier. */
  hold(accountId: string, files: { hash: string; bytes: Buffer }[]): void {
    const held = this.#heldFor(accountId)
    for (const file of files) held.set(file.hash, { bytes: file.bytes })
  }

  session(ctx: ApiContext, req: ApiRequest, [account = '', script = '']: string[]): ApiReply {
    const body = req.body as { manifest?: unknown } | undefined
    const manifest = parseManifest(body?.manifest)
    if (typeof manifest === 'string') return failOne(400, ASSETS_INVALID, manifest, '/manifest')
    this.sessions.push({ accountId: account, scriptName: script, manifest })
    const held = this.#heldFor(account)
    const missing = new Set(
      Object.values(manifest)
        .map((entry) => entry.hash)
        .filter((hash) => !held.has(hash)),
    )
    if (missing.size === 0)
      return ok({
        jwt: this.#completionToken({ accountId: account, script, manifest }),
        buckets: [],
      })

    const fault = this.#nextExpiry
    this.#nextExpiry = undefined
    const session: UploadSession = {
      id: randomBytes(8).toString('hex'),
      accountId: account,
      script,
      manifest,
      missing,
      expiresAt:
        Date.now() + (fault?.ttlMs ?? this.options.uploadTokenTtlMs ?? DEFAULT_UPLOAD_TOKEN_TTL_MS),
      uploads: 0,
      ...(fault?.afterUploads === undefined ? {} : { failAfterUploads: fault.afterUploads }),
    }
    const jwt = fakeJwt({
      sub: session.id,
      kind: 'upload',
      exp: Math.floor(session.expiresAt / 1000),
    })
    this.#tokens.set(jwt, session)
    const size = Math.max(1, this.options.bucketFiles ?? DEFAULT_BUCKET_FILES)
    const hashes = [...missing]
    const buckets: string[][] = []
    for (let i = 0; i < hashes.length; i += size) buckets.push(hashes.slice(i, i + size))
    void ctx
    return ok({ jwt, buckets })
  }

  async upload(_ctx: ApiContext, req: ApiRequest, [account = '']: string[]): Promise<ApiReply> {
    const record: RecordedAssetsUpload = {
      accountId: account,
      hashes: [],
      contentTypes: [],
      status: 0,
    }
    this.uploads.push(record)
    const reply = await this.#upload(req, account, record)
    record.status = reply.status
    return reply
  }

  /** The upload token of a bucket upload, checked from its headers before the body is read. */
  checkUploadToken(headers: IncomingHttpHeaders, account: string): ApiReply | undefined {
    const session = this.#sessionOf(headers)
    return !session || session.accountId !== account ? invalidUploadToken() : undefined
  }

  #sessionOf(headers: IncomingHttpHeaders): UploadSession | undefined {
    const token = uploadToken(headers)
    return token === undefined ? undefined : this.#tokens.get(token)
  }

  async #upload(req: ApiRequest, account: string, record: RecordedAssetsUpload): Promise<ApiReply> {
    const session = this.#sessionOf(req.headers)
    if (!session || session.accountId !== account) return invalidUploadToken()
    const overUsed =
      session.failAfterUploads !== undefined && session.uploads >= session.failAfterUploads
    if (Date.now() >= session.expiresAt || overUsed)
      return failOne(401, AUTH_FAILED, 'Authentication error: the assets upload token has expired')
    if (req.query.get('base64') !== 'true')
      return failOne(400, ASSETS_INVALID, 'Only base64 uploads are supported: add ?base64=true')

    const contentType = req.headers['content-type'] ?? ''
    if (!/^multipart\/form-data\b/i.test(contentType) || req.raw === undefined)
      return failOne(400, ASSETS_INVALID, 'Expected a multipart/form-data body')
    let form: FormData
    try {
      form = await new Response(req.raw, { headers: { 'content-type': contentType } }).formData()
    } catch (error) {
      return failOne(
        400,
        ASSETS_INVALID,
        `The multipart body could not be parsed: ${error instanceof Error ? error.message : String(error)}`,
      )
    }
    const byHash = new Map<string, { key: string; size: number }>()
    for (const [key, entry] of Object.entries(session.manifest))
      byHash.set(entry.hash, { key, size: entry.size })

    const accepted: { hash: string; bytes: Buffer }[] = []
    const hasher = await createBLAKE3()
    for (const [name, value] of form) {
      record.hashes.push(name)
      const expected = byHash.get(name)
      if (!expected)
        return failOne(400, ASSETS_INVALID, `Part ${name} is not a file of this upload session`)
      if (typeof value === 'string')
        return failOne(400, ASSETS_INVALID, `Part ${name} must be a file`)
      record.contentTypes.push(value.type)
      const base64 = await value.text()
      const bytes = Buffer.from(base64, 'base64')
      if (bytes.length !== expected.size)
        return failOne(
          400,
          ASSETS_INVALID,
          `Part ${name} has ${bytes.length} byte${bytes.length === 1 ? '' : 's'}; the manifest says ${expected.size}`,
        )
      hasher.init()
      hasher.update(base64)
      hasher.update(extname(expected.key).slice(1))
      if (hasher.digest('hex').slice(0, 32) !== name)
        return failOne(400, ASSETS_INVALID, `Part ${name} does not hash to its name`)
      accepted.push({ hash: name, bytes })
    }
    if (accepted.length === 0) return failOne(400, ASSETS_INVALID, 'The upload has no files')

    const held = this.#heldFor(account)
    for (const file of accepted) {
      held.set(file.hash, { bytes: file.bytes })
      session.missing.delete(file.hash)
    }
    session.uploads++
    if (session.missing.size > 0) return ok({ jwt: null }, 202)
    this.#tokens.delete(uploadToken(req.headers)!)
    return ok({ jwt: this.#completionToken(session) }, 201)
  }

  /** The asset set a completion token stands for, or why it is not valid for this Worker. */
  completion(
    accountId: string,
    script: string,
    jwt: unknown,
  ): { manifest: Manifest } | { problem: string } {
    if (typeof jwt !== 'string' || jwt === '')
      return { problem: 'assets.jwt must be the completion token of an assets upload' }
    const found = this.#completions.get(jwt)
    if (!found)
      return {
        problem: 'assets.jwt is not a valid assets completion token (an upload token is not one)',
      }
    if (found.accountId !== accountId || found.script !== script)
      return { problem: `assets.jwt was issued for another Worker (${found.script})` }
    return { manifest: found.manifest }
  }

  /** Whether this emulator issued the completion token. */
  issued(jwt: string): boolean {
    return this.#completions.has(jwt)
  }

  /**
   * The directory Miniflare serves a version's assets from: its files (and its `_headers` /
   * `_redirects` modules) written into a temp directory on first use, removed when the emulator closes.
   */
  directoryFor(jwt: string, modules: VersionModule[]): Promise<string> | undefined {
    const completion = this.#completions.get(jwt)
    if (!completion) return undefined
    const key = `${jwt}\n${modules
      .filter((m) => m.name === '_headers' || m.name === '_redirects')
      .map((m) => m.content_base64)
      .join('\n')}`
    let dir = this.#materialised.get(key)
    if (!dir)
      this.#materialised.set(
        key,
        (dir = this.#materialise(completion.accountId, completion.manifest, modules)),
      )
    return dir
  }

  async #materialise(
    accountId: string,
    manifest: Manifest,
    modules: VersionModule[],
  ): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'emulator-assets-'))
    this.#tempDirs.push(dir)
    const held = this.#heldFor(accountId)
    for (const [key, entry] of Object.entries(manifest)) {
      const file = held.get(entry.hash)
      if (!file) continue
      const path = join(
        dir,
        ...key.split('/').filter((part) => part !== '' && part !== '..' && part !== '.'),
      )
      await mkdir(dirname(path), { recursive: true })
      await writeFile(path, file.bytes)
    }
    for (const name of ['_headers', '_redirects']) {
      const module = modules.find((m) => m.name === name)
      if (module) await writeFile(join(dir, name), Buffer.from(module.content_base64, 'base64'))
    }
    return dir
  }

  async close(): Promise<void> {
    ASSETS_SOURCES.delete(this)
    this.#materialised.clear()
    await Promise.all(
      this.#tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })),
    )
  }

  #completionToken(completion: Completion): string {
    const jwt = fakeJwt({
      kind: 'completion',
      sub: completion.script,
      exp: Math.floor(Date.now() / 1000) + 3600,
    })
    this.#completions.set(jwt, completion)
    return jwt
  }

  #heldFor(accountId: string): Map<string, HeldFile> {
    let held = this.#held.get(accountId)
    if (!held) this.#held.set(accountId, (held = new Map()))
    return held
  }
}

const uploadToken = (headers: IncomingHttpHeaders) =>
  /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1]
const invalidUploadToken = (): ApiReply =>
  failOne(401, AUTH_FAILED, 'Authentication error: not a valid assets upload token')

/** Routes for {@link ../api.ts}; the upload route checks its own (upload token) authorisation. */
export function assetsRoutes(service: (ctx: ApiContext) => AssetsService | undefined): Route[] {
  const unavailable = (): ApiReply => failOne(404, Code.noRoute, 'No route for that URI')
  return [
    {
      method: 'POST',
      pattern: new RegExp(
        `^/accounts/${SEGMENT}/workers/scripts/${SEGMENT}/assets-upload-session/?$`,
      ),
      handler: (ctx, req, params) => service(ctx)?.session(ctx, req, params) ?? unavailable(),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/accounts/${SEGMENT}/workers/assets/upload/?$`),
      handler: (ctx, req, params) => service(ctx)?.upload(ctx, req, params) ?? unavailable(),
      rawBody: true,
      ownAuth: (ctx, headers, [account = '']) =>
        service(ctx)?.checkUploadToken(headers, account) ??
        (service(ctx) ? undefined : unavailable()),
    },
  ]
}

function parseManifest(value: unknown): Manifest | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'manifest must be an object of {"/path": {hash, size}}'
  const out: Manifest = {}
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (!key.startsWith('/')) return `manifest key ${JSON.stringify(key)} must start with "/"`
    const { hash, size } = (entry ?? {}) as { hash?: unknown; size?: unknown }
    if (typeof hash !== 'string' || !HASH.test(hash))
      return `manifest entry ${key} needs a 32-character hex hash`
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0)
      return `manifest entry ${key} needs a size in bytes`
    out[key] = { hash, size }
  }
  return out
}

/** Three base64url parts like a JWT; the signature is random: only the emulator's own maps make a token valid. */
function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.${randomBytes(24).toString('base64url')}`
}

export function checkAssetsJwt(
  service: AssetsService | undefined,
  account: string,
  worker: string,
  body: unknown,
): string | Record<string, { hash: string; size: number }> | undefined {
  const assets = (body as { assets?: { jwt?: unknown } } | undefined)?.assets
  if (!service || assets?.jwt === undefined) return undefined
  const found = service.completion(account, worker, assets.jwt)
  return 'problem' in found ? found.problem : found.manifest
}
