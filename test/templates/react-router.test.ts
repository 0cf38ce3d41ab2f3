/**
 * create-cloudflare 2.74's React Router 7 template (SSR through `@cloudflare/vite-plugin`), built for
 * real with its own `vite.config`, deployed to the emulator, opened through the preview, and checked
 * against what `wrangler versions upload` 4.164 sends for the same build.
 */
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { copyFixture, readRequest } from '../helpers/fixture.js'
import { projectUploadOptions, useEmulator } from '../helpers/emulator.js'
import { expectPageAssetsServed, navigate } from '../helpers/preview.js'
import { deployViteProject } from '../helpers/vite-app.js'
import { runWrangler } from '../helpers/wrangler.js'

const emulator = useEmulator()
const WORKER = 'template-react-router'

describe('React Router 7 (SSR) from the stock template', () => {
  it('builds, deploys, serves SSR pages, client assets and the API route, and sends what wrangler sends', async () => {
    const root = await copyFixture(WORKER)
    await deployViteProject(root, projectUploadOptions(emulator()))

    // The server build really emitted the stylesheet that the rule leaves out.
    const request = await readRequest(join(root, '.workers-version'))
    expect(await readdir(join(root, 'build/server/assets'))).toContainEqual(
      expect.stringMatching(/^server-build-.+\.css$/),
    )
    expect(
      request.modules
        .map((m) => m.name)
        .filter((name) => !name.endsWith('.map'))
        .sort(),
    ).toEqual([
      expect.stringMatching(/^assets\/chunk-.+\.js$/),
      expect.stringMatching(/^assets\/server-build-.+\.js$/),
      'index.js',
    ])

    const [ours] = emulator().versions(WORKER)
    const preview = ours!.urls[0]!
    // The index is rendered by the Worker: the loader read the wrangler config's var.
    const home = await navigate(preview)
    expect(home.status).toBe(200)
    expect(home.text).toContain('Welcome: <!-- -->Hello from Cloudflare')
    const files = await expectPageAssetsServed(preview, home.text, { css: true })
    expect([...files.entries()].find(([path]) => path.endsWith('.css'))?.[1]).toContain('#2a4b6c')
    // A deep link is rendered on the server too, and an unknown one gets React Router's 404 page.
    const about = await navigate(new URL('about', preview))
    expect(about.status).toBe(200)
    expect(about.text).toContain('About this app')
    expect((await navigate(new URL('no/such/page', preview))).status).toBe(404)
    // The resource route.
    const api = await fetch(new URL('api/hello', preview))
    expect(await api.json()).toEqual({ hello: 'from react router' })

    // wrangler, on the same build output: it follows the Cloudflare plugin's redirected config
    // (`.wrangler/deploy/config.json` → `build/server/wrangler.json`) to the same Worker.
    await runWrangler(emulator(), ['versions', 'upload'], root)
    const versions = emulator().versions(WORKER)
    expect(versions).toHaveLength(2)
    const theirs = versions[1]!
    const withoutAssetsToken = ({
      modules: _modules,
      assets,
      ...rest
    }: Record<string, unknown>) => ({ ...rest, assets: { ...(assets as object), jwt: undefined } })
    // Every field but the modules and the assets token (a fresh one per upload; ours is redacted in
    // request.json): main module, compatibility date and flags, bindings, assets config.
    expect(withoutAssetsToken(request as never)).toEqual(withoutAssetsToken(theirs.request))
    // The same modules, byte for byte and with the same content types, source maps included (the
    // generated config sets `upload_source_maps`), and neither sends the stylesheet.
    const shape = (
      modules: Array<{ name: string; content_type: string; content_base64: string }>,
    ) =>
      modules
        .map((m) => ({
          name: m.name,
          content_type: m.content_type,
          content_base64: m.content_base64,
        }))
        .sort((a, b) => a.name.localeCompare(b.name))
    expect(shape(request.modules)).toEqual(shape(theirs.modules))
    expect(theirs.modules.map((m) => m.name)).toContainEqual(expect.stringMatching(/\.js\.map$/))
    // The same assets manifest: the client build, as both upload sessions sent it and as ours wrote it.
    const sessions = emulator().assets.sessions.filter((s) => s.scriptName === WORKER)
    expect(sessions).toHaveLength(2)
    expect(sessions[0]!.manifest).toEqual(sessions[1]!.manifest)
    expect(
      JSON.parse(await readFile(join(root, '.workers-version/assets-manifest.json'), 'utf8')),
    ).toEqual(sessions[1]!.manifest)
    expect(Object.keys(sessions[0]!.manifest)).toContainEqual(
      expect.stringMatching(/^\/assets\/root-.+\.css$/),
    )
  })
})
