/**
 * RedwoodSDK 1.7 (its minimal starter's shape), built by `vite build --mode deploy`, which builds the
 * `worker` environment twice (the second build links the first with the client's manifest), with the
 * plugin in its vite config, which uploads the version; the same build is also deployed by
 * `unplugin-workers-version deploy`. Both are opened through their previews and checked against what
 * `wrangler deploy` 4.164 sends for the same build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emulatorEnv, runCli } from '../helpers/deploy-command.js'
import { useEmulator } from '../helpers/emulator.js'
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

const WORKER = 'framework-rwsdk'
const ready = fixtureReady(WORKER, ['rwsdk', 'vite'])

/** The app as each version serves it through its preview. */
async function expectAppServed(preview: string): Promise<void> {
  // A server component rendered by the Worker: it read the var binding.
  const home = await expectServed(preview, '', {
    status: 200,
    type: 'text/html',
    contains: [/Welcome: (<!-- -->)?Hello from a binding/],
  })
  const scripts = [
    ...new Set([...home.matchAll(/href="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!)),
  ]
  expect(scripts.length).toBeGreaterThan(0)
  for (const script of scripts)
    await expectServed(preview, script, { status: 200, type: 'javascript' })
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
  ).toEqual({ hello: 'from rwsdk', greeting: 'Hello from a binding' })
  await expectServed(preview, 'no/such/page', { status: 404, type: 'text/plain' })
}

describe.skipIf(!ready.ready)(
  titled('RedwoodSDK 1.7.3 through the plugin and the deploy command', ready),
  () => {
    const emulator = useEmulator()
    let root: string
    beforeAll(async () => {
      root = await copyFrameworkFixture(WORKER, { nodeModules: 'files' })
      await createWorkerOn(emulator(), WORKER)
      await runFrameworkBin(root, 'vite', ['build', '--mode', 'deploy'], emulatorEnv(emulator()))
    }, 240_000)
    afterAll(() => removeCopy(root))

    it('the plugin uploads one version for the environment built twice: the server component reads its binding, the client code, the public file, the API route and a 404 are served', async () => {
      const versions = emulator().versions(WORKER)
      expect(versions).toHaveLength(1)
      // One Worker module: the linked build, not the two builds of the environment side by side.
      expect(versions[0]!.modules.map((m) => m.name)).toEqual(['index.js'])
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
      expect(viaPlugin!.bindings.map((b) => `${b.type}:${b.name}`).sort()).toEqual([
        'assets:ASSETS',
        'plain_text:GREETING',
      ])
    })
  },
)
