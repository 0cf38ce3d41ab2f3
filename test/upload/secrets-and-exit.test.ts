import { execFile } from 'node:child_process'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REDACTION } from '../../src/core/redact.js'
import { startEmulator, caEnvironment } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'
import { WORKER_FIXTURE, tempDir } from '../helpers/fixture.js'

// Runs a real user build in its own process (the published dist entry), so that stdout,
// stderr, files and the exit code are exactly what a CI log would show.
const CANARY_TOKEN = 'canary-token-7f3a9c1e5b'
const CANARY_ENV_SECRET = 'canary-env-secret-91d2e8'
const CANARY_INLINE_SECRET = 'canary-inline-secret-44ab0c'
const CANARIES = [CANARY_TOKEN, CANARY_ENV_SECRET, CANARY_INLINE_SECRET]

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator({ token: CANARY_TOKEN, preview: false, autoCreateWorkers: true })
})
afterAll(async () => {
  await emulator.close()
})

interface Run {
  code: number
  stdout: string
  stderr: string
  outputDir: string
  elapsedMs: number
}

async function runBuild(
  worker: string,
  extra: Record<string, unknown> = {},
  failBuild = false,
  setup: {
    before?: (dir: string) => Promise<void>
    env?: (dir: string) => Record<string, string>
  } = {},
): Promise<Run> {
  const dir = await tempDir('proc')
  const outputDir = join(dir, '.workers-version')
  await setup.before?.(dir)
  const spec = {
    input: join(WORKER_FIXTURE, 'src/index.js'),
    outDir: join(dir, 'dist'),
    options: {
      worker,
      upload: true,
      outputDir,
      version: {
        compatibility_date: '2025-01-01',
        compatibility_flags: ['nodejs_compat'],
        bindings: [{ type: 'secret_text', name: 'INLINE_SECRET', text: CANARY_INLINE_SECRET }],
      },
      secrets: { fromEnv: ['API_SECRET'] },
      network: { retries: { attempts: 2, baseDelayMs: 10 } },
      ...extra,
    },
    failBuild,
  }
  const { FORCE_COLOR: _forceColor, ...inherited } = process.env
  const env = {
    ...inherited,
    BUILD_SPEC: JSON.stringify(spec),
    CLOUDFLARE_API_TOKEN: CANARY_TOKEN,
    CLOUDFLARE_ACCOUNT_ID: emulator.accountId,
    CLOUDFLARE_API_BASE_URL: emulator.url,
    API_SECRET: CANARY_ENV_SECRET,
    NO_COLOR: '1',
    ...caEnvironment(emulator),
    ...setup.env?.(dir),
  }
  const started = Date.now()
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(import.meta.dirname, 'build-script.mjs')],
      { env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolve({ code, stdout, stderr, outputDir, elapsedMs: Date.now() - started })
      },
    )
  })
}

async function filesOf(run: Run): Promise<string> {
  const read = (name: string) => readFile(join(run.outputDir, name), 'utf8').catch(() => '')
  return (await read('request.json')) + (await read('result.json'))
}

function expectNoCanary(text: string): void {
  for (const canary of CANARIES) expect(text).not.toContain(canary)
}

