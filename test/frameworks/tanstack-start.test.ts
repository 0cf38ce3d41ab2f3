/**
 * TanStack Start 1.169 (Cloudflare's guide's shape: SSR through @cloudflare/vite-plugin), built by
 * `vite build --mode deploy` with the plugin in its vite config, which uploads the version;
 * the same build is also deployed by `unplugin-workers-version deploy`. Both are opened through their
 * previews and checked against what `wrangler deploy` 4.164 sends for the same build.
 */
import { expect } from 'vitest'
import { expectPageAssetsServed } from '../helpers/preview.js'
import { describeBothPaths } from './both-paths.js'
import { expectServed, fixtureReady } from './fixture.js'

const WORKER = 'framework-tanstack-start'
const ready = fixtureReady(WORKER, ['@tanstack/react-start', 'vite'])

/** The app as each version serves it through its preview. */
async function expectAppServed(preview: string): Promise<void> {
  // Rendered by the Worker: the loader's server function read the var binding.
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
  ).toEqual({ hello: 'from tanstack start' })
  await expectServed(preview, 'no/such/page', {
    status: 404,
    type: 'text/html',
    contains: ['Page not found'],
  })
}

describeBothPaths({
  worker: WORKER,
  ready,
  title: 'TanStack Start 1.169',
  build: { bin: 'vite', args: ['build', '--mode', 'deploy'] },
  served:
    'the SSR page reads its binding, the client assets, the public file, the server route and a 404 are served',
  expectAppServed,
  checkVersion: (version) => expect(version.main_module).toBe('index.js'),
  checkBindings: (bindings) =>
    expect(bindings).toEqual([
      { name: 'GREETING', type: 'plain_text', text: 'Hello from a binding' },
    ]),
})
