/**
 * What the emulator refuses before it reads a body, so that no web page can drive it: a page that
 * rebinds its own name to 127.0.0.1 sends that name as `Host`; it cannot know the token, which is
 * random for each run; and it cannot make the emulator hold large bodies it has not authenticated.
 */
import { connect, type Socket } from 'node:net'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Emulator } from '../../src/emulator/index.js'
import { startEmulator } from '../helpers/emulator.js'

let emu: Emulator
const MAX_BODY = 64 * 1024
beforeAll(async () => {
  // Plain http: the requests below are written byte by byte on a socket.
  emu = await startEmulator({ tls: false, preview: false, maxBodyBytes: MAX_BODY })
})
afterAll(() => emu?.close())

const workersPath = () => `/client/v4/accounts/${emu.accountId}/workers/workers`

/** A raw HTTP/1.1 exchange: the request head, then a body written in pieces that never ends. */
interface RawExchange {
  socket: Socket
  /** Resolves with the answer's status line and headers, as soon as they arrive. */
  head: Promise<string>
  /** Bytes of body this client has handed to its socket so far. */
  sent: () => number
}

function open(
  head: string,
  { chunked = false } = {},
): RawExchange & { write: (bytes: number) => void } {
  const socket = connect(Number(new URL(emu.origin).port), '127.0.0.1')
  let received = ''
  let sent = 0
  const answered = new Promise<string>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
      const end = received.indexOf('\r\n\r\n')
      if (end >= 0) resolve(received.slice(0, end))
    })
    socket.on('error', (error) => (received.includes('\r\n\r\n') ? undefined : reject(error)))
    socket.on('close', () =>
      reject(new Error(`closed before an answer: ${JSON.stringify(received)}`)),
    )
  })
  socket.write(head)
  const write = (bytes: number) => {
    if (!socket.writable) return
    const piece = Buffer.alloc(bytes, 0x61)
    // A chunk of a chunked body: its size in hex, the bytes, CRLF.
    socket.write(
      chunked
        ? Buffer.concat([Buffer.from(`${bytes.toString(16)}\r\n`), piece, Buffer.from('\r\n')])
        : piece,
    )
    sent += bytes
  }
  return { socket, head: answered, sent: () => sent, write }
}

/** Writes `chunk` bytes at a time until the answer comes (at most 64 pieces); the body is never finished. */
async function sendUntilAnswered(
  exchange: ReturnType<typeof open>,
  chunk: number,
): Promise<string> {
  let answer: string | undefined
  exchange.head.then(
    (head) => (answer = head),
    () => undefined,
  )
  for (let i = 0; i < 64 && answer === undefined; i++) {
    exchange.write(chunk)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return exchange.head
}

describe('Host', () => {
  it('a request addressed to another name (a DNS-rebinding page) is refused with 421 before anything else, and creates nothing', async () => {
    const from = emu.requests.length
    for (const host of [
      'evil.example',
      `evil.example:${new URL(emu.origin).port}`,
      'localhost.evil.example',
      '127.0.0.1.nip.io',
      'localhost:80@evil.example',
    ]) {
      // undici's request, not fetch: fetch sets Host itself, as a browser does (from the page's own name).
      const response = await request(`${emu.url}/accounts/${emu.accountId}/workers/workers`, {
        method: 'POST',
        headers: { host, authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'rebound' }),
      })
      expect(response.statusCode, host).toBe(421)
      expect(
        ((await response.body.json()) as { errors: Array<{ message: string }> }).errors[0]!.message,
      ).toMatch(/127\.0\.0\.1, \[::1\], localhost or a \*\.localhost name/)
    }
    expect(emu.worker('rebound')).toBeUndefined()
    expect(emu.requests.slice(from).every((r) => r.status === 421 && r.body === undefined)).toBe(
      true,
    )
    // The Worker routes and Preview origins too.
    expect(
      (await request(`${emu.origin}/workers/anything/`, { headers: { host: 'evil.example' } }))
        .statusCode,
    ).toBe(421)
  })

  it('a request without a Host header is refused', async () => {
    const exchange = open(
      `GET ${workersPath()} HTTP/1.0\r\nAuthorization: Bearer ${emu.token}\r\n\r\n`,
    )
    expect(await exchange.head).toMatch(/^HTTP\/1\.1 421 /)
    exchange.socket.destroy()
  })

  it('loopback names are served: 127.0.0.1, [::1], localhost and *.localhost, with or without a port', async () => {
    const port = new URL(emu.origin).port
    for (const host of [
      `127.0.0.1:${port}`,
      '127.0.0.1',
      `localhost:${port}`,
      'LOCALHOST',
      `[::1]:${port}`,
      `api.localhost:${port}`,
      `ab12cd34-my-worker.localhost:${port}`,
    ]) {
      const response = await request(`${emu.url}/accounts/${emu.accountId}/workers/workers`, {
        headers: { host, authorization: `Bearer ${emu.token}` },
      })
      await response.body.dump()
      expect(response.statusCode, host).toBe(200)
    }
  })
})

