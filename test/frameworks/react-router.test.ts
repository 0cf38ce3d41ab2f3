/**
 * React Router 8 (the Cloudflare template's shape: SSR through @cloudflare/vite-plugin), built by
 * `react-router build --mode deploy` with the plugin in its vite config, which uploads the version;
 * the same build is also deployed by `unplugin-workers-version deploy`. Both are opened through their
 * previews and checked against what `wrangler deploy` 4.164 sends for the same build.
 */
import { expect } from 'vitest'
import { describeBothPaths, expectSsrAppServed } from './both-paths.js'
import { fixtureReady } from './fixture.js'

const WORKER = 'framework-react-router'
const ready = fixtureReady(WORKER, ['react-router', '@react-router/dev', 'vite'])

describeBothPaths({
  worker: WORKER,
  ready,
  title: 'React Router 8.5',
  build: { bin: 'react-router', args: ['build', '--mode', 'deploy'] },
  served:
    'the SSR page reads its binding, the client assets, the public file, the resource route and a 404 are served',
  expectAppServed: expectSsrAppServed({ hello: 'from react router' }),
  checkVersion: (version) => expect(version.main_module).toBe('index.js'),
  checkBindings: (bindings) =>
    expect(bindings).toEqual([
      { name: 'GREETING', type: 'plain_text', text: 'Hello from a binding' },
    ]),
})
