// No secret ever leaves createVersion. A canary token, a canary
// `secret_text` and a canary `fromEnv` value go to a server that quotes the
// request back in every answer; nothing that leaves the client (the thrown
// error inspected in full, the result, every log line, the summary lines and
// GITHUB_OUTPUT) may contain any of them, nor a 10-character piece of one.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { inspect } from 'node:util'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createVersion, type CreateVersionOptions } from '../../src/api/create-version.js'
import { formatVersionResult } from '../../src/api/result.js'
import { writeCiOutputs } from '../../src/report/ci-outputs.js'
import type { VersionRequestBody } from '../../src/core/body.js'
import { REDACTION, Redactor, redactorFor } from '../../src/core/redact.js'
import { secretBindings } from '../../src/options/secrets.js'
import {
  type EchoServer,
  emptyList,
  html,
  json,
  startEchoServer,
  successEcho,
} from './echo-server.js'

const TOKEN = 'cnryTOKEN-7Q2mX9vL4pR8sT1wZ6'
// A quote, a backslash and HTML characters: the echo carries it JSON-escaped and URL-encoded too.
const SECRET_TEXT = 'cnrySECRET-K3j"9\\q<b>&Lm4Vx'
const FROM_ENV = 'cnryFROMENV-5Hq8Zt2Wn6YbR0'
const CANARIES = [TOKEN, SECRET_TEXT, FROM_ENV]

/** Every form a canary could take in output: raw, inside JSON text, URL-encoded (also as JSON text). */
const FORMS = CANARIES.flatMap((c) => {
  const inJson = JSON.stringify(c).slice(1, -1)
  return [c, inJson, encodeURIComponent(c), encodeURIComponent(inJson)]
})

/** The 10-character windows of every form: a truncated echo must not keep a piece either. */
const FRAGMENTS = [
  ...new Set(
    FORMS.flatMap((form) =>
      Array.from({ length: Math.max(1, form.length - 9) }, (_, i) => form.slice(i, i + 10)),
    ),
  ),
]

function leaks(text: string): string[] {
  return FRAGMENTS.filter((fragment) => text.includes(fragment))
}

function body(): VersionRequestBody {
  return {
    main_module: 'index.js',
    compatibility_date: '2025-01-01',
    annotations: { 'workers/message': 'canary build' },
    bindings: [
      { type: 'plain_text', name: 'GREETING', text: 'hello' },
      { type: 'secret_text', name: 'API_SECRET', text: SECRET_TEXT },
      // `fromEnv` read from the environment, as the upload does.
      ...secretBindings(
        { fromEnv: ['CANARY_FROM_ENV'] },
        { CANARY_FROM_ENV: FROM_ENV },
        { forUpload: true },
      ),
    ],
    modules: [
      {
        name: 'index.js',
        content_type: 'application/javascript+module',
        content_base64: Buffer.from('export default {}').toString('base64'),
      },
    ],
  }
}

let server: EchoServer
let logs: string[]

beforeEach(async () => {
  server = await startEchoServer()
  logs = []
})
afterEach(async () => {
  await server.close()
})

function options(overrides: Partial<CreateVersionOptions> = {}): CreateVersionOptions {
  return {
    baseUrl: server.url,
    credentials: { apiToken: TOKEN },
    accountId: 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5',
    worker: 'canary-worker',
    body: body(),
    retries: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
    timeouts: { deadlineMs: 20_000 },
    log: (line) => logs.push(line),
    ...overrides,
  }
}

/** Every way a thrown error is looked at: message, stack, String, util.inspect in full, JSON. */
function everythingAbout(error: unknown): string {
  return [
    String(error),
    (error as Error).message,
    String((error as Error).stack),
    inspect(error, { depth: Infinity, showHidden: true, getters: true }),
    inspect(error, { depth: Infinity }),
    JSON.stringify(error),
    JSON.stringify((error as { errors?: unknown }).errors),
  ].join('\n')
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected createVersion to fail')
}

/** The server really got the canaries: the test is not passing because nothing was echoed. */
function expectCanariesSent(): void {
  const first = server.requests.find((r) => r.method === 'POST')!
  expect(first.headers.authorization).toBe(`Bearer ${TOKEN}`)
  expect(first.body).toContain(JSON.stringify(SECRET_TEXT).slice(1, -1))
  expect(first.body).toContain(FROM_ENV)
}

function expectClean(output: string): void {
  expect(leaks(output)).toEqual([])
  expect(output).toContain(REDACTION)
}

