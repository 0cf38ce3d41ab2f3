/**
 * RedwoodSDK 1.7 (its minimal starter's shape), built by `vite build --mode deploy`, which builds the
 * `worker` environment twice (the second build links the first with the client's manifest), with the
 * plugin in its vite config, which uploads the version; the same build is also deployed by
 * `unplugin-workers-version deploy`. Both are opened through their previews and checked against what
 * `wrangler deploy` 4.164 sends for the same build.
 */
import { expect } from 'vitest'
import { describeBothPaths } from './both-paths.js'
import { expectCommonRoutes, expectServed, fixtureReady } from './fixture.js'

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
  await expectCommonRoutes(preview, {
    api: { hello: 'from rwsdk', greeting: 'Hello from a binding' },
    notFound: { type: 'text/plain' },
  })
}

describeBothPaths({
  worker: WORKER,
  ready,
  title: 'RedwoodSDK 1.7.3',
  copy: { nodeModules: 'files' },
  build: { bin: 'vite', args: ['build', '--mode', 'deploy'] },
  served:
    'one version for the environment built twice; the server component reads its binding, the client code, the public file, the API route and a 404 are served',
  expectAppServed,
  // One Worker module: the linked build, not the two builds of the environment side by side.
  checkVersion: (version) => expect(version.modules.map((m) => m.name)).toEqual(['index.js']),
  checkBindings: (bindings) =>
    expect(bindings.map((b) => `${b.type}:${b.name}`).sort()).toEqual([
      'assets:ASSETS',
      'plain_text:GREETING',
    ]),
})
