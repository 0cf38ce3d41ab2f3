// Injected server values, at the plugin: a whole build against a server whose ids carry a line break. The
// build fails before any of them reaches GITHUB_OUTPUT, result.json or onVersion.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import rollupPlugin from '../../src/rollup.js'
import { WORKER_FIXTURE, tempDir } from '../helpers/fixture.js'
import { type EchoReply, type EchoServer, startEchoServer } from './echo-server.js'

const INJECTED = 'abc\nINJECTED_OUTPUT=pwned\nversion-id=evil'

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

/** The Worker exists; its current deployment serves `deployed` (a version id as the server sends it). */
const lookups =
  (deployed: string): EchoReply =>
  (req) => {
    if (req.path.endsWith('/secrets')) return ok([])
    if (req.path.endsWith('/deployments'))
      return ok({
        deployments: [
          {
            id: '5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
            versions: [{ version_id: deployed, percentage: 100 }],
          },
        ],
      })
    return ok({ id: 'inject-worker', name: 'inject-worker' })
  }

async function build(dir: string, promote: true | number, onVersion: (v: unknown) => void) {
  vi.stubEnv('GITHUB_OUTPUT', join(dir, 'github-output'))
  vi.spyOn(console, 'log').mockImplementation(() => undefined)
  vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  const bundle = await rollup({
    input: join(WORKER_FIXTURE, 'src/index.js'),
    logLevel: 'silent',
    plugins: [
      rollupPlugin({
        worker: 'inject-worker',
        upload: true,
        promote,
        apiToken: 'token-inject',
        accountId: 'acc',
        apiBaseUrl: server.url,
        outputDir: join(dir, '.workers-version'),
        gitAnnotations: false,
        network: { retries: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 } },
        version: { compatibility_date: '2025-01-01', compatibility_flags: ['nodejs_compat'] },
        onVersion,
      }),
    ],
  })
  try {
    await bundle.write({ dir: join(dir, 'dist'), format: 'es' })
  } finally {
    await bundle.close()
  }
}

const written = (path: string) => readFile(path, 'utf8').catch(() => '')

describe('server ids with a line break never reach the CI outputs', () => {
  it('a Create Version id: the build fails, GITHUB_OUTPUT and result.json hold nothing of it, onVersion never runs', async () => {
    const dir = await tempDir('plugin-inject-id')
    for (let i = 0; i < 8; i++) server.reply('GET', lookups('0e7ad3c5-93e8-4ad7-8a2b-6d4e2a1f9c10'))
    server.reply('POST', () =>
      ok({ id: INJECTED, number: 1, created_on: new Date().toISOString(), urls: [] }),
    )
    const onVersion = vi.fn()
    await expect(build(dir, true, onVersion)).rejects.toThrow(
      /the version id is "abc\\nINJECTED_OUTPUT=pwned\\nversion-id=evil", which is not a UUID/,
    )
    expect(await written(join(dir, 'github-output'))).not.toContain('INJECTED_OUTPUT')
    expect(await written(join(dir, '.workers-version/result.json'))).not.toContain(
      'INJECTED_OUTPUT',
    )
    expect(onVersion).not.toHaveBeenCalled()
    // Not deployed, and not sent again.
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
  })

  it('a gradual rollout whose current deployment names such an id fails before any version is created', async () => {
    const dir = await tempDir('plugin-inject-gradual')
    for (let i = 0; i < 8; i++) server.reply('GET', lookups(INJECTED))
    const onVersion = vi.fn()
    await expect(build(dir, 10, onVersion)).rejects.toThrow(
      /a deployment's version id is "abc\\nINJECTED_OUTPUT=pwned/,
    )
    expect(await written(join(dir, 'github-output'))).not.toContain('INJECTED_OUTPUT')
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(0)
    expect(onVersion).not.toHaveBeenCalled()
  })
})
