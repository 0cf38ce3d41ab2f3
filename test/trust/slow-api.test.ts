// A slow API must never get two versions for one build: the server may store a request whose
// client gave up on it. A Create Version waits minutes for its answer, whatever `headersMs`
// says, and a lookup after a lost answer looks again before it concludes that nothing was stored.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createVersion } from '../../src/api/create-version.js'
import { posts, useEmulator } from '../helpers/emulator.js'
import { tempDir } from '../helpers/fixture.js'
import { rollupUpload } from '../helpers/rollup-upload.js'

const emulator = useEmulator({ preview: false, autoCreateWorkers: true })
const VERSIONS = /\/workers\/workers\/[^/]+\/versions$/

afterEach(() => {
  vi.restoreAllMocks()
  emulator().clearFaults()
})

async function rollupBuild(worker: string, extra: Record<string, unknown>) {
  return { outputDir: await rollupUpload(emulator(), await tempDir('slow-api'), worker, extra) }
}

describe('a slow API', () => {
  it('holds the first Create Version past headersMs and stores it late: exactly one version, and the build reports it', async () => {
    // 4 s on the server against a 1.5 s headersMs: on a headers timeout the lookup would find
    // nothing yet, and a resend would store a second version.
    emulator().injectFaults({
      kind: 'slow',
      delayMs: 4_000,
      match: { method: 'POST', path: VERSIONS },
    })
    const onVersion = vi.fn()
    const { outputDir } = await rollupBuild('slow-create', {
      onVersion,
      network: {
        retries: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200 },
        timeouts: { headersMs: 1_500, deadlineMs: 30_000 },
      },
    })
    const stored = emulator().versions('slow-create')
    expect(stored).toHaveLength(1)
    expect(posts(emulator(), 'slow-create')).toHaveLength(1)
    const result = JSON.parse(await readFile(join(outputDir, 'result.json'), 'utf8'))
    expect(result.result.id).toBe(stored[0]!.id)
    expect(onVersion).toHaveBeenCalledWith(expect.objectContaining({ id: stored[0]!.id }))
  }, 40_000)

  it('a lost answer whose version is stored 2.5 s later: the lookup looks again and adopts it instead of sending again', async () => {
    emulator().injectFaults({
      kind: 'lose-response',
      storeAfterMs: 2_500,
      match: { method: 'POST', path: VERSIONS },
    })
    const logs: string[] = []
    const code = 'export default { fetch() { return new Response("late") } }'
    const result = await createVersion({
      baseUrl: emulator().url,
      credentials: { apiToken: emulator().token },
      accountId: emulator().accountId,
      worker: 'late-store',
      body: {
        main_module: 'index.js',
        compatibility_date: '2025-01-01',
        modules: [
          {
            name: 'index.js',
            content_type: 'application/javascript+module',
            content_base64: Buffer.from(code).toString('base64'),
          },
        ],
      },
      retries: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
      timeouts: { headersMs: 5_000, deadlineMs: 30_000 },
      log: (line) => logs.push(line),
    })
    const stored = emulator().versions('late-store')
    expect(stored).toHaveLength(1)
    expect(result.id).toBe(stored[0]!.id)
    expect(posts(emulator(), 'late-store')).toHaveLength(1)
    expect(logs.some((line) => /looking again in/.test(line))).toBe(true)
    expect(logs.some((line) => /recovered the lost response/.test(line))).toBe(true)
  }, 40_000)
})
