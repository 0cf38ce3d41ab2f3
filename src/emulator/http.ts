/** Small node:http helpers: bounded body reading, header redaction, replies. */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'

export interface ReadBody {
  /** `undefined` when the body exceeded the limit (it was drained, not kept). */
  bytes: Buffer | undefined
  size: number
  /** The client went away before the body ended. */
  aborted: boolean
}

/**
 * Reads the body, up to `limit` bytes: past it, reading stops and `bytes` is undefined (the caller
 * answers 413 and closes the connection), so a stream without end costs no more than the limit.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<ReadBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limit) return void chunks.push(chunk)
      chunks.length = 0
      req.off('data', onData)
      req.pause()
      resolve({ bytes: undefined, size, aborted: false })
    }
    req.on('data', onData)
    req.on('end', () =>
      resolve({ bytes: size <= limit ? Buffer.concat(chunks) : undefined, size, aborted: false }),
    )
    req.on('error', () => resolve({ bytes: undefined, size, aborted: true }))
    req.on('close', () => {
      if (!req.complete) resolve({ bytes: undefined, size, aborted: true })
    })
  })
}

const SECRET_HEADERS = new Set(['authorization', 'x-auth-key', 'cookie', 'proxy-authorization'])

/** Header values flattened to strings, with credentials replaced: recorded requests end up in test output. */
export function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    out[name] = SECRET_HEADERS.has(name)
      ? '[REDACTED]'
      : Array.isArray(value)
        ? value.join(', ')
        : value
  }
  return out
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}

export function sendText(
  res: ServerResponse,
  status: number,
  contentType: string,
  text: string,
): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/** Parses JSON if it can; recorded requests keep the raw text otherwise. */
export function decodeBody(bytes: Buffer | undefined): {
  json?: unknown
  text?: string
  invalid: boolean
} {
  if (bytes === undefined || bytes.length === 0) return { invalid: false }
  const text = bytes.toString('utf8')
  try {
    return { json: JSON.parse(text) as unknown, text, invalid: false }
  } catch {
    return { text, invalid: true }
  }
}