describe('secrets and tokens never leak; failures end the process', () => {
  it('a successful upload sends the secrets but never prints or writes them', async () => {
    const run = await runBuild('canary-ok')
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('created version 1 of canary-ok')
    expectNoCanary(run.stdout + run.stderr + (await filesOf(run)))
    const request = JSON.parse(await readFile(join(run.outputDir, 'request.json'), 'utf8'))
    expect(request.bindings).toEqual([
      { type: 'secret_text', name: 'INLINE_SECRET', text: REDACTION },
      { type: 'secret_text', name: 'API_SECRET', text: REDACTION },
    ])
    // The secrets did reach the API.
    const [stored] = emulator.versions('canary-ok')
    expect(stored!.bindings.map((b) => b.text)).toEqual([CANARY_INLINE_SECRET, CANARY_ENV_SECRET])
  })

  it('an API error that echoes the token fails the build without showing it', async () => {
    emulator.injectFaults({
      kind: 'status',
      status: 400,
      match: { method: 'POST' },
      body: {
        success: false,
        errors: [{ code: 10021, message: `rejected for token ${CANARY_TOKEN}` }],
        messages: [],
        result: null,
      },
    })
    const run = await runBuild('canary-400')
    expect(run.code).not.toBe(0)
    expect(run.stderr).toContain('[code 10021]')
    expectNoCanary(run.stdout + run.stderr + (await filesOf(run)))
    expect(
      JSON.parse(await readFile(join(run.outputDir, 'request.json'), 'utf8')).main_module,
    ).toBe('index.js')
  })

  it('a missing fromEnv secret stops the build before any request', async () => {
    const before = emulator.requests.length
    const run = await runBuild('canary-missing', { secrets: { fromEnv: ['NOT_SET_ANYWHERE'] } })
    expect(run.code).not.toBe(0)
    expect(run.stderr).toMatch(/"NOT_SET_ANYWHERE" is not set[\s\S]*secrets\.fromEnv/)
    expect(emulator.requests.length).toBe(before)
  })

  it('a deploy whose result.json and GITHUB_OUTPUT cannot be written exits 0, warning about each, with the version printed', async () => {
    const run = await runBuild('canary-unwritable', { promote: true }, false, {
      before: async (dir) => {
        await mkdir(join(dir, '.workers-version/result.json'), { recursive: true })
        await mkdir(join(dir, 'github-output'))
      },
      env: (dir) => ({ GITHUB_OUTPUT: join(dir, 'github-output') }),
    })
    const githubOutput = join(run.outputDir, '../github-output')
    const [stored] = emulator.versions('canary-unwritable')
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`deployed: 100% → ${stored!.id} (new)`)
    expect(run.stderr).toContain(`could not write ${join(run.outputDir, 'result.json')} (`)
    expect(run.stderr).toContain(`could not write GITHUB_OUTPUT (${githubOutput}) (`)
    expect(run.stderr).toContain(
      `version ${stored!.id} of canary-unwritable was created and deployed`,
    )
    expectNoCanary(run.stdout + run.stderr)
  })

  it('a build that fails while the Worker is being read (the API asking to wait 50 s) exits at once and creates nothing', async () => {
    emulator.injectFaults({
      kind: 'status',
      status: 503,
      retryAfter: 50,
      match: { method: 'GET', path: /\/workers\/workers\/canary-broken$/ },
    })
    const run = await runBuild('canary-broken', {}, true)
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('the build broke on purpose')
    // The read began while the bundler worked: the fault was consumed by it.
    expect(
      emulator.requests.some(
        (r) =>
          r.method === 'GET' &&
          r.path.endsWith('/workers/workers/canary-broken') &&
          r.status === 503,
      ),
    ).toBe(true)
    // Its 50 s wait did not hold the process open.
    expect(run.elapsedMs).toBeLessThan(20_000)
    expect(emulator.versions('canary-broken')).toEqual([])
    expectNoCanary(run.stdout + run.stderr)
  })

  it('a server that never answers: the build fails on the deadline and the process exits', async () => {
    const hang = { kind: 'slow', delayMs: 1e9, match: { method: 'POST' } } as const
    emulator.injectFaults(hang, hang, hang)
    const run = await runBuild('canary-hang', {
      network: {
        timeouts: { headersMs: 1000, deadlineMs: 2500 },
        retries: { attempts: 2, baseDelayMs: 10 },
      },
    })
    expect(run.code).not.toBe(0)
    expect(run.stderr).toMatch(/deadline|timed out|timeout/i)
    // It ended by itself, well before the test's own 60 s kill.
    expect(run.elapsedMs).toBeLessThan(20_000)
    expectNoCanary(run.stdout + run.stderr)
  })
})
