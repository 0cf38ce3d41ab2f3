/**
 * The tests of a framework deployed both ways: by the plugin inside the framework's own build
 * command, and by `unplugin-workers-version deploy` on that same build. Both versions must serve the
 * app, be the same request, and equal what `wrangler deploy` 4.164 sends for the build, apart from
 * the documented differences.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StoredVersion } from '../../src/emulator/index.js'
import { emulatorEnv, runCli } from '../helpers/deploy-command.js'
import { useEmulator } from '../helpers/emulator.js'
import { expectPageAssetsServed } from '../helpers/preview.js'
import { createWorkerOn } from '../helpers/wrangler.js'
import {
  copyFrameworkFixture,
  expectCommonRoutes,
  expectSameAsWrangler,
  expectServed,
  type fixtureReady,
  removeCopy,
  runFrameworkBin,
  titled,
  wranglerDeploy,
} from './fixture.js'

export interface BothPaths {
  /** The fixture's directory name under test/fixtures/, also the Worker's name. */
  worker: string
  ready: ReturnType<typeof fixtureReady>
  /** The framework and the version tested, for the suite's title. */
  title: string
  copy?: Parameters<typeof copyFrameworkFixture>[1]
  /** The framework's own build command, run with `--mode deploy` so that the plugin uploads. */
  build: { bin: string; args: string[] }
  /** What the plugin's test checks, in its title. */
  served: string
  /** The app as a version serves it through its preview. */
  expectAppServed: (preview: string) => Promise<void>
  /** More checks of the plugin's version (its modules, say). */
  checkVersion: (version: StoredVersion) => void
  /** The bindings of the plugin's version. */
  checkBindings: (bindings: StoredVersion['bindings']) => void
}

export function describeBothPaths(spec: BothPaths): void {
  const { worker } = spec
  describe.skipIf(!spec.ready.ready)(
    titled(`${spec.title} through the plugin and the deploy command`, spec.ready),
    () => {
      const emulator = useEmulator()
      let root: string
      beforeAll(async () => {
        root = await copyFrameworkFixture(worker, spec.copy)
        await createWorkerOn(emulator(), worker)
        await runFrameworkBin(root, spec.build.bin, spec.build.args, emulatorEnv(emulator()))
      }, 240_000)
      afterAll(() => removeCopy(root))

      it(`the plugin uploads the version in the build: ${spec.served}`, async () => {
        const versions = emulator().versions(worker)
        expect(versions).toHaveLength(1)
        spec.checkVersion(versions[0]!)
        await spec.expectAppServed(versions[0]!.urls[0]!)
      })

      it('the deploy command deploys the same build to the same version', async () => {
        const run = await runCli(['deploy'], root, emulatorEnv(emulator()))
        expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0)
        const [viaCommand, viaPlugin] = emulator().versions(worker)
        expect(viaCommand!.request).toEqual({
          ...viaPlugin!.request,
          assets: {
            ...(viaPlugin!.request.assets as object),
            jwt: (viaCommand!.request.assets as { jwt: string }).jwt,
          },
        })
        await spec.expectAppServed(viaCommand!.urls[0]!)
      })

      it('both send what wrangler deploy 4.164 sends for the same build, apart from the documented differences', async () => {
        const [viaCommand, viaPlugin] = emulator().versions(worker)
        const theirs = await wranglerDeploy(emulator(), root, viaCommand!)
        expectSameAsWrangler(emulator(), worker, viaPlugin!, theirs)
        expectSameAsWrangler(emulator(), worker, viaCommand!, theirs)
        spec.checkBindings(viaPlugin!.bindings)
      })
    },
  )
}

/**
 * The app of the React Router and TanStack Start fixtures (the same pages, each framework's way), as
 * a version serves it through its preview: the SSR home page reading the var binding, its client
 * assets, the about page, then the public file, the API route answering `api` and the 404 page.
 */
export function expectSsrAppServed(api: unknown): (preview: string) => Promise<void> {
  return async (preview) => {
    // Rendered by the Worker: the route's loader read the var binding.
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
    await expectCommonRoutes(preview, {
      api,
      notFound: { type: 'text/html', contains: ['Page not found'] },
    })
  }
}
