import { cp, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { TEST_ROOT, tempDir } from '../helpers/fixture.js'
import { uploadOptions, useEmulator } from '../helpers/emulator.js'
import { deployViteApp, expectClientServed } from '../helpers/vite-app.js'

// The full-stack app again, with the Cloudflare plugin writing Build Output (a cloudflare.config.ts,
// `cfBuildOutput`). 1.64 refuses auxiliary Workers in this mode, so the app has only its entry Worker.
const emulator = useEmulator()
const FULLSTACK = join(TEST_ROOT, 'fixtures/vite-fullstack')
const CONFIG = join(TEST_ROOT, 'fixtures/vite-build-output/cloudflare.config.ts')

async function buildOutputApp(): Promise<string> {
  const dir = await tempDir('build-output-app')
  await cp(FULLSTACK, dir, { recursive: true, filter: (source) => !source.includes('/dist') })
  await rm(join(dir, 'aux'), { recursive: true })
  await rm(join(dir, 'vite.config.js'))
  await cp(CONFIG, join(dir, 'cloudflare.config.ts'))
  // The fixture's wrangler.jsonc stays: a stale config with a GREETING that cloudflare.config.ts dropped.
  expect(await readFile(join(dir, 'wrangler.jsonc'), 'utf8')).toContain('GREETING')
  return dir
}

function deploy(root: string) {
  return deployViteApp(
    root,
    { experimental: { newConfig: { cfBuildOutput: true, types: { generate: false } } } },
    {
      ...uploadOptions(emulator(), 'unused', {
        upload: undefined,
        worker: undefined,
        version: undefined,
        gitAnnotations: false,
      }),
      promote: true,
    },
  )
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('a full-stack app whose Cloudflare plugin writes Build Output', () => {
  it('versions the Worker from worker.config.json, bundle/ and assets/, not from the stale wrangler.jsonc', async () => {
    const root = await buildOutputApp()
    const warned: string[] = []
    vi.spyOn(console, 'warn').mockImplementation((line: unknown) => void warned.push(String(line)))
    await deploy(root)

    const versions = emulator().versions('fullstack-bo')
    expect(versions).toHaveLength(1)
    expect(emulator().versions('fullstack')).toHaveLength(0)
    const [version] = versions
    expect(version!.request.bindings).toEqual([
      { type: 'plain_text', name: 'SOURCE', text: 'build-output' },
      { type: 'assets', name: 'ASSETS' },
    ])
    expect(version!.request.assets).toMatchObject({
      jwt: expect.any(String),
      config: { not_found_handling: 'single-page-application', run_worker_first: ['/api/*'] },
    })
    const modules = (version!.request.modules as Array<{ name: string; content_type: string }>).map(
      (m) => [m.name, m.content_type],
    )
    expect(modules).toEqual(
      expect.arrayContaining([
        ['index.js', 'application/javascript+module'],
        ['index.js.map', 'application/source-map'],
        ['_headers', 'text/plain'],
        ['_redirects', 'text/plain'],
      ]),
    )
    expect(modules.some(([name]) => name!.startsWith('.vite/'))).toBe(false)
    expect(warned.filter((line) => line.includes('wrangler.jsonc is ignored'))).toHaveLength(1)
    expect(warned.find((line) => line.includes('wrangler.jsonc is ignored'))).toContain(
      '.cloudflare/output/v0/workers/default/worker.config.json',
    )

    const manifest = emulator().assets.sessions.find(
      (s) => s.scriptName === 'fullstack-bo',
    )!.manifest
    expect(Object.keys(manifest)).toEqual(expect.arrayContaining(['/index.html', '/robots.txt']))
    expect(Object.keys(manifest).some((key) => key.endsWith('.css'))).toBe(true)

    const preview = version!.urls[0]!
    await expectClientServed(preview)
    // No greeting: GREETING exists only in the stale wrangler.jsonc.
    expect(await (await fetch(new URL('api/hello', preview))).json()).toEqual({
      hello: 'from the api',
    })
  })
})
