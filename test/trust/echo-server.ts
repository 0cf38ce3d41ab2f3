// A hostile API on 127.0.0.1: every answer quotes the request back (body and
// headers, the Authorization header included), the way a misconfigured proxy
// or a debugging server would. Used to prove that nothing quoted leaves the client.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface EchoRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string>
  body: string
}

/** How to answer one request; it gets the request and the echo text to weave in. */
export type EchoReply = (
  req: EchoRequest,
  echo: string,
) => { status: number; headers?: Record<string, string>; body: string }

export interface EchoServer {
  url: string
  requests: EchoRequest[]
  /** Queue answers for POSTs and GETs; when a queue is empty a POST gets a 500 echo and a GET an empty list. A reply that throws cuts the connection. */
  reply(method: 'POST' | 'GET', ...replies: EchoReply[]): void
  close(): Promise<void>
}

/** The request as the echo carries it: headers, then the raw body. */
function echoOf(req: EchoRequest): string {
  return `headers=${JSON.stringify(req.headers)} body=${req.body}`
}

function envelopeError(code: number, echo: string, req: EchoRequest): string {
  return JSON.stringify({
    success: false,
    errors: [
      {
        code,
        message: `request was: ${echo}`,
        documentation_url: `https://developers.cloudflare.com/errors?auth=${encodeURIComponent(req.headers.authorization ?? '')}&body=${encodeURIComponent(req.body)}`,
        source: {
          pointer: `/bindings/0/text/${req.headers.authorization ?? ''}/${req.body.slice(0, 2000)}`,
        },
        extra: { headers: req.headers, body: req.body },
      },
    ],
    messages: [{ code: 1, message: echo }],
    result: { echo },
  })
}

export const json =
  (status: number, options: { retryAfter?: number } = {}): EchoReply =>
  (req, echo) => ({
    status,
    headers: {
      'content-type': 'application/json',
      ...(options.retryAfter !== undefined ? { 'retry-after': String(options.retryAfter) } : {}),
    },
    body: envelopeError(status === 429 ? 971 : 10021, echo, req),
  })

/**
 * An HTML error page whose Authorization header starts at character 180 of
 * the flattened text: an excerpt cut at 200 characters before redaction would
 * keep the first 20 characters of the token.
 */
export const html =
  (status: number): EchoReply =>
  (req, echo) => {
    const lead = `<html><body><h1>${status}</h1><p>`
    const pad = 'x'.repeat(180 - lead.length - 'Bearer '.length)
    return {
      status,
      headers: { 'content-type': 'text/html' },
      body: `${lead}${pad}${req.headers.authorization ?? ''} ${echo}</p></body></html>`,
    }
  }

/** A success whose `result` quotes the Authorization header and the bindings in every field it can. */
export const successEcho: EchoReply = (req, echo) => {
  let bindings: unknown = req.body
  try {
    bindings = (JSON.parse(req.body) as { bindings?: unknown }).bindings
  } catch {
    /* a non-JSON body is echoed as text */
  }
  const auth = req.headers.authorization ?? ''
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      success: true,
      errors: [],
      messages: [{ code: 0, message: echo }],
      result: {
        id: '0e7ad3c5-93e8-4ad7-8a2b-6d4e2a1f9c10',
        number: 1,
        created_on: new Date().toISOString(),
        urls: [
          `https://0e7ad3c5-w.example.workers.dev/?auth=${encodeURIComponent(auth)}`,
          `https://${auth.replace(/\s+/g, '-')}.example.workers.dev`,
        ],
        startup_time_ms: 3,
        main_module: 'index.js',
        annotations: {
          'workers/message': `deployed with ${auth}`,
          'workers/tag': JSON.stringify(bindings),
        },
        bindings,
        assets: { jwt: auth },
        echo,
      },
    }),
  }
}

export async function startEchoServer(): Promise<EchoServer> {
  const requests: EchoRequest[] = []
  const queues: Record<'POST' | 'GET', EchoReply[]> = { POST: [], GET: [] }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [
          k,
          Array.isArray(v) ? v.join(', ') : String(v),
        ]),
      )
      const record: EchoRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        body: Buffer.concat(chunks).toString(),
      }
      requests.push(record)
      const method = record.method === 'POST' ? 'POST' : 'GET'
      const reply = queues[method].shift() ?? (method === 'POST' ? json(500) : emptyList)
      let answer: ReturnType<EchoReply>
      try {
        answer = reply(record, echoOf(record))
      } catch {
        // A reply that throws stands for a connection cut after the request arrived.
        req.socket.destroy()
        return
      }
      res.writeHead(answer.status, { date: new Date().toUTCString(), ...answer.headers })
      res.end(answer.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/client/v4`,
    requests,
    reply: (method, ...replies) => queues[method].push(...replies),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A version list that holds nothing of ours, but quotes the request in its messages. */
export const emptyList: EchoReply = (_req, echo) => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    success: true,
    errors: [],
    messages: [{ code: 0, message: echo }],
    result: [],
  }),
})
