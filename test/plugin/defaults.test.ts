import { join } from 'node:path'
import { rollup } from 'rollup'
import { build as viteBuild } from 'vite'
import { afterEach, describe, expect, it, vi } from 'vitest'
import rollupPlugin from '../../src/rollup.js'
import vitePlugin from '../../src/vite.js'
import { TEST_ROOT, WORKER_FIXTURE, readRequest, tempDir } from '../helpers/fixture.js'

const WRANGLER_WORKER = join(TEST_ROOT, 'fixtures/wrangler-worker')

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
})

async function viteSsrBuild(root: string, options: Record<string, unknown>) {
  const dir = await tempDir('defaults')
  const outputDir = join(dir, '.workers-version')
  await viteBuild({
    root,
    configFile: false,
    logLevel: 'silent',
    build: { ssr: 'src/index.js', outDir: join(dir, 'dist') },
    plugins: [vitePlugin({ outputDir, logLevel: 'info', ...options })],
  })
  return readRequest(outputDir)
}

describe('defaults a newcomer relies on', () => {
  it('reads the wrangler config in the root without being asked; wrangler: false reads none', async () => {
    const read = await viteSsrBuild(WRANGLER_WORKER, {})
    expect(read.bindings).toContainEqual({ type: 'plain_text', name: 'GREETING', text: 'hello' })
    expect(read.compatibility_date).toBe('2025-01-01')
    const off = await viteSsrBuild(WRANGLER_WORKER, {
      wrangler: false,
      version: { compatibility_date: '2025-02-02' },
    })
    expect(off.bindings).toBeUndefined()
    expect(off.compatibility_date).toBe('2025-02-02')
  })

  it('warns when no compatibility_date is set, suggesting today', async () => {
    const warn = vi.spyOn(console, 'warn')
    const body = await viteSsrBuild(WORKER_FIXTURE, { worker: 'no-date' })
    expect(body.compatibility_date).toBeUndefined()
    const today = new Date().toISOString().slice(0, 10)
    const lines = warn.mock.calls.map(([line]) => String(line))
    expect(
      lines.some((line) => line.includes('No compatibility_date') && line.includes(today)),
    ).toBe(true)
  })

  it("fails with the message alone, without the plugin's stack trace", async () => {
    vi.stubEnv('CLOUDFLARE_API_TOKEN', '')
    vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', '')
    const error = await rollup({
      input: join(WORKER_FIXTURE, 'src/index.js'),
      plugins: [rollupPlugin({ worker: 'no-credentials', upload: true })],
    }).then(
      () => new Error('the build succeeded'),
      (e: unknown) => e as Error,
    )
    expect(error.message).toMatch(/missing:[\s\S]*CLOUDFLARE_API_TOKEN/)
    expect(error.stack).not.toMatch(/\n\s+at /)
  })
})
