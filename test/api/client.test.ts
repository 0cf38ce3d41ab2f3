import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Readable } from 'node:stream'
import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createVersion, type CreateVersionOptions } from '../../src/api/create-version.js'
import { ApiError } from '../../src/api/errors.js'
import { identityOf } from '../../src/api/versions.js'
import type { VersionRequestBody } from '../../src/core/body.js'
import { startEmulator } from '../helpers/emulator.js'
import { startApi, type TestApi } from './api-server.js'
import { rejection } from '../helpers/rejection.js'

const TOKEN = 'local-dev-token'
const ACCOUNT = 'local-account'
const WORKER = 'my-worker'

function versionBody(overrides: Partial<VersionRequestBody> = {}): VersionRequestBody {
  return {
    main_module: 'index.js',
    compatibility_date: '2025-01-01',
    annotations: { 'workers/message': 'build 42', 'workers/tag': 'v1.2.3' },
    bindings: [
      { type: 'plain_text', name: 'GREETING', text: 'hi' },
      { type: 'kv_namespace', name: 'KV', namespace_id: '0123456789abcdef0123456789abcdef' },
    ],
    modules: [
      {
        name: 'index.js',
        content_type: 'application/javascript+module',
        content_base64: Buffer.from(
          'export default { fetch() { return new Response("ok") } }',
        ).toString('base64'),
      },
    ],
    ...overrides,
  }
}

let api: TestApi
let logs: string[]

beforeEach(async () => {
  api = await startApi({ token: TOKEN, accountId: ACCOUNT })
  logs = []
})
afterEach(async () => {
  await api.close()
})

function options(overrides: Partial<CreateVersionOptions> = {}): CreateVersionOptions {
  return {
    baseUrl: api.url,
    credentials: { apiToken: TOKEN },
    accountId: ACCOUNT,
    worker: WORKER,
    body: versionBody(),
    // Short waits before each second look for a version a lost answer may have created: the
    // looking again is what these tests check; the default waits are in test/trust/slow-api.test.ts.
    retries: { baseDelayMs: 20, maxDelayMs: 100, recoveryWaitsMs: [10, 20, 40] },
    timeouts: { connectMs: 1000, headersMs: 2000, bodyMs: 2000, deadlineMs: 15_000 },
    log: (line) => logs.push(line),
    ...overrides,
  }
}

const posts = () => api.requests.filter((r) => r.method === 'POST')
const gets = () => api.requests.filter((r) => r.method === 'GET')
/** The reads after the first send: the one list before it is the baseline a lost response is placed by. */
const lookups = () =>
  api.requests
    .slice(api.requests.findIndex((r) => r.method === 'POST'))
    .filter((r) => r.method === 'GET')