describe('the token', () => {
  it('is random for each run unless one is given, and the old fixed default opens nothing', async () => {
    const other = await startEmulator({ preview: false })
    try {
      expect(emu.token).not.toBe(other.token)
      for (const token of [emu.token, other.token]) expect(token).toMatch(/^[A-Za-z0-9_-]{32,}$/)
      const list = (token: string) =>
        fetch(`${other.url}/accounts/${other.accountId}/workers/workers`, {
          headers: { authorization: `Bearer ${token}` },
        })
      expect((await list(other.token)).status).toBe(200)
      expect((await list('local-dev-token')).status).toBe(401)
      expect((await list(emu.token)).status).toBe(401)
    } finally {
      await other.close()
    }
    const given = await startEmulator({ preview: false, token: 'my-own-token' })
    expect(given.token).toBe('my-own-token')
    await given.close()
  })

  it('an unauthenticated POST declaring 99 MB is answered 401 while its client is still sending, and none of its body is kept', async () => {
    const from = emu.requests.length
    const exchange = open(
      `POST ${workersPath()} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${99 * 1000 * 1000}\r\n\r\n`,
    )
    const head = await sendUntilAnswered(exchange, 16 * 1024)
    expect(head).toMatch(/^HTTP\/1\.1 401 /)
    expect(head.toLowerCase()).toContain('connection: close')
    // Answered after at most a few pieces of the 99 MB: the server did not wait for the body.
    expect(exchange.sent()).toBeLessThan(2 * 1024 * 1024)
    exchange.socket.destroy()
    const [recorded] = emu.requests.slice(from)
    expect(recorded).toMatchObject({ method: 'POST', status: 401, body: undefined })
  })

  it('an unauthenticated chunked stream is answered 401 without waiting for its end', async () => {
    const exchange = open(
      `POST ${workersPath()} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      { chunked: true },
    )
    expect(await sendUntilAnswered(exchange, 4096)).toMatch(/^HTTP\/1\.1 401 /)
    exchange.socket.destroy()
  })

  it('the assets upload checks its upload token before reading the bucket', async () => {
    const exchange = open(
      `POST /client/v4/accounts/${emu.accountId}/workers/assets/upload?base64=true HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer not-an-upload-token\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: ${50 * 1000 * 1000}\r\n\r\n`,
    )
    expect(await sendUntilAnswered(exchange, 16 * 1024)).toMatch(/^HTTP\/1\.1 401 /)
    exchange.socket.destroy()
  })
})

describe('body bounds', () => {
  it('an authenticated request declaring more than the limit is answered 413 before its body is read', async () => {
    const from = emu.requests.length
    const exchange = open(
      `POST ${workersPath()} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${emu.token}\r\nContent-Type: application/json\r\nContent-Length: ${MAX_BODY * 100}\r\n\r\n`,
    )
    expect(await sendUntilAnswered(exchange, 1024)).toMatch(/^HTTP\/1\.1 413 /)
    expect(exchange.sent()).toBeLessThan(MAX_BODY)
    exchange.socket.destroy()
    expect(emu.requests.slice(from)[0]).toMatchObject({ status: 413, body: undefined })
  })

  it('an authenticated chunked stream is answered 413 once it passes the limit, without waiting for its end', async () => {
    const exchange = open(
      `POST ${workersPath()} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${emu.token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      { chunked: true },
    )
    expect(await sendUntilAnswered(exchange, 16 * 1024)).toMatch(/^HTTP\/1\.1 413 /)
    // The limit plus what was in flight: the stream had no end, and the answer came anyway.
    expect(exchange.sent()).toBeLessThan(MAX_BODY * 8)
    exchange.socket.destroy()
  })

  it('a small refused body is read and thrown away, so its client gets the answer on the same connection', async () => {
    const response = await fetch(`${emu.url}/accounts/${emu.accountId}/workers/workers`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(10_000) }),
    })
    expect(response.status).toBe(401)
  })
})
