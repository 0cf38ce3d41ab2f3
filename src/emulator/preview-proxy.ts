/** Forwards a request for a preview (see preview-origin.ts) to the Miniflare instance of its version. */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { RunningVersion } from '../workerd/workerd.js'

/** A streamed response, forwarded without buffering. */
export interface StreamReply {
  status: number
  headers: [string, string][]
  body: AsyncIterable<Uint8Array> | null
}

/** Connection-level headers belong to each hop, not to the forwarded request or response. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
])
/** Miniflare's entry Worker takes the request's URL from this header (its own socket is plain http). */
const ORIGINAL_URL = 'mf-original-url'

/**
 * Sends the request to workerd's own socket over HTTP, headers as the client sent them. (Miniflare's
 * `dispatchFetch` goes through fetch, which rewrites `Sec-Fetch-Mode` to `cors`: an SPA's deep link,
 * a navigation on Cloudflare, then got the 404 that only non-navigation requests get.) The response
 * body is streamed back still encoded, with its own length and encoding headers.
 */
export function forwardToVersion(
  running: RunningVersion,
  request: {
    method: string
    path: string
    search: string
    headers: IncomingHttpHeaders
    body: Buffer | undefined
    protocol: 'http:' | 'https:'
  },
): Promise<StreamReply> {
  const headers: [string, string][] = []
  for (const [name, value] of Object.entries(request.headers)) {
    if (
      value === undefined ||
      HOP_BY_HOP.has(name) ||
      name === 'content-length' ||
      name === ORIGINAL_URL
    )
      continue
    for (const v of Array.isArray(value) ? value : [value]) headers.push([name, v])
  }
  // The URL the client asked for, scheme included: over the emulator's TLS the Worker sees https.
  if (request.headers.host !== undefined)
    headers.push([
      ORIGINAL_URL,
      `${request.protocol}//${request.headers.host}${request.path}${request.search}`,
    ])
  const hasBody =
    request.method !== 'GET' && request.method !== 'HEAD' && request.body !== undefined
  if (hasBody) headers.push(['content-length', String(request.body!.length)])
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: running.url.hostname,
        port: running.url.port,
        method: request.method,
        path: request.path + request.search,
        headers: headers.flat(),
        agent: false,
      },
      (response) => {
        const out: [string, string][] = []
        const raw = response.rawHeaders
        for (let i = 0; i < raw.length; i += 2)
          if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) out.push([raw[i]!, raw[i + 1]!])
        resolve({ status: response.statusCode ?? 502, headers: out, body: response })
      },
    )
    outgoing.on('error', reject)
    outgoing.end(hasBody ? request.body : undefined)
  })
}
