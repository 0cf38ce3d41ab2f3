/** The emulator's assets endpoints and a version whose preview serves its assets through workerd. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'
import { readAssetsDirectory, manifestBody } from '../../src/assets/manifest.js'
import { uploadAssets } from '../../src/api/assets.js'
import { api, b64, versionsPath } from './helpers.js'
import { previewOrigin } from '../../src/emulator/preview-origin.js'

let emu: Emulator
let root: string
beforeAll(async () => {
  emu = await startEmulator({ token: 'assets-test-token', autoCreateWorkers: true })
  root = await mkdtemp(join(tmpdir(), 'emulator-assets-'))
  const files: Record<string, string> = {
    'index.html': '<!doctype html><h1>Home page</h1>',
    'about/index.html': '<h1>About</h1>',
    'assets/x.css': 'body { color: rebeccapurple }',
    'assets/app.js': 'console.log("client")',
  }
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, name)), { recursive: true })
    await writeFile(join(root, name), text)
  }
})
afterAll(async () => {
  await emu.close()
  await rm(root, { recursive: true, force: true })
})

const WORKER = `export default {
  async fetch(request, env) {
    const url = new URL(request.url)
    if (url.pathname.startsWith('/api/')) return Response.json({ api: url.pathname, url: request.url })
    if (url.pathname === '/old') return Response.redirect(new URL('/about/', request.url), 307)
    // Anything else the Worker sees goes to the assets binding.
    return env.ASSETS.fetch(request)
  }
}
`

function versionBody(jwt: string, config: Record<string, unknown>): Record<string, unknown> {
  return {
    main_module: 'index.js',
    modules: [
      {
        name: 'index.js',
        content_type: 'application/javascript+module',
        content_base64: b64(WORKER),
      },
      {
        name: '_headers',
        content_type: 'text/plain',
        content_base64: b64('/assets/*\n  X-From-Headers: yes\n'),
      },
    ],
    compatibility_date: '2025-01-01',
    bindings: [{ type: 'assets', name: 'ASSETS' }],
    assets: { jwt, config },
  }
}

async function upload(scriptName: string): Promise<string> {
  const manifest = await readAssetsDirectory(root)
  const result = await uploadAssets({
    baseUrl: emu.url,
    credentials: { apiToken: emu.token },
    accountId: emu.accountId,
    scriptName,
    manifest,
  })
  return result.jwt
}

describe('emulator assets', () => {
  it('keeps the request headers as sent: a navigation to an SPA deep link gets index.html, a fetch of it reaches the Worker', async () => {
    const jwt = await upload('spa-navigation')
    const body = versionBody(jwt, { not_found_handling: 'single-page-application' })
    // A Worker that answers everything it sees with its own 404; compatibility date past 2025-04-01,
    // when navigations prefer the assets (assets_navigation_prefers_asset_serving).
    body.modules = [
      {
        name: 'index.js',
        content_type: 'application/javascript+module',
        content_base64: b64(
          'export default { fetch() { return new Response("from the worker", { status: 404 }) } }',
        ),
      },
    ]
    body.compatibility_date = '2025-06-01'
    const created = await api(emu, 'POST', versionsPath(emu, 'spa-navigation'), body)
    expect(created.status).toBe(200)
    const deepLink = new URL('settings/profile', created.json.result.urls[0] as string)

    // undici's request, not fetch: fetch itself sets Sec-Fetch-Mode to `cors`, as a browser's fetch() would.
    const navigation = await request(deepLink, {
      headers: { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', accept: 'text/html' },
    })
    expect(navigation.statusCode).toBe(200)
    expect(await navigation.body.text()).toContain('Home page')
    const script = await request(deepLink, { headers: { 'sec-fetch-mode': 'cors' } })
    expect(script.statusCode).toBe(404)
    expect(await script.body.text()).toBe('from the worker')
  })

  it("serves a version's assets: /, an SPA deep link, a CSS file with _headers, and the Worker first for /api/*", async () => {
    const jwt = await upload('spa')
    const created = await api(
      emu,
      'POST',
      versionsPath(emu, 'spa'),
      versionBody(jwt, {
        not_found_handling: 'single-page-application',
        run_worker_first: ['/api/*'],
      }),
    )
    expect(created.status).toBe(200)
    const url = created.json.result.urls[0] as string

    const home = await fetch(url)
    expect(home.status).toBe(200)
    expect(await home.text()).toContain('Home page')

    const deep = await fetch(new URL('dashboard/settings/42', url))
    expect(deep.status).toBe(200)
    expect(await deep.text()).toContain('Home page')

    const css = await fetch(new URL('assets/x.css', url))
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toContain('text/css')
    expect(css.headers.get('x-from-headers')).toBe('yes')
    expect(await css.text()).toBe('body { color: rebeccapurple }')

    const apiReply = await fetch(new URL('api/users', url))
    expect(await apiReply.json()).toMatchObject({ api: '/api/users' })

    // The stored version keeps the request's assets (jwt, config).
    expect(emu.versions('spa')[0]?.request.assets).toMatchObject({
      config: { not_found_handling: 'single-page-application' },
    })
    expect(emu.versions('spa')[0]?.assetsManifest).toEqual(
      manifestBody(await readAssetsDirectory(root)),
    )
  })

  it("serves each version on an origin of its own: the page's absolute asset URLs, a redirect, a navigation deep link, the Worker first for /api/*", async () => {
    const jwt = await upload('origin-spa')
    const config = {
      not_found_handling: 'single-page-application',
      run_worker_first: ['/api/*', '/old'],
    }
    const first = await api(emu, 'POST', versionsPath(emu, 'origin-spa'), versionBody(jwt, config))
    const second = await api(emu, 'POST', versionsPath(emu, 'origin-spa'), versionBody(jwt, config))
    const url = second.json.result.urls[0] as string
    const origin = `${new URL(emu.origin).protocol}//${(second.json.result.id as string).slice(0, 8)}-origin-spa.localhost:${new URL(emu.origin).port}`
    expect(url).toBe(`${origin}/`)
    expect(first.json.result.urls[0]).not.toBe(url)

    // What a browser does with the page: `/assets/x.css` is resolved against the preview's own origin.
    const css = await request(new URL('/assets/x.css', new URL('/dashboard/deep', url)))
    expect(css.statusCode).toBe(200)
    expect(await css.body.text()).toBe('body { color: rebeccapurple }')
    // The Worker sees the URL the client asked for, so its redirects stay on the preview.
    const apiReply = await request(new URL('/api/me', url))
    expect(await apiReply.body.json()).toEqual({ api: '/api/me', url: `${origin}/api/me` })
    const redirect = await request(new URL('/old', url))
    expect(redirect.statusCode).toBe(307)
    expect(redirect.headers.location).toBe(`${origin}/about/`)
    await redirect.body.dump()
    const followed = await request(redirect.headers.location as string)
    expect(followed.statusCode).toBe(200)
    expect(await followed.body.text()).toContain('About')
    const navigation = await request(new URL('/settings/profile', url), {
      headers: { 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', accept: 'text/html' },
    })
    expect(navigation.statusCode).toBe(200)
    expect(await navigation.body.text()).toContain('Home page')

    // A host that names no version is no preview: its requests are routed as the API's are, never to another Worker.
    const unknown = await request(
      new URL('/', url.replace(/^(https?:\/\/)[0-9a-f]{8}/, '$100000000')),
    )
    expect(unknown.statusCode).toBe(404)
    expect(await unknown.body.json()).toMatchObject({ errors: [{ code: 7000 }] })
  })

  it('serves a deployment on its own origin, split as its traffic is', async () => {
    const jwt = await upload('origin-deployed')
    const created = await api(
      emu,
      'POST',
      `${versionsPath(emu, 'origin-deployed')}?deploy=true`,
      versionBody(jwt, {}),
    )
    expect(created.status).toBe(200)
    const [deployment] = emu.deployments('origin-deployed')
    const { port, protocol } = new URL(emu.origin)
    const origin = previewOrigin(
      'deployment',
      deployment!.id,
      'origin-deployed',
      Number(port),
      protocol as 'http:' | 'https:',
    )
    expect(origin).toBe(
      `${protocol}//${deployment!.id.slice(0, 8)}-origin-deployed.localhost:${port}`,
    )
    const home = await request(`${origin}/api/x`)
    expect(await home.body.json()).toEqual({ api: '/api/x', url: `${origin}/api/x` })
  })

  it('answers 404 for unknown paths without the SPA fallback, and serves html_handling', async () => {
    const jwt = await upload('site')
    const created = await api(
      emu,
      'POST',
      versionsPath(emu, 'site'),
      versionBody(jwt, { html_handling: 'drop-trailing-slash', not_found_handling: 'none' }),
    )
    expect(created.status).toBe(200)
    const url = created.json.result.urls[0] as string
    expect((await fetch(new URL('nope/deeper', url))).status).toBe(404)
    const about = await fetch(new URL('about', url))
    expect(about.status).toBe(200)
    expect(await about.text()).toContain('About')
  })

  it("refuses an upload token, an unknown token and another Worker's completion token as assets.jwt", async () => {
    const jwt = await upload('owner')
    const other = await api(emu, 'POST', versionsPath(emu, 'not-owner'), versionBody(jwt, {}))
    expect(other.status).toBe(400)
    expect(other.json.errors[0]).toMatchObject({ code: 10021, source: { pointer: '/assets/jwt' } })
    const bogus = await api(emu, 'POST', versionsPath(emu, 'owner'), versionBody('a.b.c', {}))
    expect(bogus.status).toBe(400)

    emu.assets.forget()
    const session = await api(
      emu,
      'POST',
      `${emu.url}/accounts/${emu.accountId}/workers/scripts/owner/assets-upload-session`,
      {
        manifest: manifestBody(await readAssetsDirectory(root)),
      },
    )
    expect(session.json.result.buckets.flat()).toHaveLength(4)
    const withUploadToken = await api(
      emu,
      'POST',
      versionsPath(emu, 'owner'),
      versionBody(session.json.result.jwt, {}),
    )
    expect(withUploadToken.status).toBe(400)
  })

  it('checks the bucket upload: upload token required, parts must be files of the session with the right hash', async () => {
    emu.assets.forget()
    const manifest = await readAssetsDirectory(root)
    const session = await api(
      emu,
      'POST',
      `${emu.url}/accounts/${emu.accountId}/workers/scripts/checks/assets-upload-session`,
      { manifest: manifestBody(manifest) },
    )
    const uploadToken = session.json.result.jwt as string
    const claims = JSON.parse(
      Buffer.from(uploadToken.split('.')[1] ?? '', 'base64url').toString(),
    ) as { exp: number }
    expect(claims.exp * 1000).toBeGreaterThan(Date.now() + 30 * 60_000)

    const uploadUrl = `${emu.url}/accounts/${emu.accountId}/workers/assets/upload?base64=true`
    const file = manifest.files[0]
    if (!file) throw new Error('no file')
    const form = (contents: string) => {
      const f = new FormData()
      f.append(file.hash, new Blob([b64(contents)], { type: 'text/html' }), file.hash)
      return f
    }
    const withApiToken = await fetch(uploadUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.token}` },
      body: form('x'),
    })
    expect(withApiToken.status).toBe(401)
    const wrongBytes = await fetch(uploadUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${uploadToken}` },
      body: form('not the file'),
    })
    expect(wrongBytes.status).toBe(400)
    const f = new FormData()
    f.append('0'.repeat(32), new Blob([b64('x')]), '0'.repeat(32))
    const stranger = await fetch(uploadUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${uploadToken}` },
      body: f,
    })
    expect(stranger.status).toBe(400)
    expect(emu.assets.heldHashes()).toEqual([])
  })
})
