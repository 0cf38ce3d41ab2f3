/**
 * React Router 8 (the Cloudflare template's shape: SSR through @cloudflare/vite-plugin), built by
 * `react-router build --mode deploy` with the plugin in its vite config, which uploads the version;
 * the same build is also deployed by `unplugin-workers-version deploy`. Both are opened through their
 * previews and checked against what `wrangler deploy` 4.164 sends for the same build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emulatorEnv, runCli } from '../helpers/deploy-command.js'
import { useEmulator } from '../helpers/emulator.js'
import { expectPageAssetsServed } from '../helpers/preview.js'
import { createWorkerOn } from '../helpers/wrangler.js'
import {
  copyFrameworkFixture,
  expectSameAsWrangler,
  expectServed,
  fixtureReady,
  removeCopy,
  runFrameworkBin,
  titled,
  wranglerDeploy,
} from './fixture.js'

const WORKER = 'framework-react-router'
const ready = fixtureReady(WORKER, ['react-router', '@react-router/dev', 'vite'])

/** The app as each version serves it through its preview. */
async function expectAppServed(preview: string): Promise<void> {
  // Rendered by the Worker: the loader read the var binding.
  const home = await expectServed(preview, '', {
    status: 200,
    type: 'text/html',
    contains: ['Welcome: <!-- -->Hello from a binding'],
  })
  const files = await expectPageAssetsServed(preview, home, { css: true })
  expect([...files.entries()].find(([path]) => path.endsWith('.css'))?.[1]).toContain('#2a4b6c')
  await expectServed(preview, 'about', {
    status: 200,
    type: 'text/html',
    contains: ['About this app'],
  })
  await expectServed(preview, 'robots.txt', {
    status: 200,
    type: 'text/plain',
    contains: ['User-agent: *'],
  })
  expect(
    JSON.parse(await expectServed(preview, 'api/hello', { status: 200, type: 'application/json' })),
  ).toEqual({ hello: 'from react router' })
  await expectServed(preview, 'no/such/page', {
    status: 404,
    type: 'text/html',
    contains: ['Page not found'],
  })
}

describe.skipIf(!ready.ready)(
  titled('React Router 8.5 through the plugin and the deploy command', ready),
  () => {
    const emulator = useEmulator()
    let root: string
    beforeAll(async () => {
      root = await copyFrameworkFixture(WORKER)
      await createWorkerOn(emulator(), WORKER)
      await runFrameworkBin(
        root,
        'react-router',
        ['build', '--mode', 'deploy'],
        emulatorEnv(emulator()),
      )
    }, 240_000)
    afterAll(() => removeCopy(root))

    it('the plugin uploads the version in the build: the SSR page reads its binding, the client assets, the public file, the resource route and a 404 are served', async () => {
      const versions = emulator().versions(WORKER)
      expect(versions).toHaveLength(1)
      expect(versions[0]!.main_module).toBe('index.js')
      await expectAppServed(versions[0]!.urls[0]!)
    })

    it('the deploy command deploys the same build to the same version', async () => {
      const run = await runCli(['deploy'], root, emulatorEnv(emulator()))
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0)
      const [viaCommand, viaPlugin] = emulator().versions(WORKER)
      expect(viaCommand!.request).toEqual({
        ...viaPlugin!.request,
        assets: {
          ...(viaPlugin!.request.assets as object),
          jwt: (viaCommand!.request.assets as { jwt: string }).jwt,
        },
      })
      await expectAppServed(viaCommand!.urls[0]!)
    })

    it('both send what wrangler deploy 4.164 sends for the same build, apart from the documented differences', async () => {
      const [viaCommand, viaPlugin] = emulator().versions(WORKER)
      const theirs = await wranglerDeploy(emulator(), root, viaCommand!)
      expectSameAsWrangler(emulator(), WORKER, viaPlugin!, theirs)
      expectSameAsWrangler(emulator(), WORKER, viaCommand!, theirs)
      expect(viaPlugin!.bindings).toEqual([
        { name: 'GREETING', type: 'plain_text', text: 'Hello from a binding' },
      ])
    })
  },
)
