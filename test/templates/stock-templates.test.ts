/**
 * Apps modelled on what create-cloudflare 2.74 generates, each built for real with its own config
 * (`vite.config` with `cloudflare()`, or esbuild with this plugin), deployed to the emulator, and
 * opened through the version's preview as a browser would: the index, its JS and CSS, an SPA deep
 * link (a navigation) and the API route. React Router 7 is in react-router.test.ts.
 */
import { join } from 'node:path'
import * as esbuild from 'esbuild'
import { describe, expect, it } from 'vitest'
import workersVersion from '../../src/esbuild.js'
import { copyFixture } from '../helpers/fixture.js'
import { projectUploadOptions, useEmulator } from '../helpers/emulator.js'
import { expectPageAssetsServed, navigate } from '../helpers/preview.js'
import { deployViteProject } from '../helpers/vite-app.js'

const emulator = useEmulator()

/** Builds `test/fixtures/<name>` with its own `vite.config` in `--mode deploy`; resolves with its one version. */
async function deployTemplate(name: string) {
  await deployViteProject(await copyFixture(name), projectUploadOptions(emulator()))
  const versions = emulator().versions(name)
  expect(versions).toHaveLength(1)
  return versions[0]!
}

/**
 * An SPA as Cloudflare serves it (`not_found_handling: 'single-page-application'`): the index and its
 * files, a navigation to a client-side route answered with the index, while a request for the same
 * path that is not a navigation reaches the Worker, which answers 404; and the Worker's `/api/`.
 */
async function expectSpaServed(
  preview: string,
  { title, deepLink }: { title: string; deepLink: string },
) {
  const index = await navigate(preview)
  expect(index.status).toBe(200)
  expect(index.text).toContain(`<title>${title}</title>`)
  const files = await expectPageAssetsServed(preview, index.text, { css: true })
  const deep = await navigate(new URL(deepLink, preview))
  expect(deep).toEqual(index)
  expect((await fetch(new URL(deepLink, preview))).status).toBe(404)
  const api = await fetch(new URL('api/', preview))
  expect(await api.json()).toEqual({ name: 'Cloudflare' })
  return files
}

describe('stock templates deploy on the first try and their previews serve the app', () => {
  it('React SPA (Vite + @vitejs/plugin-react)', async () => {
    const version = await deployTemplate('template-react')
    expect(version.compatibility_date).toBe('2026-11-01')
    expect(version.compatibility_flags).toEqual(['nodejs_compat'])
    expect(version.request.assets).toMatchObject({
      config: { not_found_handling: 'single-page-application' },
    })
    expect(version.modules.map((m) => m.name).sort()).toEqual(['index.js', 'index.js.map'])
    const files = await expectSpaServed(version.urls[0]!, {
      title: 'Vite + React + Cloudflare',
      deepLink: 'dashboard/settings',
    })
    const texts = [...files.values()].join('\n')
    expect(texts).toContain('React on Cloudflare: ')
    expect(texts).toContain('#3b5c7d')
  })

  it('Vue with vue-router in history mode (Vite + @vitejs/plugin-vue)', async () => {
    const version = await deployTemplate('template-vue')
    expect(version.request.assets).toMatchObject({
      config: { not_found_handling: 'single-page-application' },
    })
    const preview = version.urls[0]!
    const files = await expectSpaServed(preview, {
      title: 'Vite + Vue + Cloudflare',
      deepLink: 'about',
    })
    expect([...files.values()].join('\n')).toContain('#4c6d8e')
    // The /about route's lazy chunk, which the router loads after the deep link, is served as well.
    const manifest = emulator().assets.sessions.find(
      (s) => s.scriptName === 'template-vue',
    )!.manifest
    const chunks = Object.keys(manifest).filter((key) => /^\/assets\/AboutView-.+\.js$/.test(key))
    expect(chunks).toHaveLength(1)
    const about = await fetch(new URL(chunks[0]!.slice(1), preview))
    expect(about.status).toBe(200)
    expect(await about.text()).toContain('This is an about page')
  })

  it("Hono through esbuild, with the template's static assets", async () => {
    const root = await copyFixture('template-hono')
    await esbuild.build({
      entryPoints: [join(root, 'src/index.js')],
      bundle: true,
      format: 'esm',
      sourcemap: true,
      outdir: join(root, 'dist'),
      logLevel: 'silent',
      plugins: [workersVersion(projectUploadOptions(emulator(), { root, upload: true }) as never)],
    })
    const [version] = emulator().versions('template-hono')
    expect(version!.compatibility_flags).toEqual(['nodejs_compat'])
    expect(version!.bindings).toContainEqual({ type: 'assets', name: 'ASSETS' })
    expect(version!.modules.map((m) => [m.name, m.content_type])).toEqual([
      ['index.js', 'application/javascript+module'],
      ['index.js.map', 'application/source-map'],
    ])
    const preview = version!.urls[0]!
    // The assets directory answers first; the two routes are Hono's.
    const index = await navigate(preview)
    expect(index.status).toBe(200)
    expect(index.text).toContain('<title>Hono on Cloudflare</title>')
    const css = await fetch(new URL('style.css', preview))
    expect(css.headers.get('content-type')).toContain('text/css')
    expect(await css.text()).toContain('#6e8fa0')
    expect(await (await fetch(new URL('message', preview))).text()).toBe('Hello Hono!')
    expect(await (await fetch(new URL('api/greet/workers', preview))).json()).toEqual({
      greeting: 'Hello, workers!',
    })
    expect((await fetch(new URL('api/nothing', preview))).status).toBe(404)
  })

  it('an assets-only site (no `main`, only `assets`)', expectAssetsOnlySiteServed)
})

/** The assets-only site: no Worker code at all, the client build is the version's assets. */
async function expectAssetsOnlySiteServed() {
  const version = await deployTemplate('template-assets-only')
  expect(version.request.assets).toMatchObject({
    jwt: expect.any(String),
    config: { not_found_handling: '404-page' },
  })
  const preview = version.urls[0]!
  const index = await navigate(preview)
  expect(index.status).toBe(200)
  expect(index.text).toContain('Hello from an assets-only Worker')
  const files = await expectPageAssetsServed(preview, index.text, { css: true })
  expect([...files.values()].join('\n')).toContain('#5d7e9f')
  expect([...files.values()].join('\n')).toContain('assets-only-script')
  const missing = await navigate(new URL('no/such/page', preview))
  expect(missing.status).toBe(404)
  expect(missing.text).toContain('This page does not exist')
}
