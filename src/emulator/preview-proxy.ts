/** Serves `/preview/<version-id>/…` by forwarding to that version's Miniflare instance. */
import type { IncomingHttpHeaders } from 'node:http'
import type { RunningVersion } from './workerd.js'

export const PREVIEW_PREFIX = '/preview/'

/** A streamed response, forwarded without buffering. */
export interface StreamReply {
  status: number
  headers: [string, string][]
  body: AsyncIterable<Uint8Array> | null
}

/** Splits `/preview/<id>/rest` into the id and the path the Worker sees (`/rest`). */
export function parsePreviewPath(pathname: string): { id: string; path: string } | undefined {
  if (!pathname.startsWith(PREVIEW_PREFIX)) return undefined
  const rest = pathname.slice(PREVIEW_PREFIX.length)
  const slash = rest.indexOf('/')
  const id = slash < 0 ? rest : rest.slice(0, slash)
  if (id === '') return undefined
  return { id, path: slash < 0 ? '/' : rest.slice(slash) }
}

/** Connection-level headers belong to each hop, not to the forwarded request or response. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'te', 'trailer', 'proxy-connection'])
/** fetch already decoded the body, so its encoding and length no longer apply. */
const DECODED = new Set(['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'keep-alive'])

export async function forwardToVersion(
  running: RunningVersion,
  request: { method: string; path: string; search: string; headers: IncomingHttpHeaders; body: Buffer | undefined },
): Promise<StreamReply> {
  const headers: [string, string][] = []
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue
    for (const v of Array.isArray(value) ? value : [value]) headers.push([name, v])
  }
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== undefined
  const response = await running.mf.dispatchFetch(new URL(request.path + request.search, 'http://localhost/'), {
    method: request.method,
    headers,
    body: hasBody ? request.body : undefined,
    redirect: 'manual',
  })
  const out: [string, string][] = []
  for (const [name, value] of response.headers) {
    if (DECODED.has(name) || name === 'set-cookie') continue
    out.push([name, value])
  }
  for (const cookie of response.headers.getSetCookie()) out.push(['set-cookie', cookie])
  return { status: response.status, headers: out, body: response.body as AsyncIterable<Uint8Array> | null }
}