describe('createVersion against a local API', () => {
  it('creates a version and sends the body and auth exactly once', async () => {
    const body = versionBody()
    const result = await createVersion(options({ body, userAgent: 'test-agent/1' }))
    const stored = api.versions(WORKER)
    expect(stored).toHaveLength(1)
    expect(result.id).toBe(stored[0]!.id)
    expect(result.number).toBe(stored[0]!.number)
    expect(result.main_module).toBe('index.js')
    expect(posts()).toHaveLength(1)
    const [post] = posts()
    expect(post!.path).toBe(`/client/v4/accounts/${ACCOUNT}/workers/workers/${WORKER}/versions`)
    expect(post!.headers.authorization).toBe('[REDACTED]') // sent (the emulator hides its value; success proves it)
    expect(post!.headers['content-type']).toBe('application/json')
    expect(post!.body).toEqual(body)
    expect(post!.headers['user-agent']).toBe('test-agent/1')
    expect(logs).toEqual([])
  })

  it('sends X-Auth-Email + X-Auth-Key for a global key', async () => {
    // The emulator accepts its token as a global key.
    const result = await createVersion(
      options({ credentials: { apiKey: TOKEN, email: 'me@example.com' } }),
    )
    expect(api.versions(WORKER).map((v) => v.id)).toEqual([result.id])
    const [post] = posts()
    expect(post!.headers['x-auth-email']).toBe('me@example.com')
    expect(post!.headers['x-auth-key']).toBe('[REDACTED]')
    expect(post!.headers.authorization).toBeUndefined()
  })

  it('honours Retry-After on 429, then succeeds', async () => {
    api.injectFaults({ kind: 'status', status: 429, retryAfter: 1, match: { method: 'POST' } })
    const started = Date.now()
    const result = await createVersion(options())
    const elapsed = Date.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(950)
    expect(elapsed).toBeLessThan(5000)
    expect(posts()).toHaveLength(2)
    expect(api.versions(WORKER).map((v) => v.id)).toEqual([result.id])
    expect(logs).toEqual([
      expect.stringMatching(
        /^Create Version for Worker "my-worker" succeeded after 2 attempts \(the last failure: HTTP 429/,
      ),
    ])
  })

  it('retries 503 twice with backoff, then succeeds without a lookup', async () => {
    api.injectFaults(
      { kind: 'status', status: 503, match: { method: 'POST' } },
      { kind: 'status', status: 503, match: { method: 'POST' } },
    )
    const result = await createVersion(options())
    expect(posts()).toHaveLength(3)
    expect(lookups()).toHaveLength(0) // 503 means "not processed": no need to check for a version
    expect(api.versions(WORKER).map((v) => v.id)).toEqual([result.id])
    // One line for the request, not one per attempt.
    expect(logs).toEqual([
      expect.stringMatching(/succeeded after 3 attempts \(the last failure: HTTP 503/),
    ])
  })

  it('recovers a lost response instead of creating a second version', async () => {
    api.injectFaults({ kind: 'lose-response', match: { method: 'POST' } })
    const result = await createVersion(options())
    const stored = api.versions(WORKER)
    expect(stored).toHaveLength(1)
    expect(result.id).toBe(stored[0]!.id)
    expect(result.urls).toEqual(stored[0]!.urls)
    expect(posts()).toHaveLength(1)
    expect(gets().length).toBeGreaterThanOrEqual(1)
    expect(
      logs.some((line) => /recovered the lost response: version .* had been created/.test(line)),
    ).toBe(true)
  })

  it('does not take a just-created version of another build for the lost one', async () => {
    const earlier = await createVersion(
      options({ body: versionBody({ annotations: { 'workers/message': 'build 41' } }) }),
    )
    api.injectFaults({ kind: 'drop', match: { method: 'POST' } })
    const result = await createVersion(options())
    // The earlier version is inside the time window but its message differs:
    // the lookup must not claim it, so the request is sent again.
    expect(result.id).not.toBe(earlier.id)
    expect(result.annotations?.['workers/message']).toBe('build 42')
    expect(api.versions(WORKER).map((v) => v.id)).toEqual([result.id, earlier.id]) // newest first
  })

  it('resends after a dropped connection when the lookup shows nothing was created', async () => {
    api.injectFaults({ kind: 'drop', match: { method: 'POST' } })
    const result = await createVersion(options())
    expect(posts()).toHaveLength(2)
    expect(gets().length).toBeGreaterThanOrEqual(1)
    expect(api.versions(WORKER).map((v) => v.id)).toEqual([result.id])
  })

  it('gives up on a persistent 500 after the configured attempts, checking for a version between them', async () => {
    const fault = { kind: 'status', status: 500, match: { method: 'POST' } } as const
    api.injectFaults(fault, fault, fault, fault, fault)
    const error = await rejection(
      createVersion(options({ retries: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 } })),
    )
    expect(error).toBeInstanceOf(ApiError)
    const apiError = error as ApiError
    expect(apiError.code).toBe('API_ERROR')
    expect(apiError.status).toBe(500)
    expect(apiError.attempts).toBe(3)
    expect(apiError.message).toMatch(/failed after 3 attempts; last error: HTTP 500/)
    expect(posts()).toHaveLength(3)
    // A 500 leaves the outcome unknown: the versions are listed before every resend and at the end.
    expect(lookups().filter((r) => r.path.endsWith('/versions'))).toHaveLength(3)
    expect(api.versions(WORKER)).toHaveLength(0)
    expect(logs.filter((l) => /HTTP 500/.test(l))).toEqual([
      expect.stringMatching(/failed after 3 attempts: HTTP 500/),
    ])
  })

  it('names the binding a 400 points at and does not retry', async () => {
    const body = versionBody({
      bindings: [
        { type: 'plain_text', name: 'GREETING', text: 'hi' },
        { type: 'kv_namespace', name: 'KV' }, // namespace_id missing
      ],
    })
    const error = await rejection(createVersion(options({ body })))
    expect(error).toBeInstanceOf(ApiError)
    const apiError = error as ApiError
    expect(apiError.status).toBe(400)
    expect(apiError.attempts).toBe(1)
    expect(apiError.errors[0]?.source?.pointer).toBe('/bindings/1/namespace_id')
    expect(apiError.message).toContain('binding "KV" (kv_namespace), field namespace_id')
    expect(apiError.message).toMatch(/\[code \d+\]/)
    expect(posts()).toHaveLength(1)
  })

  it('uses the caller’s describe for pointers', async () => {
    const body = versionBody({ bindings: [{ type: 'kv_namespace', name: 'KV' }] })
    const error = await rejection(
      createVersion(
        options({
          body,
          describe: (p) => (p.startsWith('/bindings/0') ? 'the binding named "KV"' : undefined),
        }),
      ),
    )
    expect(error.message).toContain('at the binding named "KV"')
  })

  it('reports an invalid token as code 10000 with the authentication hint', async () => {
    const error = await rejection(
      createVersion(options({ credentials: { apiToken: 'wrong-token-000' } })),
    )
    expect(error).toBeInstanceOf(ApiError)
    const apiError = error as ApiError
    expect([401, 403]).toContain(apiError.status)
    expect(apiError.errors.map((e) => e.code)).toContain(10000)
    expect(apiError.message).toMatch(/\[code 10000\]/)
    expect(apiError.message).toMatch(
      /hint: authentication failed: check CLOUDFLARE_API_TOKEN.*Workers Scripts Write/,
    )
    // Refused at the read before sending: nothing was sent.
    expect(apiError.message).toMatch(
      /rejected List the versions of Worker "my-worker" \(before sending/,
    )
    expect(posts()).toHaveLength(0)
  })

  it('shows status and the start of a non-JSON error body', async () => {
    api.injectFaults({ kind: 'non-json', status: 403, match: { method: 'POST' } })
    const error = await rejection(createVersion(options()))
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(403)
    expect(error.message).toMatch(/HTTP 403/)
    expect(error.message).toMatch(/not JSON: .{5,}/)
    expect(posts()).toHaveLength(1)
  })

  it('retries a non-JSON 502 and reports its body when it persists', async () => {
    const fault = { kind: 'non-json', status: 502, match: { method: 'POST' } } as const
    api.injectFaults(fault, fault)
    const error = await rejection(
      createVersion(options({ retries: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 } })),
    )
    expect(error.message).toMatch(/failed after 2 attempts; last error: HTTP 502/)
    expect(error.message).toMatch(/not JSON: .{5,}/)
    expect(posts()).toHaveLength(2)
  })

  it('fails fast when Retry-After is longer than the build waits', async () => {
    api.injectFaults({ kind: 'status', status: 429, retryAfter: 3600, match: { method: 'POST' } })
    const started = Date.now()
    const error = await rejection(createVersion(options()))
    expect(Date.now() - started).toBeLessThan(2000)
    expect(error).toBeInstanceOf(ApiError)
    expect(error.message).toMatch(
      /failed after 1 attempt; the API asks to wait 3600s \(Retry-After\), longer than the 60s a build waits; last error: HTTP 429/,
    )
    expect(posts()).toHaveLength(1)
  })

  it('fails fast when Retry-After goes past the deadline', async () => {
    api.injectFaults({ kind: 'status', status: 429, retryAfter: 30, match: { method: 'POST' } })
    const started = Date.now()
    const error = await rejection(createVersion(options({ timeouts: { deadlineMs: 5000 } })))
    expect(Date.now() - started).toBeLessThan(2000)
    expect(error.message).toMatch(/asks to wait 30s \(Retry-After\), past the deadline/)
  })

  it('sends the same bytes on every attempt of a large body', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 7).toString('base64') // ~11 MB of base64
    const body = versionBody({
      modules: [
        { name: 'index.js', content_type: 'application/javascript+module', content_base64: big },
      ],
    })
    api.injectFaults({ kind: 'status', status: 503, match: { method: 'POST' } })
    await createVersion(options({ body }))
    const sizes = posts().map((r) => Number(r.headers['content-length']))
    expect(sizes).toHaveLength(2)
    expect(sizes[0]).toBe(Buffer.byteLength(JSON.stringify(body)))
    expect(sizes[1]).toBe(sizes[0])
  })

  it('streams a body from a factory, calling it once per attempt', async () => {
    api.injectFaults({ kind: 'status', status: 503, match: { method: 'POST' } })
    const json = JSON.stringify(versionBody())
    let calls = 0
    const result = await createVersion(
      options({
        body: () => {
          calls++
          return Readable.from([Buffer.from(json.slice(0, 50)), Buffer.from(json.slice(50))])
        },
      }),
    )
    expect(calls).toBe(2)
    expect(api.versions(WORKER).map((v) => v.id)).toEqual([result.id])
  })

  it('never shows the token in logs, errors or their properties', async () => {
    const canary = 'canary-token-XYZ'
    // A server (or proxy) that echoes the credential back in its errors.
    const echo = {
      success: false,
      errors: [{ code: 10000, message: `bad token ${canary}` }],
      messages: [],
      result: null,
    }
    api.injectFaults(
      // The read before sending is answered as for a Worker without versions (the canary is no valid token).
      {
        kind: 'status',
        status: 200,
        body: { success: true, errors: [], messages: [], result: [] },
        match: { method: 'GET' },
      },
      { kind: 'status', status: 503, body: echo, match: { method: 'POST' } },
      { kind: 'status', status: 400, body: echo, match: { method: 'POST' } },
    )
    const error = await rejection(createVersion(options({ credentials: { apiToken: canary } })))
    const seen = [
      ...logs,
      error.message,
      String(error.stack),
      inspect(error, { depth: 10, showHidden: true }),
      JSON.stringify(error),
    ].join('\n')
    expect(logs.length).toBeGreaterThan(0)
    expect(seen).toContain('[redacted]')
    expect(seen).not.toContain(canary)
    expect(posts()).toHaveLength(2)
    expect(posts()[0]!.headers.authorization).toBeDefined()
  })

  it('never shows a global key either, including in network errors', async () => {
    const canary = 'canary-key-XYZ-123'
    const closed = await closedPortUrl()
    const error = await rejection(
      createVersion(
        options({
          baseUrl: closed,
          credentials: { apiKey: canary, email: 'a@b.c' },
          retries: { attempts: 2, baseDelayMs: 10 },
        }),
      ),
    )
    const seen = [
      ...logs,
      error.message,
      String(error.stack),
      inspect(error, { depth: 10, showHidden: true }),
    ].join('\n')
    expect(seen).not.toContain(canary)
  })

  it('retries a refused connection (nothing was sent) and reports the attempts', async () => {
    const closed = await closedPortUrl()
    const error = await rejection(
      createVersion(
        options({ baseUrl: closed, retries: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 } }),
      ),
    )
    expect(error.code).toBe('API_NETWORK_ERROR')
    // The first request is the read before sending: nothing was sent.
    expect(error.message).toMatch(
      /^List the versions of Worker "my-worker" \(before sending.* failed after 3 attempts; last error: could not connect: .*ECONNREFUSED/,
    )
    expect(logs).toEqual([
      expect.stringMatching(/failed after 3 attempts: could not connect: .*ECONNREFUSED/),
    ])
  })

  it('shows each failed attempt on the live line only, and logs one line for the request', async () => {
    const closed = await closedPortUrl()
    const live: string[] = []
    await rejection(
      createVersion(
        options({
          baseUrl: closed,
          retries: { attempts: 4, baseDelayMs: 10, maxDelayMs: 20 },
          live: (line) => live.push(line),
        }),
      ),
    )
    // The read before sending makes 3 sends at most (it is a check, not the request).
    expect(live).toEqual(
      [1, 2].map((n) =>
        expect.stringMatching(
          new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:\\d+; attempt ${n}/3 failed, waiting`),
        ),
      ),
    )
    expect(logs).toEqual([expect.stringMatching(/failed after 3 attempts: could not connect/)])
  })

  it('recovers a lost response for a streamed body given with its identity (module digests)', async () => {
    api.injectFaults({ kind: 'lose-response', match: { method: 'POST' } })
    const json = JSON.stringify(versionBody())
    const result = await createVersion(
      options({
        body: () => Readable.from([Buffer.from(json)]),
        identity: identityOf(versionBody()),
      }),
    )
    expect(posts()).toHaveLength(1)
    expect(api.versions(WORKER).map((v) => v.id)).toEqual([result.id])
    // The proof came from the version's contents.
    expect(gets().some((r) => r.query.include === 'modules')).toBe(true)
  })

  it('never adopts a version for a streamed body without digests: it creates a second one and says so', async () => {
    api.injectFaults({ kind: 'lose-response', match: { method: 'POST' } })
    const json = JSON.stringify(versionBody())
    const result = await createVersion(options({ body: () => Readable.from([Buffer.from(json)]) }))
    expect(posts()).toHaveLength(2)
    expect(api.versions(WORKER).map((v) => v.id)).toEqual([result.id, expect.any(String)])
    expect(
      logs.some((line) => /none can be proven to be ours; creating a new version/.test(line)),
    ).toBe(true)
  })

  it('stops at the deadline when the API is slow, and names what may have happened', async () => {
    api.injectFaults({ kind: 'slow', delayMs: 30_000, match: { method: 'POST' } })
    const started = Date.now()
    const error = await rejection(
      createVersion(options({ timeouts: { headersMs: 60_000, deadlineMs: 500 } })),
    )
    expect(Date.now() - started).toBeLessThan(1500)
    expect(error.code).toBe('API_TIMEOUT')
    expect(error.message).toMatch(/may have been created anyway/)
  })

  it('explains a missing Worker (10007)', async () => {
    const strict = await startEmulator({ token: TOKEN, accountId: ACCOUNT, preview: false })
    try {
      const error = await rejection(
        createVersion(options({ baseUrl: strict.url, worker: 'no-such-worker' })),
      )
      expect((error as ApiError).status).toBe(404)
      expect(error.message).toMatch(/\[code 10007\]/)
      expect(error.message).toMatch(/hint: the Worker "no-such-worker" does not exist: create it/)
    } finally {
      await strict.close()
    }
  })

  it('explains a wrong account id (7003)', async () => {
    const error = await rejection(createVersion(options({ accountId: 'other-account' })))
    expect(error.message).toMatch(/\[code 7003\]/)
    expect(error.message).toMatch(/CLOUDFLARE_ACCOUNT_ID/)
  })

  it('refuses an insecure base URL before sending anything', async () => {
    const error = await rejection(
      createVersion(options({ baseUrl: 'http://api.cloudflare.com/client/v4' })),
    )
    expect(error.code).toBe('INSECURE_API_URL')
  })

  it('refuses to run without credentials', async () => {
    const error = await rejection(createVersion(options({ credentials: {} })))
    expect(error.code).toBe('MISSING_CREDENTIALS')
    expect(api.requests).toHaveLength(0)
  })
})

describe('createVersion against a server that never answers', () => {
  let server: Server
  let url: string
  const sockets = new Set<Socket>()
  const seenMethods: string[] = []

  beforeEach(async () => {
    sockets.clear()
    seenMethods.length = 0
    server = createServer((req, res) => {
      seenMethods.push(req.method ?? '')
      // The list read before sending is answered (no versions yet); the POST never is.
      if (req.method === 'GET')
        return void res
          .setHeader('content-type', 'application/json')
          .end(JSON.stringify({ success: true, errors: [], messages: [], result: [] }))
      req.resume() // read the body, never answer
    })
    server.on('connection', (socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`
  })
  afterEach(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const base = () => ({
    baseUrl: url,
    credentials: { apiToken: TOKEN },
    accountId: ACCOUNT,
    worker: WORKER,
    body: versionBody(),
    log: (line: string) => logs.push(line),
  })

  it('stops at the deadline and leaves no open sockets or timers', async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const started = Date.now()
    const error = await rejection(
      createVersion({ ...base(), timeouts: { headersMs: 10_000, deadlineMs: 400 } }),
    )
    const elapsed = Date.now() - started
    expect(error.code).toBe('API_TIMEOUT')
    expect(error.message).toMatch(/no result within the 0\.4s deadline/)
    expect(error.message).toMatch(/may have been created anyway/)
    expect(elapsed).toBeGreaterThanOrEqual(380)
    expect(elapsed).toBeLessThan(1500)
    // The client destroyed its connection: the server sees it close.
    await expect.poll(() => sockets.size, { timeout: 1000 }).toBe(0)
    expect(
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length,
    ).toBeLessThanOrEqual(timersBefore)
  })

  it('waits for a POST past headersMs (the server may still store it), and never resends it', async () => {
    const error = await rejection(
      createVersion({
        ...base(),
        timeouts: { headersMs: 150, deadlineMs: 2_000 },
        retries: { attempts: 5, baseDelayMs: 10, maxDelayMs: 20 },
      }),
    )
    expect(error.code).toBe('API_TIMEOUT')
    expect(error.message).toMatch(/may have been created anyway/)
    expect(seenMethods.filter((m) => m === 'POST')).toHaveLength(1)
    await expect.poll(() => sockets.size, { timeout: 1000 }).toBe(0)
  })
})

/** A loopback URL whose port refuses connections. */
async function closedPortUrl(): Promise<string> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return `http://127.0.0.1:${port}/client/v4`
}
