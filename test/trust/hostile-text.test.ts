// Values from the server reach the log, the error and the job summary: terminal escape sequences,
// bidirectional overrides and line breaks in them are shown escaped, a long value clipped, and a
// long list of URLs cut short (result.json keeps every one).
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import rollupPlugin from '../../src/rollup.js'
import { WORKER_FIXTURE, tempDir } from '../helpers/fixture.js'
import { type EchoReply, type EchoServer, startEchoServer } from './echo-server.js'

let server: EchoServer
beforeEach(async () => {
  server = await startEchoServer()
})
afterEach(async () => {
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
  await server.close()
})

const ok = (result: unknown): ReturnType<EchoReply> => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ success: true, errors: [], messages: [], result }),
})
const VERSION_ID = '0e7ad3c5-93e8-4ad7-8a2b-6d4e2a1f9c10'

/** The Worker exists, with no secrets and nothing deployed. */
const lookups: EchoReply = (req) => {
  if (req.path.endsWith('/secrets')) return ok([])
  if (req.path.endsWith('/deployments')) return ok({ deployments: [] })
  return ok({ id: 'hostile-text', name: 'hostile-text' })
}

/** Anything that drives a terminal or reorders text: ESC, other C0 and C1 controls, bidirectional controls. */
/** The plugin's own colour codes: `ESC [ … m`. */
// eslint-disable-next-line no-control-regex -- matching the escape character is the point
const SGR = /\x1b\[[0-9;]*m/g
const RAW_CONTROL =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

async function build(dir: string) {
  vi.stubEnv('GITHUB_OUTPUT', join(dir, 'github-output'))
  vi.stubEnv('GITHUB_STEP_SUMMARY', join(dir, 'summary.md'))
  const lines: string[] = []
  vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)))
  vi.spyOn(console, 'warn').mockImplementation((line: unknown) => void lines.push(String(line)))
  const bundle = await rollup({
    input: join(WORKER_FIXTURE, 'src/index.js'),
    plugins: [
      rollupPlugin({
        worker: 'hostile-text',
        upload: true,
        apiToken: 'token-hostile-text',
        accountId: 'acc',
        apiBaseUrl: server.url,
        outputDir: join(dir, '.workers-version'),
        gitAnnotations: false,
        preflight: false,
        network: { retries: { attempts: 1, baseDelayMs: 10, maxDelayMs: 20 } },
        version: { compatibility_date: '2025-01-01' },
      }),
    ],
  })
  try {
    await bundle.write({ dir: join(dir, 'dist'), format: 'es' })
    return lines
  } finally {
    await bundle.close()
  }
}

describe('server text in the log, the error and the job summary', () => {
  it('5,000 preview URLs, one with a bidirectional override and one of 10 KB: a few lines, escaped and clipped; result.json keeps all', async () => {
    const dir = await tempDir('hostile-text-urls')
    const urls = Array.from({ length: 5000 }, (_, i) => `https://v${i}.example.workers.dev/`)
    urls[0] = 'https://a.example.workers.dev/\u202Egnp.exe'
    urls[1] = `https://b.example.workers.dev/${'x'.repeat(10_000)}`
    for (let i = 0; i < 8; i++) server.reply('GET', lookups)
    server.reply('POST', () =>
      ok({ id: VERSION_ID, number: 1, created_on: new Date().toISOString(), urls }),
    )
    const lines = await build(dir)

    // The plugin's own colour codes (SGR, on when CI is set) are its own; nothing else may drive the terminal.
    for (const line of lines) expect(line.replace(SGR, '')).not.toMatch(RAW_CONTROL)
    const urlLines = lines.filter((line) => line.includes('.workers.dev/'))
    expect(urlLines).toHaveLength(5)
    expect(urlLines[0]).toContain('https://a.example.workers.dev/\\u202egnp.exe')
    expect(urlLines[1]!.length).toBeLessThan(300)
    expect(urlLines[1]).toContain('… (10,030 characters)')
    expect(lines.some((line) => line.includes('… and 4,995 more, all in result.json'))).toBe(true)

    const summary = await readFile(join(dir, 'summary.md'), 'utf8')
    expect(summary).not.toMatch(RAW_CONTROL)
    expect(
      summary.split('\n').filter((line) => line.startsWith('| Version preview URL |')),
    ).toHaveLength(5)
    expect(summary).toContain('| … | and 4,995 more URLs, all in result.json |')
    expect(summary.length).toBeLessThan(3000)

    const result = JSON.parse(
      await readFile(join(dir, '.workers-version/result.json'), 'utf8'),
    ) as { result: { urls: string[] } }
    expect(result.result.urls).toEqual(urls)
  })

  it("an error's message with OSC and CSI sequences, a bidirectional override and a line break is quoted escaped on one line", async () => {
    const dir = await tempDir('hostile-text-error')
    for (let i = 0; i < 8; i++) server.reply('GET', lookups)
    const message =
      'bad\u001b]8;;https://evil.example/\u0007click\u001b]8;;\u0007 \u001b[2J\u001b[1;1H\u202Eevil\n::error title=Injected::x\r\u009b31m'
    server.reply('POST', () => ({
      status: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        success: false,
        errors: [
          { code: 10021, message, documentation_url: 'https://d.example/\u001b]0;title\u0007' },
        ],
        messages: [],
        result: null,
      }),
    }))
    const failure = await build(dir).then(
      () => undefined,
      (error: unknown) => error as Error,
    )
    expect(failure).toBeInstanceOf(Error)
    expect(failure!.message).not.toMatch(RAW_CONTROL)
    expect(failure!.message.split('\n').some((line) => line.startsWith('::error'))).toBe(false)
    expect(failure!.message).toContain(
      'bad\\x1b]8;;https://evil.example/\\x07click\\x1b]8;;\\x07 \\x1b[2J\\x1b[1;1H\\u202eevil\\x0a::error title=Injected::x\\x0d\\x9b31m [code 10021]',
    )
    expect(failure!.message).toContain('see https://d.example/\\x1b]0;title\\x07')
  })
})
