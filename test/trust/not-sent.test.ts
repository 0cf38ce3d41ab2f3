// A request that never reached the server is not an "unknown
// outcome". It fails at once, says what to fix, and looks nothing up.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createVersion, type CreateVersionOptions } from '../../src/api/create-version.js'
import { WorkersVersionError } from '../../src/core/errors.js'

let server: Server
let port: number
/** Every HTTP request the server parsed, and every connection it saw. */
const requests: string[] = []
let connections = 0
let logs: string[]

beforeEach(async () => {
  requests.length = 0
  connections = 0
  logs = []
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    res
      .writeHead(500, { 'content-type': 'application/json' })
      .end('{"success":false,"errors":[],"messages":[],"result":null}')
  })
  server.on('connection', () => connections++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterEach(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

function options(overrides: Partial<CreateVersionOptions>): CreateVersionOptions {
  return {
    baseUrl: `http://127.0.0.1:${port}/client/v4`,
    credentials: { apiToken: 'token-abcdef-123456' },
    accountId: 'local-account',
    worker: 'my-worker',
    body: {
      main_module: 'index.js',
      modules: [
        { name: 'index.js', content_type: 'application/javascript+module', content_base64: '' },
      ],
    },
    retries: { attempts: 5, baseDelayMs: 10, maxDelayMs: 20 },
    log: (line) => logs.push(line),
    ...overrides,
  }
}

async function failure(promise: Promise<unknown>): Promise<WorkersVersionError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(WorkersVersionError)
    return error as WorkersVersionError
  }
  throw new Error('expected a failure')
}

describe('failures that never reached the server', () => {
  it('a token with a line break in it: a clear error naming the option, never the token', async () => {
    const token = 'token-abcdef\r\nX-Injected: 1'
    const error = await failure(createVersion(options({ credentials: { apiToken: token } })))
    expect(error.code).toBe('INVALID_CREDENTIALS')
    expect(error.message).toMatch(
      /API token \(`apiToken` \/ CLOUDFLARE_API_TOKEN\) contains a carriage return/,
    )
    expect(error.message).not.toContain('token-abcdef')
    expect(connections).toBe(0)
    expect(logs).toEqual([])
  })

  it('a header the HTTP stack refuses before sending: fails at once, no retry, no lookup', async () => {
    const error = await failure(createVersion(options({ userAgent: 'build\r\nX-Injected: 1' })))
    expect(error.code).toBe('API_NOT_SENT')
    expect(error.message).toMatch(/was not sent: the request was refused before sending/)
    expect(error.message).not.toMatch(/may have created|unknown/i)
    expect(requests).toEqual([])
    expect(logs).toEqual([])
  })

  it('https to a plain-http port: the TLS handshake fails, and the error says so at once', async () => {
    const error = await failure(
      createVersion(options({ baseUrl: `https://127.0.0.1:${port}/client/v4` })),
    )
    expect(error.code).toBe('API_NOT_SENT')
    expect(error.message).toMatch(
      new RegExp(
        `TLS handshake with 127\\.0\\.0\\.1:${port} failed \\(ERR_SSL_[A-Z_]+\\); nothing was sent`,
      ),
    )
    expect(error.message).toMatch(/use http:\/\/ for a local emulator/)
    // One handshake, no resend, no version lookup: the server never parsed an HTTP request.
    expect(requests).toEqual([])
    expect(connections).toBe(1)
    expect(logs).toEqual([])
  })
})
