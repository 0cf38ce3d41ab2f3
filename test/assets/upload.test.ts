/** The assets upload flow against the local emulator: dedupe, resume, faults, no JWT ever shown. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'
import { readAssetsDirectory, manifestBody } from '../../src/assets/manifest.js'
import {
  expiresSoon,
  partContentType,
  uploadAssets,
  type UploadAssetsOptions,
} from '../../src/api/assets.js'

const JWT_LIKE = /[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/

let emu: Emulator
const dirs: string[] = []
beforeAll(async () => {
  emu = await startEmulator({ preview: false, assets: { bucketFiles: 4 } })
})
afterAll(async () => {
  await emu.close()
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
})
afterEach(() => {
  emu.clearFaults()
  emu.assets.forget()
})

async function site(count: number, salt = ''): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'assets-upload-'))
  dirs.push(root)
  const files: Record<string, string> = {
    'index.html': `<h1>home${salt}</h1>`,
    'assets/app.css': `body{color:red}${salt}`,
  }
  for (let i = 0; i < count - 2; i++)
    files[`assets/chunk-${i}.js`] = `export const n = ${i}${salt ? ` // ${salt}` : ''}`
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, name)), { recursive: true })
    await writeFile(join(root, name), text)
  }
  return root
}

function options(
  manifest: UploadAssetsOptions['manifest'],
  extra: Partial<UploadAssetsOptions> = {},
): UploadAssetsOptions & { lines: string[] } {
  const lines: string[] = []
  return {
    baseUrl: emu.url,
    credentials: { apiToken: emu.token },
    accountId: emu.accountId,
    scriptName: 'site',
    manifest,
    retries: { attempts: 4, baseDelayMs: 20, maxDelayMs: 100 },
    log: (line) => lines.push(line),
    lines,
    ...extra,
  }
}

const uploadedHashes = (from: number) =>
  emu.assets.uploads
    .slice(from)
    .filter((u) => u.status < 300)
    .flatMap((u) => u.hashes)

describe('uploadAssets', () => {
  it('sends every file first, nothing when unchanged, and only the changed file after an edit', async () => {
    const root = await site(10)
    const manifest = await readAssetsDirectory(root)
    let mark = emu.assets.uploads.length
    const progress: number[] = []
    const first = await uploadAssets(
      options(manifest, { onProgress: (p) => progress.push(p.uploadedFiles) }),
    )
    expect(first).toMatchObject({
      uploadedFiles: 10,
      presentFiles: 0,
      totalFiles: 10,
      uploadedBytes: manifest.files.reduce((s, f) => s + f.size, 0),
    })
    expect(first.jwt).toMatch(JWT_LIKE)
    expect(uploadedHashes(mark).sort()).toEqual(manifest.files.map((f) => f.hash).sort())
    expect(progress.at(-1)).toBe(10)
    // The session got exactly the manifest, keyed by path.
    expect(emu.assets.sessions.at(-1)?.manifest).toEqual(manifestBody(manifest))
    expect(emu.assets.sessions.at(-1)?.scriptName).toBe('site')

    mark = emu.assets.uploads.length
    const second = await uploadAssets(options(manifest))
    expect(second).toMatchObject({ uploadedFiles: 0, presentFiles: 10, totalFiles: 10 })
    expect(second.jwt).toMatch(JWT_LIKE)
    expect(emu.assets.uploads.length).toBe(mark)

    await writeFile(join(root, 'assets/app.css'), 'body{color:blue}')
    const changed = await readAssetsDirectory(root)
    const newHash = changed.files.find((f) => f.key === '/assets/app.css')?.hash
    mark = emu.assets.uploads.length
    const third = await uploadAssets(options(changed))
    expect(third).toMatchObject({ uploadedFiles: 1, presentFiles: 9 })
    expect(uploadedHashes(mark)).toEqual([newHash])
  })

  it('types each part like wrangler: MIME of the path, charset on text, application/null when unknown', async () => {
    expect(partContentType('/index.html')).toBe('text/html; charset=utf-8')
    expect(partContentType('/a/app.css')).toBe('text/css; charset=utf-8')
    expect(partContentType('/a/app.js')).toBe('text/javascript; charset=utf-8')
    expect(partContentType('/logo.png')).toBe('image/png')
    expect(partContentType('/data.unknownext')).toBe('application/null')
    expect(partContentType('/LICENSE')).toBe('application/null')
    const root = await site(3)
    const mark = emu.assets.uploads.length
    await uploadAssets(options(await readAssetsDirectory(root), { concurrency: 1 }))
    const types = emu.assets.uploads.slice(mark).flatMap((u) => u.contentTypes)
    expect(types.sort()).toEqual([
      'text/css; charset=utf-8',
      'text/html; charset=utf-8',
      'text/javascript; charset=utf-8',
    ])
  })

  it('retries a 524 and then goes on one bucket at a time', async () => {
    const manifest = await readAssetsDirectory(await site(12))
    emu.injectFaults({
      match: { path: /\/workers\/assets\/upload$/ },
      kind: 'non-json',
      status: 524,
    })
    const o = options(manifest)
    const result = await uploadAssets(o)
    expect(result.uploadedFiles).toBe(12)
    expect(emu.assets.uploads.at(-1)?.status).toBe(201)
    expect(
      emu.requests.some((r) => r.path.endsWith('/workers/assets/upload') && r.status === 524),
    ).toBe(true)
    expect(o.lines.join('\n')).toContain('one bucket at a time')
    expect(o.lines.join('\n')).not.toMatch(JWT_LIKE)
  })

  it('honours Retry-After on a 429', async () => {
    const manifest = await readAssetsDirectory(await site(3, 'rate'))
    emu.injectFaults({
      match: { path: /\/workers\/assets\/upload$/ },
      kind: 'status',
      status: 429,
      retryAfter: 1,
    })
    const o = options(manifest)
    const result = await uploadAssets(o)
    expect(result.uploadedFiles).toBe(3)
    expect(o.lines.filter((l) => /HTTP 429/.test(l))).toEqual([
      expect.stringMatching(/succeeded after 2 attempts/),
    ])
  })

  it('rejects with how far it got when bucket uploads always fail, and returns no JWT', async () => {
    const manifest = await readAssetsDirectory(await site(9, 'fail'))
    // Every bucket upload fails; default retry policy and concurrency, as a build would run it.
    emu.injectFaults(
      ...Array.from({ length: 60 }, () => ({
        match: { path: /\/workers\/assets\/upload$/ },
        kind: 'status' as const,
        status: 500,
      })),
    )
    const o = options(manifest)
    delete o.retries
    const error = await uploadAssets(o).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'WorkersVersionError', code: 'ASSETS_UPLOAD_FAILED' })
    const message = (error as Error).message
    expect(message).toContain(manifest.directory)
    expect(message).toMatch(/uploaded 0 of 9 files/)
    expect(message).toContain('HTTP 500')
    expect(message).not.toMatch(JWT_LIKE)
    expect(o.lines.join('\n')).not.toMatch(JWT_LIKE)
  })

  it('says how many files made it when a later bucket is refused', async () => {
    const manifest = await readAssetsDirectory(await site(9, 'partial'))
    const o = options(manifest, {
      concurrency: 1,
      retries: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
    })
    // Two buckets of 4 go through, then the third fails for good.
    let seen = 0
    o.onProgress = (p) => {
      seen = p.uploadedFiles
      if (p.uploadedFiles === 8)
        emu.injectFaults(
          ...Array.from({ length: 5 }, () => ({
            match: { path: /\/workers\/assets\/upload$/ },
            kind: 'status' as const,
            status: 503,
          })),
        )
    }
    const error = await uploadAssets(o).catch((e: unknown) => e)
    expect(seen).toBe(8)
    expect((error as Error).message).toMatch(/uploaded 8 of 9 files/)
  })

  it('opens a new session when the upload token stops working mid-upload, and sends nothing twice', async () => {
    const manifest = await readAssetsDirectory(await site(14, 'expire'))
    emu.assets.expireNextUploadToken({ afterUploads: 2 })
    const sessionsBefore = emu.assets.sessions.length
    const mark = emu.assets.uploads.length
    const o = options(manifest, { concurrency: 1 })
    const result = await uploadAssets(o)
    expect(result.uploadedFiles).toBe(14)
    expect(emu.assets.sessions.length - sessionsBefore).toBe(2)
    expect(emu.assets.uploads.slice(mark).some((u) => u.status === 401)).toBe(true)
    const accepted = uploadedHashes(mark)
    expect(accepted.length).toBe(14)
    expect(new Set(accepted).size).toBe(14)
    expect(o.lines.join('\n')).toContain('opening a new upload session')
    expect(o.lines.join('\n')).not.toMatch(JWT_LIKE)
  })

  it('renews from the exp claim without sending with an expired token', async () => {
    const manifest = await readAssetsDirectory(await site(5, 'exp'))
    emu.assets.expireNextUploadToken({ ttlMs: 0 })
    const mark = emu.assets.uploads.length
    const result = await uploadAssets(options(manifest))
    expect(result.uploadedFiles).toBe(5)
    expect(emu.assets.uploads.slice(mark).every((u) => u.status < 300)).toBe(true)
  })

  it('fails when every session hands out tokens that are already expired', async () => {
    const manifest = await readAssetsDirectory(await site(3, 'dead'))
    const dead = startEmulator({
      token: emu.token,
      preview: false,
      assets: { uploadTokenTtlMs: 0 },
    })
    const other = await dead
    try {
      const error = await uploadAssets({
        ...options(manifest),
        baseUrl: other.url,
        accountId: other.accountId,
      }).catch((e: unknown) => e)
      expect(error).toMatchObject({
        code: 'ASSETS_UPLOAD_FAILED',
        message: expect.stringContaining('expired 3 times'),
      })
    } finally {
      await other.close()
    }
  })

  it('recovers when the response carrying the completion token is lost', async () => {
    const manifest = await readAssetsDirectory(await site(4, 'lost'))
    emu.injectFaults({ match: { path: /\/workers\/assets\/upload$/ }, kind: 'lose-response' })
    const sessionsBefore = emu.assets.sessions.length
    const result = await uploadAssets(options(manifest))
    // The retry meets a spent upload token (401), and a new session finds every file held:
    // they count as sent by this upload, not as already present.
    expect(result.jwt).toMatch(JWT_LIKE)
    expect(result).toMatchObject({ uploadedFiles: 4, presentFiles: 0 })
    expect(emu.assets.sessions.length - sessionsBefore).toBe(2)
    expect(emu.assets.heldHashes()).toEqual(manifest.files.map((f) => f.hash).sort())
  })

  it('reads exp claims', () => {
    const token = (exp: number) =>
      `x.${Buffer.from(JSON.stringify({ exp })).toString('base64url')}.y`
    expect(expiresSoon(token(Math.floor(Date.now() / 1000) + 3600))).toBe(false)
    expect(expiresSoon(token(Math.floor(Date.now() / 1000) - 1))).toBe(true)
    expect(expiresSoon('opaque-token')).toBe(false)
  })

  it('refuses a wrong API token before uploading anything', async () => {
    const manifest = await readAssetsDirectory(await site(2, 'auth'))
    const error = await uploadAssets({
      ...options(manifest),
      credentials: { apiToken: 'wrong-token-value' },
    }).catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'ASSETS_UPLOAD_FAILED',
      message: expect.stringContaining('HTTP 401'),
    })
  })
})
