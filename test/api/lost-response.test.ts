// A lost Create Version response is recovered only with proof that the found
// version holds this build's modules. Two builds of one Worker with the same
// message and tag must never be taken for each other.
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createVersion, type CreateVersionOptions } from '../../src/api/create-version.js'
import { uploadScript } from '../../src/api/script-upload.js'
import { identityOf, identityOfPayload } from '../../src/api/versions.js'
import type { VersionRequestBody } from '../../src/core/body.js'
import { scriptMetadata } from '../../src/core/serialize.js'
import { startApi, type TestApi } from './api-server.js'

const TOKEN = 'local-dev-token'
const ACCOUNT = 'local-account'
const WORKER = 'my-worker'

/** Same metadata for every build (as in CI runs of one branch); only the code differs. */
function build(code: string): VersionRequestBody {
  return {
    main_module: 'index.js',
    compatibility_date: '2025-01-01',
    annotations: { 'workers/message': 'deploy main', 'workers/tag': 'ci' },
    modules: [
      {
        name: 'index.js',
        content_type: 'application/javascript+module',
        content_base64: Buffer.from(code).toString('base64'),
      },
    ],
  }
}

const CODE_A = 'export default { fetch() { return new Response("A") } }'
const CODE_B = 'export default { fetch() { return new Response("B") } }'

let api: TestApi
let logs: string[]

beforeEach(async () => {
  api = await startApi({ token: TOKEN, accountId: ACCOUNT })
  logs = []
})
afterEach(async () => {
  await api.close()
})

function options(
  body: VersionRequestBody,
  overrides: Partial<CreateVersionOptions> = {},
): CreateVersionOptions {
  return {
    baseUrl: api.url,
    credentials: { apiToken: TOKEN },
    accountId: ACCOUNT,
    worker: WORKER,
    body,
    // The waits between lookups after a lost request that may still run (7 s by default), shortened.
    retries: { baseDelayMs: 20, maxDelayMs: 100, recoveryWaitsMs: [50, 50] },
    timeouts: { connectMs: 1000, headersMs: 5000, bodyMs: 5000, deadlineMs: 20_000 },
    log: (line) => logs.push(line),
    ...overrides,
  }
}

/** The code a stored version runs. */
function codeOf(id: string): string {
  const version = api.versions(WORKER).find((v) => v.id === id)
  if (!version) throw new Error(`no version ${id}`)
  return Buffer.from(version.modules[0]!.content_base64, 'base64').toString()
}

const posts = () => api.requests.filter((r) => r.method === 'POST')

