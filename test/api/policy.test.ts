/**
 * The request policy is one set of rules for every call: the same Retry-After cap, the same
 * deadline for a whole upload (assets included), the same rule for a request whose outcome is
 * unknown, the same meaning of "absent". Run against the local emulator with injected faults.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { uploadAssets } from '../../src/api/assets.js'
import { createVersion } from '../../src/api/create-version.js'
import { createDeployment, currentDeployment } from '../../src/api/deployments.js'
import {
  classifyStatus,
  isAbsent,
  POLICY,
  resolveBackoff,
  waitBeforeResend,
} from '../../src/api/policy.js'
import type { ApiCallContext } from '../../src/api/request.js'
import { createAgent, resolveTimeouts } from '../../src/api/transport.js'
import { createWorker, getWorker, listSecrets } from '../../src/api/workers.js'
import { readAssetsDirectory } from '../../src/assets/manifest.js'
import { WorkersVersionError } from '../../src/core/errors.js'
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'

let emu: Emulator
let root: string
let logs: string[] = []

beforeAll(async () => {
  emu = await startEmulator({ preview: false, autoCreateWorkers: true, assets: { bucketFiles: 2 } })
  root = await mkdtemp(join(tmpdir(), 'policy-'))
  await mkdir(join(root, 'assets'))
  for (let i = 0; i < 5; i++)
    await writeFile(join(root, 'assets', `f${i}.txt`), `file ${i} ${Date.now()}`)
})
afterAll(async () => {
  await emu.close()
  await rm(root, { recursive: true, force: true })
})
afterEach(() => {
  emu.clearFaults()
  emu.assets.forget()
  logs = []
})

const ctx = (extra: Partial<ApiCallContext> = {}): ApiCallContext => ({
  baseUrl: emu.url,
  credentials: { apiToken: emu.token },
  accountId: emu.accountId,
  retries: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 },
  log: (line) => logs.push(line),
  ...extra,
})

const body = () => ({
  main_module: 'index.js',
  compatibility_date: '2025-01-01',
  modules: [
    {
      name: 'index.js',
      content_type: 'application/javascript+module',
      content_base64: Buffer.from(
        'export default { fetch() { return new Response("ok") } }',
      ).toString('base64'),
    },
  ],
})

async function failure(promise: Promise<unknown>): Promise<WorkersVersionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(WorkersVersionError)
  return error as WorkersVersionError
}

const TOO_LONG = /the API asks to wait 3600s \(Retry-After\), longer than the 60s a build waits/

describe('a Retry-After past the cap', () => {
  const calls: [string, RegExp, () => Promise<unknown>][] = [
    ['a read (Look up Worker)', /\/workers\/workers\/capped$/, () => getWorker(ctx(), 'capped')],
    ['a read (secrets)', /\/scripts\/capped\/secrets$/, () => listSecrets(ctx(), 'capped')],
    [
      'Create Version',
      /\/versions$/,
      () => createVersion({ ...ctx(), worker: 'capped', body: body() }),
    ],
    ['Create Worker', /\/workers\/workers$/, () => createWorker(ctx(), 'capped-new')],
    [
      'a deployment',
      /\/deployments$/,
      () =>
        createDeployment(ctx(), 'capped', {
          versions: [{ version_id: '00000000-0000-4000-8000-000000000000', percentage: 100 }],
        }),
    ],
    [
      'the assets upload session',
      /\/assets-upload-session$/,
      async () =>
        uploadAssets({ ...ctx(), scriptName: 'capped', manifest: await readAssetsDirectory(root) }),
    ],
    [
      'an assets bucket',
      /\/workers\/assets\/upload$/,
      async () =>
        uploadAssets({
          ...ctx(),
          scriptName: 'capped',
          manifest: await readAssetsDirectory(root),
          concurrency: 1,
        }),
    ],
  ]
  it.each(calls)('ends %s at once, naming the wait, after one send', async (_name, path, call) => {
    emu.injectFaults({ kind: 'status', status: 429, retryAfter: 3600, match: { path } })
    const before = emu.requests.length
    const started = Date.now()
    const error = await failure(call())
    expect(Date.now() - started).toBeLessThan(3000)
    expect(error.message).toMatch(TOO_LONG)
    expect(emu.requests.slice(before).filter((r) => path.test(r.path))).toHaveLength(1)
    expect(logs).toEqual([])
  })

  it('a Retry-After within the cap is waited for by an assets bucket like by any call', async () => {
    emu.injectFaults({
      kind: 'status',
      status: 429,
      retryAfter: 1,
      match: { path: /\/workers\/assets\/upload$/ },
    })
    const started = Date.now()
    const result = await uploadAssets({
      ...ctx(),
      scriptName: 'waits',
      manifest: await readAssetsDirectory(root),
      concurrency: 1,
    })
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    expect(result.uploadedFiles).toBe(5)
    expect(logs).toEqual([
      expect.stringMatching(/succeeded after 2 attempts \(the last failure: HTTP 429/),
    ])
  })
})

describe('one deadline for the whole upload', () => {
  it('bounds the assets too: a slow bucket ends at the deadline the first call started', async () => {
    const agent = createAgent(resolveTimeouts({ deadlineMs: 2000 }))
    try {
      const shared = ctx({ agent, timeouts: { deadlineMs: 2000 } })
      const started = Date.now()
      await getWorker(shared, 'deadline')
      await new Promise((resolve) => setTimeout(resolve, 800))
      emu.injectFaults({
        kind: 'slow',
        delayMs: 30_000,
        match: { path: /\/workers\/assets\/upload$/ },
      })
      const assetsStarted = Date.now()
      const error = await failure(
        uploadAssets({
          ...shared,
          scriptName: 'deadline',
          manifest: await readAssetsDirectory(root),
          concurrency: 1,
        }),
      )
      const total = Date.now() - started
      expect(error.code).toBe('ASSETS_UPLOAD_FAILED')
      expect(error.message).toMatch(/no result within the 2\.0s deadline/)
      // The deadline counted from the first call, not from the start of the assets.
      expect(total).toBeGreaterThanOrEqual(1900)
      expect(total).toBeLessThan(2800)
      expect(Date.now() - assetsStarted).toBeLessThan(1600)
      // A later call on the same upload is past the deadline too.
      expect((await failure(getWorker(shared, 'deadline'))).code).toBe('API_TIMEOUT')
    } finally {
      await agent.destroy()
    }
  })
})

describe('an unknown outcome', () => {
  it('a lost Create Worker response is not sent again: the lookup finds the Worker', async () => {
    emu.injectFaults({
      kind: 'lose-response',
      match: { method: 'POST', path: /\/workers\/workers$/ },
    })
    const before = emu.requests.length
    const worker = await createWorker(ctx(), 'lost-create')
    const sent = emu.requests.slice(before)
    expect(sent.filter((r) => r.method === 'POST')).toHaveLength(1)
    expect(
      sent.filter((r) => r.method === 'GET' && r.path.endsWith('/workers/workers/lost-create')),
    ).toHaveLength(1)
    expect(worker.id).toBe(emu.worker('lost-create')?.id)
  })

  it('a Create Worker that failed with a 500 is sent again once the lookup shows it did nothing', async () => {
    emu.injectFaults({
      kind: 'status',
      status: 500,
      match: { method: 'POST', path: /\/workers\/workers$/ },
    })
    const before = emu.requests.length
    const worker = await createWorker(ctx(), 'failed-create')
    const sent = emu.requests.slice(before)
    expect(sent.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 500', 'GET 404', 'POST 200'])
    expect(worker.id).toBe(emu.worker('failed-create')?.id)
  })

  it('an idempotent request (a deployment) is simply sent again after a 500', async () => {
    const version = await createVersion({ ...ctx(), worker: 'redeploy', body: body() })
    emu.injectFaults({
      kind: 'status',
      status: 500,
      match: { method: 'POST', path: /\/deployments$/ },
    })
    const deployed = await createDeployment(ctx(), 'redeploy', {
      versions: [{ version_id: version.id, percentage: 100 }],
    })
    expect(deployed.versions).toEqual([{ version_id: version.id, percentage: 100 }])
    expect(emu.deployments('redeploy')).toHaveLength(1)
  })
})

describe('absent', () => {
  it('is a 404 with code 10007, for every read that allows it; any other 404 is an error', async () => {
    expect(await getWorker(ctx(), 'never-made')).toBeUndefined()
    expect(await listSecrets(ctx(), 'never-made')).toEqual([])
    expect(await currentDeployment(ctx(), 'never-made')).toBeUndefined()
    expect(isAbsent(404, [{ code: 10007, message: 'This Worker does not exist' }])).toBe(true)
    expect(isAbsent(404, [{ code: 10000, message: 'Authentication error' }])).toBe(false)
    expect(isAbsent(400, [{ code: 10007, message: 'x' }])).toBe(false)
  })
})

describe('the policy object', () => {
  it('classes statuses once: turned away, outcome unknown, refused', () => {
    expect([429, 503].map(classifyStatus)).toEqual(['turned-away', 'turned-away'])
    expect([500, 502, 504, 520, 524].map(classifyStatus)).toEqual(Array(5).fill('outcome-unknown'))
    expect([400, 401, 403, 404, 409, 501].map(classifyStatus)).toEqual(Array(6).fill('refused'))
  })

  it('waits for a Retry-After up to the cap, refuses one past the cap or the deadline, else backs off', () => {
    const backoff = resolveBackoff({ baseDelayMs: 100, maxDelayMs: 1000 })
    expect(waitBeforeResend(1, POLICY.maxRetryAfterMs, backoff, 120_000)).toEqual({
      waitMs: 60_000,
    })
    expect(waitBeforeResend(1, POLICY.maxRetryAfterMs + 1000, backoff, 120_000)).toEqual({
      giveUp: expect.stringMatching(/61s \(Retry-After\), longer than the 60s/),
    })
    expect(waitBeforeResend(1, 5000, backoff, 4000)).toEqual({
      giveUp: expect.stringMatching(/past the deadline/),
    })
    const backedOff = waitBeforeResend(1, undefined, backoff, 120_000)
    expect('waitMs' in backedOff && backedOff.waitMs >= 50 && backedOff.waitMs <= 100).toBe(true)
    expect(waitBeforeResend(1, undefined, backoff, 10)).toEqual({ pastDeadline: true })
  })
})
