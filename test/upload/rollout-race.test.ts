// A gradual rollout computes its split from the deployment it read: when the deployment changed
// since (another rollout), the build says so instead of reporting a success that is not in place.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import rollupPlugin from '../../src/rollup.js'
import { useEmulator } from '../helpers/emulator.js'
import { WORKER_FIXTURE, tempDir } from '../helpers/fixture.js'
import { rollupUpload } from '../helpers/rollup-upload.js'
import { type EchoReply, type EchoServer, startEchoServer } from '../trust/echo-server.js'

const OLD = '0e7ad3c5-93e8-4ad7-8a2b-6d4e2a1f9c10'
const NEW = '1f8be4d6-a4f9-4be8-9b3c-7e5f3b2a0d21'
const OTHER = '2a9cf5e7-b5fa-4cf9-8c4d-8f6a4c3b1e32'
const READ = {
  id: 'd0000000-0000-4000-8000-000000000000',
  versions: [{ version_id: OLD, percentage: 100 }],
}
const THEIRS = {
  id: 'd1111111-1111-4111-8111-111111111111',
  versions: [
    { version_id: OTHER, percentage: 30 },
    { version_id: OLD, percentage: 70 },
  ],
}
const OURS = {
  id: 'd2222222-2222-4222-8222-222222222222',
  versions: [
    { version_id: NEW, percentage: 30 },
    { version_id: OLD, percentage: 70 },
  ],
}

const ok = (result: unknown): ReturnType<EchoReply> => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ success: true, errors: [], messages: [], result }),
})

describe('a gradual rollout against a scripted API', () => {
  let server: EchoServer
  beforeEach(async () => {
    server = await startEchoServer()
    vi.spyOn(console, 'log').mockImplementation(() => undefined)
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  })
  afterEach(async () => {
    vi.restoreAllMocks()
    await server.close()
  })

  /**
   * The Worker exists; `lists` are the answers to the deployment list in order (the read, the check
   * before deploying, the check after), each newest first. Create Version makes NEW.
   */
  function script(lists: unknown[][]) {
    const answers = [...lists]
    const get: EchoReply = (req) => {
      if (req.path.endsWith('/secrets')) return ok([])
      if (req.path.endsWith('/deployments')) return ok({ deployments: answers.shift() ?? [] })
      return ok({ id: 'race', name: 'race' })
    }
    for (let i = 0; i < 10; i++) server.reply('GET', get)
    server.reply('POST', () =>
      ok({ id: NEW, number: 2, created_on: new Date().toISOString(), urls: [] }),
    )
    server.reply('POST', () => ok(OURS))
  }

  async function build(dir: string) {
    const bundle = await rollup({
      input: join(WORKER_FIXTURE, 'src/index.js'),
      logLevel: 'silent',
      plugins: [
        rollupPlugin({
          worker: 'race',
          upload: true,
          promote: 30,
          apiToken: 'token-race',
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
    } finally {
      await bundle.close()
    }
  }
  const deploymentPosts = () =>
    server.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/deployments'))

  it('a deployment made between the read and the rollout: nothing is deployed, and the error says why and what exists', async () => {
    const dir = await tempDir('race-before')
    script([[READ], [THEIRS, READ]])
    await expect(build(dir)).rejects.toThrow(
      `the deployment of Worker "race" changed since this build read it (it was deployment ${READ.id} (${OLD} at 100%); it is now deployment ${THEIRS.id} (${OTHER} at 30%, ${OLD} at 70%)), perhaps another rollout: this build's split was computed from the old one, so nothing was deployed. Version ${NEW} was created`,
    )
    expect(deploymentPosts()).toHaveLength(0)
  })

  it('a deployment that replaces ours right after: the build fails after writing result.json, naming both', async () => {
    const dir = await tempDir('race-after')
    script([[READ], [READ], [THEIRS, OURS, READ]])
    await expect(build(dir)).rejects.toThrow(
      `version ${NEW} was created and deployed, but deployment ${OURS.id} (${NEW} at 30%, ${OLD} at 70%) was replaced right after by deployment ${THEIRS.id} (${OTHER} at 30%, ${OLD} at 70%)`,
    )
    expect(deploymentPosts()).toHaveLength(1)
    const result = JSON.parse(await readFile(join(dir, '.workers-version/result.json'), 'utf8'))
    expect(result.deployment.versions).toEqual(OURS.versions)
  })

  it('ours replaced a deployment this build never read: the build says whose split is gone', async () => {
    const dir = await tempDir('race-unseen')
    script([[READ], [READ], [OURS, THEIRS, READ]])
    await expect(build(dir)).rejects.toThrow(
      `replaced deployment ${THEIRS.id} (${OTHER} at 30%, ${OLD} at 70%), made after this build read the traffic (deployment ${READ.id}`,
    )
  })

  it('nothing changed: the rollout succeeds', async () => {
    const dir = await tempDir('race-none')
    script([[READ], [READ], [OURS, READ]])
    await build(dir)
    expect(deploymentPosts()).toHaveLength(1)
  })
})

describe('two gradual rollouts at once against the emulator', () => {
  const emulator = useEmulator({ autoCreateWorkers: true, preview: false })
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('do not both report success: at least one says the deployment changed', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined)
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    await rollupUpload(emulator(), await tempDir('race-base'), 'race-two', {
      promote: true,
      preflight: false,
    })
    const outcomes = await Promise.allSettled([
      rollupUpload(emulator(), await tempDir('race-a'), 'race-two', {
        promote: 30,
        preflight: false,
      }),
      rollupUpload(emulator(), await tempDir('race-b'), 'race-two', {
        promote: 30,
        preflight: false,
      }),
    ])
    const failures = outcomes.flatMap((o) =>
      o.status === 'rejected' ? [String((o.reason as Error).message)] : [],
    )
    expect(failures.length).toBeGreaterThanOrEqual(1)
    for (const message of failures)
      expect(message).toMatch(
        /changed since this build read it|was replaced right after by deployment|made after this build read the traffic/,
      )
    // The split left serves the first version and one of the two new ones.
    const final = emulator().deployments('race-two')[0]!
    expect(final.versions).toHaveLength(2)
  })
})
