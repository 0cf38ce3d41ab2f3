// No secret in any output, at the plugin: a whole build against a server that quotes every request back.
// Nothing the build prints, writes or throws may carry the token, a secret_text or a fromEnv value.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { rollup } from 'rollup'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import rollupPlugin from '../../src/rollup.js'
import { WORKER_FIXTURE, tempDir } from '../helpers/fixture.js'
import {
  json,
  startEchoServer,
  successEcho,
  type EchoReply,
  type EchoServer,
} from './echo-server.js'

const TOKEN = 'canary-token-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a'
const SECRET_TEXT = 'canary-secret-text-Q9w8E7r6T5y4'
const FROM_ENV = 'canary-from-env-Z1x2C3v4B5n6'
const CANARIES = [TOKEN, SECRET_TEXT, FROM_ENV]

let server: EchoServer
beforeAll(async () => {
  server = await startEchoServer()
})
afterAll(async () => {
  await server.close()
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
})

/** GETs answered by what they ask for, each quoting the request back in every field. */
const lookups: EchoReply = (req, echo) => {
  const result = req.path.endsWith('/secrets')
    ? [{ name: 'OLD', type: 'secret_text', echo }]
    : { id: 'canary-worker', name: 'canary-worker', echo }
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      success: true,
      errors: [],
      messages: [{ code: 0, message: echo }],
      result,
    }),
  }
}

async function build(dir: string) {
  vi.stubEnv('CANARY_FROM_ENV', FROM_ENV)
  vi.stubEnv('GITHUB_OUTPUT', join(dir, 'github-output'))
  const bundle = await rollup({
    input: join(WORKER_FIXTURE, 'src/index.js'),
    plugins: [
      rollupPlugin({
        worker: 'canary-worker',
        upload: true,
        logLevel: 'info',
        apiToken: TOKEN,
        accountId: 'canary-account',
        apiBaseUrl: server.url,
        outputDir: join(dir, '.workers-version'),
        gitAnnotations: false,
        network: { retries: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 } },
        secrets: { fromEnv: ['CANARY_FROM_ENV'] },
        version: {
          compatibility_date: '2025-01-01',
          bindings: [{ type: 'secret_text', name: 'SECRET', text: SECRET_TEXT }],
        },
        onVersion: (version) => void writtenByOnVersion.push(JSON.stringify(version)),
      }),
    ],
  })
  await bundle.write({ dir: join(dir, 'dist'), format: 'es' })
}
const writtenByOnVersion: string[] = []

/** Everything that left the build: console lines, every file it wrote, and the error. */
async function leaked(dir: string, error: unknown, printed: string[]): Promise<string[]> {
  const outputs = [
    ...printed,
    ...writtenByOnVersion,
    error === undefined ? '' : inspect(error, { depth: Infinity, showHidden: true }),
  ]
  const files = await readdir(dir, { recursive: true, withFileTypes: true })
  for (const file of files)
    if (file.isFile()) outputs.push(await readFile(join(file.parentPath, file.name), 'utf8'))
  return CANARIES.filter((canary) =>
    outputs.some((text) => text.includes(canary) || text.includes(canary.slice(0, 12))),
  )
}

function captureConsole(): string[] {
  const printed: string[] = []
  for (const method of ['log', 'warn', 'error', 'info'] as const) {
    vi.spyOn(console, method).mockImplementation(
      (...args: unknown[]) => void printed.push(args.map(String).join(' ')),
    )
  }
  vi.spyOn(process.stderr, 'write').mockImplementation(
    (chunk: unknown) => (printed.push(String(chunk)), true),
  )
  return printed
}

describe('no canary leaves a build', () => {
  it('a 200 that echoes the token and the bindings', async () => {
    const dir = await tempDir('plugin-canary-200')
    server.reply('GET', lookups, lookups)
    server.reply('POST', successEcho)
    const printed = captureConsole()
    const error = await build(dir).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeUndefined()
    expect(await readFile(join(dir, '.workers-version/result.json'), 'utf8')).toContain(
      '0e7ad3c5-93e8-4ad7-8a2b-6d4e2a1f9c10',
    )
    expect(await leaked(dir, error, printed)).toEqual([])
  })

  for (const [name, reply] of [
    ['400', json(400)],
    ['500', json(500)],
    ['429', json(429, { retryAfter: 0 })],
  ] as const) {
    it(`a ${name} that quotes the request in its errors, and the thrown error`, async () => {
      const dir = await tempDir(`plugin-canary-${name}`)
      server.reply('GET', lookups, lookups)
      server.reply('POST', reply, reply, reply)
      const printed = captureConsole()
      const error = await build(dir).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(Error)
      expect(await leaked(dir, error, printed)).toEqual([])
    })
  }
})
