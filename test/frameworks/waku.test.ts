/**
 * Waku 1.0 (release candidate) with its Cloudflare adapter, built by `waku build` (which has no
 * `--mode`, and runs its server bundle in Node to prerender): deployed from the finished output by
 * `unplugin-workers-version deploy`, opened through the version's preview, and checked against what
 * `wrangler deploy` 4.164 sends for the same build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emulatorEnv, runCli } from '../helpers/deploy-command.js'
import { useEmulator } from '../helpers/emulator.js'
import { createWorkerOn } from '../helpers/wrangler.js'
import {
  copyFrameworkFixture,
  expectCommonRoutes,
  expectSameAsWrangler,
  expectServed,
  fixtureReady,
  removeCopy,
  runFrameworkBin,
  titled,
  wranglerDeploy,
} from './fixture.js'

const WORKER = 'framework-waku'
const ready = fixtureReady(WORKER, ['waku', 'vite'])

describe.skipIf(!ready.ready)(titled('Waku 1.0.0-rc.1 through the deploy command', ready), () => {
  const emulator = useEmulator()
  let root: string
  beforeAll(async () => {
    root = await copyFrameworkFixture(WORKER)
    await runFrameworkBin(root, 'waku', ['build'])
    await createWorkerOn(emulator(), WORKER)
  }, 240_000)
  afterAll(() => removeCopy(root))

  it('deploys the finished build: the dynamic page, the static pages and their client code, the public file, the API route and the 404 page are served', async () => {
    const run = await runCli(['deploy'], root, emulatorEnv(emulator()))
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0)
    const [ours] = emulator().versions(WORKER)
    // The files Waku writes beside the bundle after Vite are modules of the version.
    expect(ours!.modules.map((m) => m.name)).toEqual(
      expect.arrayContaining(['index.js', '__vite_rsc_assets_manifest.js', 'ssr/index.js']),
    )
    const preview = ours!.urls[0]!

    // Rendered by the Worker on each request.
    await expectServed(preview, 'hello/workers', {
      status: 200,
      type: 'text/html',
      contains: ['Hello, <!-- -->workers'],
    })
    // Prerendered by `waku build`, with the client component's code and the layout's stylesheet.
    const home = await expectServed(preview, '', {
      status: 200,
      type: 'text/html',
      contains: ['Welcome to Waku', 'Count: '],
    })
    const files = [
      ...new Set(
        [...home.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!),
      ),
    ]
    expect(files.filter((f) => f.endsWith('.js')).length).toBeGreaterThan(0)
    for (const file of files)
      await expectServed(preview, file, {
        status: 200,
        type: file.endsWith('.css') ? 'text/css' : 'javascript',
      })
    await expectServed(preview, 'about', {
      status: 200,
      type: 'text/html',
      contains: ['About this prerendered page'],
    })
    await expectCommonRoutes(preview, {
      api: { hello: 'from waku' },
      notFound: { type: 'text/html', contains: ['Page not found'] },
    })
  })

  it('sends what wrangler deploy 4.164 sends for the same build, apart from the documented differences', async () => {
    const [ours] = emulator().versions(WORKER)
    const theirs = await wranglerDeploy(emulator(), root, ours!)
    expectSameAsWrangler(emulator(), WORKER, ours!, theirs)
    expect(ours!.bindings).toEqual([{ name: 'ASSETS', type: 'assets' }])
  })
})
