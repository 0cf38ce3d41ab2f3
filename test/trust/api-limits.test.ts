// Smaller trust items of the API client: a Worker created meanwhile by a parallel first deploy
// (409) is used, an oversized answer is a definite failure that is never sent again, and
// `*.localhost` reaches loopback whatever the system resolver would say.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createVersion } from '../../src/api/create-version.js'
import { loopbackLookup } from '../../src/api/loopback-lookup.js'
import { createWorker } from '../../src/api/workers.js'
import type { VersionRequestBody } from '../../src/core/body.js'
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'
import { rejection } from '../helpers/rejection.js'

const body: VersionRequestBody = {
  main_module: 'index.js',
  compatibility_date: '2025-01-01',
  modules: [
    {
      name: 'index.js',
      content_type: 'application/javascript+module',
      content_base64: Buffer.from(
        'export default { fetch() { return new Response("ok") } }',
      ).toString('base64'),
    },
  ],
}

let emulator: Emulator | undefined
let server: Server | undefined
afterEach(async () => {
  await emulator?.close()
  emulator = undefined
  server?.closeAllConnections()
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  server = undefined
})

describe('concurrent first deploys', () => {
  it('six parallel Create Worker calls all go on with the one Worker (409 means it already exists)', async () => {
    emulator = await startEmulator({ preview: false, autoCreateWorkers: false })
    const ctx = {
      baseUrl: emulator.url,
      credentials: { apiToken: emulator.token },
      accountId: emulator.accountId,
      retries: { baseDelayMs: 10, maxDelayMs: 20 },
    }
    const made = await Promise.all(Array.from({ length: 6 }, () => createWorker(ctx, 'raced')))
    const stored = emulator.worker('raced')
    expect(stored).toBeDefined()
    expect(new Set(made.map((worker) => worker.id))).toEqual(new Set([stored!.id]))
    expect(
      emulator.requests.filter((r) => r.method === 'POST' && r.status === 409).length,
    ).toBeGreaterThan(0)
  })
})

describe('response bodies are capped', () => {
  async function serve(
    answer: (
      respond: (status: number, headers: Record<string, string>, chunks: Iterable<Buffer>) => void,
    ) => void,
  ): Promise<{ url: string; methods: string[] }> {
    const methods: string[] = []
    server = createServer((req, res) => {
      methods.push(req.method ?? '')
      // The versions list read before sending: no versions yet.
      if (req.method === 'GET')
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ success: true, errors: [], messages: [], result: [] }))
      req.resume()
      req.on('end', () =>
        answer((status, headers, chunks) => {
          res.writeHead(status, headers)
          for (const chunk of chunks) res.write(chunk)
          res.end()
        }),
      )
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`, methods }
  }

  const options = (baseUrl: string) => ({
    baseUrl,
    credentials: { apiToken: 'token-for-caps' },
    accountId: 'acc',
    worker: 'w',
    body,
    retries: { attempts: 5, baseDelayMs: 10, maxDelayMs: 20 },
    timeouts: { headersMs: 5_000, deadlineMs: 20_000 },
  })

  it('a 20 MiB error page with a content-length is not read, and the POST is not sent again', async () => {
    const page = Buffer.alloc(20 * 2 ** 20, 'x')
    const { url, methods } = await serve((respond) =>
      respond(500, { 'content-type': 'text/html', 'content-length': String(page.length) }, [page]),
    )
    const error = await rejection(createVersion(options(url)))
    expect(error.code).toBe('API_RESPONSE_TOO_LARGE')
    expect(error.message).toMatch(
      /HTTP 500 with a body of 20971520 bytes, over the 8 MiB a response may have/,
    )
    expect(error.message).toMatch(/not sending it again/)
    expect(methods).toEqual(['GET', 'POST'])
  })

  it('a streamed 200 answer past 8 MiB stops being read, and says the version may exist', async () => {
    const chunk = Buffer.alloc(2 ** 20, ' ')
    const { url, methods } = await serve((respond) =>
      respond(
        200,
        { 'content-type': 'application/json' },
        Array.from({ length: 12 }, () => chunk),
      ),
    )
    const error = await rejection(createVersion(options(url)))
    expect(error.code).toBe('API_RESPONSE_TOO_LARGE')
    expect(error.message).toMatch(/HTTP 200 with a body over the 8 MiB/)
    expect(error.message).toMatch(/may have taken effect/)
    expect(methods).toEqual(['GET', 'POST'])
  })
})

describe('*.localhost', () => {
  it('is answered with loopback, never looked up', async () => {
    const lookup = (host: string, options: { family?: number; all?: boolean }) =>
      new Promise<unknown>((resolve, reject) =>
        loopbackLookup(host, options, (error, address, family) =>
          error ? reject(error) : resolve(options.all ? address : { address, family }),
        ),
      )
    expect(await lookup('evil.localhost', {})).toEqual({ address: '127.0.0.1', family: 4 })
    expect(await lookup('A.B.LOCALHOST.', { family: 6 })).toEqual({ address: '::1', family: 6 })
    expect(await lookup('localhost', { all: true })).toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ])
  })

  it('an API base URL on evil.localhost reaches the emulator on 127.0.0.1', async () => {
    emulator = await startEmulator({ preview: false, autoCreateWorkers: true })
    const port = new URL(emulator.url).port
    const result = await createVersion({
      baseUrl: `${new URL(emulator.url).protocol}//evil.localhost:${port}/client/v4`,
      credentials: { apiToken: emulator.token },
      accountId: emulator.accountId,
      worker: 'via-localhost',
      body,
      timeouts: { connectMs: 2_000, deadlineMs: 10_000 },
      retries: { attempts: 1 },
    })
    expect(emulator.versions('via-localhost').map((v) => v.id)).toEqual([result.id])
  })
})