describe('lost responses: never adopt another build’s version', () => {
  it('back to back: B gets a 502 after A created version 1, and creates its own version', async () => {
    const a = await createVersion(options(build(CODE_A)))
    expect(a.number).toBe(1)

    // B's first POST fails with a 502 and creates nothing; A's version 1 is
    // inside B's time window and has the same message, tag and main module.
    api.injectFaults({ kind: 'status', status: 502, match: { method: 'POST' } })
    const b = await createVersion(options(build(CODE_B)))

    expect(b.id).not.toBe(a.id)
    expect(b.number).toBe(2)
    expect(codeOf(b.id)).toBe(CODE_B)
    expect(posts()).toHaveLength(3) // A, B's 502, B's resend
    expect(logs.some((l) => /recovered the lost response/.test(l))).toBe(false)
    // A's version was the newest before B sent: it is not even a candidate, so its modules are never fetched.
    expect(api.requests.some((r) => r.query.include === 'modules')).toBe(false)
  })

  it('identical code a moment earlier: B’s request is dropped after A created the same code, and B does not report A’s version', async () => {
    const a = await createVersion(options(build(CODE_A)))
    // B builds exactly the same code, message and tag; its request is lost before the server stores it.
    api.injectFaults({ kind: 'drop', match: { method: 'POST' } })
    const b = await createVersion(options(build(CODE_A)))

    expect(b.id).not.toBe(a.id)
    expect(b.number).toBe(2)
    expect(api.versions(WORKER).map((v) => v.id)).toEqual([b.id, a.id])
    expect(logs.some((l) => /recovered the lost response/.test(l))).toBe(false)
  })

  it('identical code a moment earlier: B’s version is stored and its answer lost; B adopts its own, not A’s', async () => {
    const a = await createVersion(options(build(CODE_A)))
    api.injectFaults({ kind: 'lose-response', match: { method: 'POST' } })
    const b = await createVersion(options(build(CODE_A)))

    expect(api.versions(WORKER)).toHaveLength(2)
    expect(b.id).not.toBe(a.id)
    expect(b.number).toBe(2)
    expect(posts()).toHaveLength(2) // B's one POST was recovered, not resent
  })

  it('racing: A’s request is lost while B creates its version; A does not take B’s', async () => {
    // A's connection drops before the server reads its body (nothing stored).
    // A's lookup is held back until B, with other code, has created a version.
    // (The first GET is A's read before sending; the second, held back, its lookup.)
    api.injectFaults(
      { kind: 'slow', delayMs: 0, match: { method: 'GET' } },
      { kind: 'drop', match: { method: 'POST' } },
      { kind: 'slow', delayMs: 1500, match: { method: 'GET' } },
    )
    const aPromise = createVersion(options(build(CODE_A)))
    await expect
      .poll(() => api.requests.filter((r) => r.method === 'GET').length, { timeout: 10_000 })
      .toBe(2)
    const b = await createVersion(options(build(CODE_B)))
    const a = await aPromise

    expect(codeOf(b.id)).toBe(CODE_B)
    expect(a.id).not.toBe(b.id)
    expect(codeOf(a.id)).toBe(CODE_A)
    expect(api.versions(WORKER)).toHaveLength(2)
  })

  it('racing: A’s version is stored after B’s and its response lost; A adopts its own, not the older B', async () => {
    // A's body is streamed and held back half way: the server has A's request
    // (and so the lost-response fault) but stores A's version only after B's.
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const json = Buffer.from(JSON.stringify(build(CODE_A)))
    async function* slowBody() {
      yield json.subarray(0, 40)
      await gate
      yield json.subarray(40)
    }
    api.injectFaults({ kind: 'lose-response', match: { method: 'POST' } })
    const aPromise = createVersion(
      options(build(CODE_A), {
        body: () => Readable.from(slowBody()),
        identity: identityOf(build(CODE_A)),
      }),
    )
    await expect.poll(() => posts().length, { timeout: 10_000 }).toBe(1)

    const b = await createVersion(options(build(CODE_B)))
    expect(b.number).toBe(1)
    release()
    const a = await aPromise

    expect(a.id).not.toBe(b.id)
    expect(a.number).toBe(2)
    expect(codeOf(a.id)).toBe(CODE_A)
    expect(posts()).toHaveLength(2) // A's one POST was recovered, not resent
    expect(
      logs.some((l) => /recovered the lost response: version .* with this build's modules/.test(l)),
    ).toBe(true)
  })

  it('the same code is proof enough: a lost response of identical modules is recovered, not resent', async () => {
    api.injectFaults({ kind: 'lose-response', match: { method: 'POST' } })
    const a = await createVersion(options(build(CODE_A)))
    expect(api.versions(WORKER).map((v) => v.id)).toEqual([a.id])
    expect(posts()).toHaveLength(1)
    expect(api.requests.some((r) => r.method === 'GET' && r.query.include === 'modules')).toBe(true)
  })
})

describe('lost responses of the script upload: a migration is reported applied only when the Worker’s tag moved', () => {
  const CODE = 'export class Tally {} export default { fetch() { return new Response("tally") } }'
  const scriptPuts = () =>
    api.requests.filter((r) => r.method === 'PUT' && r.path.endsWith(`/workers/scripts/${WORKER}`))

  function upload(code: string, migrations: unknown) {
    const modules = [
      {
        name: 'index.js',
        content_type: 'application/javascript+module' as const,
        contents: Buffer.from(code),
      },
    ]
    const payload = {
      mainModule: 'index.js',
      modules,
      config: { compatibility_date: '2025-01-01', migrations },
    }
    return uploadScript(
      { ...options(build(code)), accountId: ACCOUNT },
      {
        worker: WORKER,
        metadata: scriptMetadata(payload),
        modules,
        identity: identityOfPayload(payload),
      },
    )
  }

  it('a version of this code that another build created while the upload was lost, the tag still v1, is not adopted', async () => {
    await upload(
      'export class Counter {} export default { fetch() { return new Response("counter") } }',
      { new_tag: 'v1', steps: [{ new_sqlite_classes: ['Counter'] }] },
    )
    expect(api.worker(WORKER)?.migration_tag).toBe('v1')

    // The upload's PUT is dropped (nothing stored); its lookup is held back while another build
    // creates a version of exactly this code through Create Version (no migration: the tag stays v1).
    api.injectFaults(
      { kind: 'slow', delayMs: 0, match: { method: 'GET', path: /\/versions$/ } },
      { kind: 'drop', match: { method: 'PUT' } },
      { kind: 'slow', delayMs: 1500, match: { method: 'GET', path: /\/versions$/ } },
    )
    const before = api.requests.length
    const pending = upload(CODE, {
      old_tag: 'v1',
      new_tag: 'v2',
      steps: [{ renamed_classes: [{ from: 'Counter', to: 'Tally' }] }],
    })
    await expect
      .poll(() => api.requests.slice(before).filter((r) => r.method === 'GET').length, {
        timeout: 10_000,
      })
      .toBe(2)
    const rival = await createVersion(
      options({
        main_module: 'index.js',
        compatibility_date: '2025-01-01',
        modules: build(CODE).modules,
      }),
    )
    const result = await pending

    expect(result.id).not.toBe(rival.id)
    expect(api.worker(WORKER)?.migration_tag).toBe('v2')
    expect(
      scriptPuts()
        .slice(-2)
        .map((r) => r.status),
    ).toEqual([0, 200])
    expect(
      logs.some((l) =>
        l.includes(
          `version ${rival.id} holds this build's modules, but the Worker's migration tag is "v1", not "v2": not this upload's; sending it again`,
        ),
      ),
    ).toBe(true)
  })
})
