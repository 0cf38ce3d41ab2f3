/**
 * TanStack Start 1.169 (Cloudflare's guide's shape: SSR through @cloudflare/vite-plugin), built by
 * `vite build --mode deploy` with the plugin in its vite config, which uploads the version;
 * the same build is also deployed by `unplugin-workers-version deploy`. Both are opened through their
 * previews and checked against what `wrangler deploy` 4.164 sends for the same build.
 */
import { expect } from 'vitest'
import { describeBothPaths, expectSsrAppServed } from './both-paths.js'
import { fixtureReady } from './fixture.js'

const WORKER = 'framework-tanstack-start'
const ready = fixtureReady(WORKER, ['@tanstack/react-start', 'vite'])

describeBothPaths({
  worker: WORKER,
  ready,
  title: 'TanStack Start 1.169',
  build: { bin: 'vite', args: ['build', '--mode', 'deploy'] },
  served:
    'the SSR page reads its binding, the client assets, the public file, the server route and a 404 are served',
  expectAppServed: expectSsrAppServed({ hello: 'from tanstack start' }),
  checkVersion: (version) => expect(version.main_module).toBe('index.js'),
  checkBindings: (bindings) =>
    expect(bindings).toEqual([
      { name: 'GREETING', type: 'plain_text', text: 'Hello from a binding' },
    ]),
})
