import type { Emulator } from '../../src/emulator/index.js'

export const b64 = (text: string | Uint8Array): string => Buffer.from(text).toString('base64')

export interface Envelope<T = any> {
  success: boolean
  errors: { code: number; message: string; source?: { pointer: string } }[]
  messages: unknown[]
  result: T
  result_info?: Record<string, number>
}

/** A Worker whose response proves the text module import worked. */
export function helloBody(greeting = 'hello from a text module'): Record<string, any> {
  return {
    main_module: 'index.js',
    modules: [
      {
        name: 'index.js',
        content_type: 'application/javascript+module',
        content_base64: b64(
          `import greeting from './assets/greeting.txt'
export default {
  async fetch(request, env) {
    const url = new URL(request.url)
    const body = request.method === 'POST' ? await request.text() : null
    return Response.json({ greeting, path: url.pathname, search: url.search, method: request.method, body, plain: env.PLAIN ?? null, secret: env.SECRET ?? null, header: request.headers.get('x-test') })
  }
}
`,
        ),
      },
      { name: 'assets/greeting.txt', content_type: 'text/plain', content_base64: b64(greeting) },
      {
        name: 'index.js.map',
        content_type: 'application/source-map',
        content_base64: b64('{"version":3,"sources":[],"mappings":""}'),
      },
    ],
    compatibility_date: '2025-01-01',
  }
}

export function versionsPath(emu: Emulator, worker: string): string {
  return `${emu.url}/accounts/${emu.accountId}/workers/workers/${worker}/versions`
}

/** A JSON request with the emulator's token unless `headers` says otherwise. */
export async function api<T = any>(
  emu: Emulator,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${emu.token}` },
): Promise<{ status: number; headers: Headers; json: Envelope<T> }> {
  const init: RequestInit = {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
  }
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body)
  const response = await fetch(url, init)
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Envelope<T>,
  }
}