describe('no canary leaves createVersion', () => {
  it('400 JSON echo: the rejected error, its errors[], documentation_url and source.pointer', async () => {
    server.reply('POST', json(400))
    const error = await failure(createVersion(options()))
    expectCanariesSent()
    expect((error as { code?: string }).code).toBe('API_ERROR')
    const errors = (
      error as unknown as {
        errors: { documentation_url?: string; source?: { pointer?: string } }[]
      }
    ).errors
    expect(errors[0]!.documentation_url).toContain(REDACTION)
    expect(errors[0]!.source?.pointer).toContain(REDACTION)
    expectClean(everythingAbout(error) + logs.join('\n'))
  })

  it('an error that quotes the token transformed (base64, hex, upper-cased, its first 13 characters): none of it survives', async () => {
    const transformed = [
      Buffer.from(`Bearer ${TOKEN}`).toString('base64'),
      Buffer.from(TOKEN).toString('base64url'),
      Buffer.from(TOKEN).toString('hex').toUpperCase(),
      TOKEN.toUpperCase(),
      TOKEN.slice(0, 13),
      TOKEN.slice(-12),
    ]
    server.reply('POST', () => ({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        success: false,
        errors: [{ code: 10000, message: `bad auth: ${transformed.join(' | ')}` }],
        messages: [],
        result: null,
      }),
    }))
    // No redactor passed: the client's own one knows the token as a credential, fragments included.
    const error = await failure(createVersion(options()))
    const seen = everythingAbout(error) + logs.join('\n')
    for (const form of transformed) expect(seen).not.toContain(form)
    expect(error.message).toContain(REDACTION)
  })

  it('500 JSON echo until the retries run out: the lookups, the log lines and the final error', async () => {
    server.reply('POST', json(500), json(500))
    const error = await failure(createVersion(options()))
    expectCanariesSent()
    expect(server.requests.filter((r) => r.method === 'GET').length).toBeGreaterThan(0)
    expect(logs.length).toBeGreaterThan(0)
    expectClean(everythingAbout(error) + logs.join('\n'))
  })

  it('500 JSON echo, then a version list that fails with an echo: the "outcome unknown" error', async () => {
    server.reply('POST', json(500))
    // The first GET is the read before sending (answered: no versions yet); the lookups after the 500 fail.
    server.reply('GET', emptyList, json(500), json(500), json(500))
    const error = await failure(
      createVersion(options({ retries: { attempts: 3, baseDelayMs: 5, maxDelayMs: 10 } })),
    )
    expect((error as { code?: string }).code).toBe('API_OUTCOME_UNKNOWN')
    expectClean(everythingAbout(error) + logs.join('\n'))
  })

  it('429 echo in the retry log line, then a 200 whose result echoes the Authorization header and the bindings', async () => {
    server.reply('POST', json(429, { retryAfter: 0 }), successEcho)
    const result = await createVersion(options())
    expectCanariesSent()
    expect(logs.some((line) => line.includes('HTTP 429'))).toBe(true)
    expect(result.id).toBe('0e7ad3c5-93e8-4ad7-8a2b-6d4e2a1f9c10')
    // Only the fields the plugin uses are kept: no echoed bindings, no assets JWT.
    expect(Object.keys(result).sort()).toEqual([
      'annotations',
      'created_on',
      'id',
      'main_module',
      'number',
      'startup_time_ms',
      'urls',
    ])

    const dir = await mkdtemp(join(tmpdir(), 'canary-'))
    try {
      const outputFile = join(dir, 'github-output')
      await writeCiOutputs(outputFile, result, new Redactor())
      const written = await readFile(outputFile, 'utf8')
      const summary = formatVersionResult(result, 1234).join('\n')
      expect(summary).toContain('preview URLs:')
      expectClean(
        [
          logs.join('\n'),
          JSON.stringify(result),
          inspect(result, { depth: Infinity }),
          summary,
          written,
        ].join('\n'),
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('HTML echo pages: the excerpt is cut after redaction, so no piece of the token survives the cut', async () => {
    server.reply('POST', html(502), html(502))
    const retried = await failure(createVersion(options()))
    expect(retried.message).toMatch(/not JSON: /)
    server.reply('POST', html(403))
    const rejected = await failure(createVersion(options()))
    expect(rejected.message).toMatch(/HTTP 403/)
    expectClean([everythingAbout(retried), everythingAbout(rejected), logs.join('\n')].join('\n'))
  })

  it('a streamed body with the run’s redactor: secrets the client never parsed are still kept out', async () => {
    const streamed = body()
    const redactor = redactorFor({ credentials: { apiToken: TOKEN }, bindings: streamed.bindings })
    const stream = () => Readable.from([Buffer.from(JSON.stringify(streamed))])
    server.reply('POST', json(400))
    const error = await failure(createVersion(options({ body: stream, redactor })))
    server.reply('POST', successEcho)
    const result = await createVersion(options({ body: stream, redactor }))
    expectCanariesSent()
    expectClean(
      [
        everythingAbout(error),
        JSON.stringify(result),
        inspect(result, { depth: Infinity }),
        logs.join('\n'),
      ].join('\n'),
    )
  })

  it('a network failure after the request was sent: the error and its cause', async () => {
    // The connection is cut once the body is in: the outcome is unknown, the lookup then finds nothing.
    server.reply('POST', () => {
      throw new Error('cut')
    })
    const error = await failure(createVersion(options({ retries: { attempts: 1 } })))
    expect((error as { code?: string }).code).toBe('API_NETWORK_ERROR')
    expect(error.cause).toBeInstanceOf(Error)
    expect(leaks(everythingAbout(error) + logs.join('\n'))).toEqual([])
  })
})
