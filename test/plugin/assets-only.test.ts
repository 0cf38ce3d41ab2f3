import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from 'vite'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { REDACTION } from '../../src/core/redact.js'
import vitePlugin from '../../src/vite.js'
import { tempDir } from '../helpers/fixture.js'
import { uploadOptions, useEmulator } from '../helpers/emulator.js'
import { deployViteApp } from '../helpers/vite-app.js'

const emulator = useEmulator()

afterEach(() => {
  vi.restoreAllMocks()
})

/** A static site as `create-vite` makes one: a page, its script, a public file. */
async function staticSite(): Promise<string> {
  const root = await tempDir('assets-only')
  await mkdir(join(root, 'src'), { recursive: true })
  await mkdir(join(root, 'public'), { recursive: true })
  await writeFile(
    join(root, 'index.html'),
    '<!doctype html><html><body><h1>Static site</h1><script type="module" src="/src/main.js"></script></body></html>\n',
  )
  await writeFile(
    join(root, 'src/main.js'),
    "document.querySelector('h1').textContent += ' (scripted)'\n",
  )
  await writeFile(join(root, 'public/robots.txt'), 'User-agent: *\n')
  return root
}

async function buildSite(root: string, outputDir: string, options: Record<string, unknown>) {
  await build({
    root,
    configFile: false,
    logLevel: 'silent',
    build: { outDir: join(root, 'dist') },
    plugins: [vitePlugin({ outputDir, ...options } as never)],
  })
}

const readJson = async (file: string) =>
  JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown> & { assets: { jwt?: string } }

describe('an assets-only Worker (a static site, no Worker code)', () => {
  it('uploads its assets and a version without code, as wrangler does; the preview serves the page and its files', async () => {
    const root = await staticSite()
    vi.spyOn(console, 'log').mockImplementation(() => undefined)
    const options = {
      assets: { directory: 'dist' },
      version: { compatibility_date: '2025-01-01' },
      gitAnnotations: false,
    }
    await buildSite(root, join(root, '.dry-run'), { worker: 'static-site', ...options })
    await buildSite(
      root,
      join(root, '.workers-version'),
      uploadOptions(emulator(), 'static-site', options),
    )

    const [version] = emulator().versions('static-site')
    expect(version).toBeDefined()
    // What the API received: no main module, no modules, no bindings; the assets token.
    expect(version!.request).not.toHaveProperty('main_module')
    expect(version!.request).not.toHaveProperty('modules')
    expect(version!.request).not.toHaveProperty('bindings')
    expect(version!.request).toMatchObject({
      compatibility_date: '2025-01-01',
      assets: { jwt: expect.any(String) },
    })

    const preview = version!.urls[0]!
    const page = await fetch(preview)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('<h1>Static site</h1>')
    const script = /src="(\/assets\/index-[^"]+\.js)"/.exec(html)?.[1]
    expect(script).toBeDefined()
    const js = await fetch(new URL(script!.slice(1), preview))
    expect(js.status).toBe(200)
    expect(await js.text()).toContain('(scripted)')
    expect(await (await fetch(new URL('robots.txt', preview))).text()).toBe('User-agent: *\n')
    expect((await fetch(new URL('no-such-page', preview))).status).toBe(404)

    // The dry run writes the same request.json, without the token it could not have.
    const { assets, ...sent } = await readJson(join(root, '.workers-version/request.json'))
    expect(assets).toEqual({ jwt: REDACTION })
    expect(sent).toEqual({ compatibility_date: '2025-01-01' })
    expect(await readJson(join(root, '.dry-run/request.json'))).toEqual(sent)
  })

  it('with @cloudflare/vite-plugin and a wrangler config without `main`: the client build is the version, its assets config kept', async () => {
    const root = await staticSite()
    await writeFile(
      join(root, 'wrangler.jsonc'),
      '{ "name": "cf-static", "compatibility_date": "2025-01-01", "assets": { "not_found_handling": "single-page-application" } }\n',
    )
    vi.spyOn(console, 'log').mockImplementation(() => undefined)
    await deployViteApp(
      root,
      {},
      uploadOptions(emulator(), 'unused', {
        upload: undefined,
        worker: undefined,
        version: undefined,
        gitAnnotations: false,
      }),
    )
    const [version] = emulator().versions('cf-static')
    expect(version!.request).toEqual({
      assets: {
        jwt: expect.any(String),
        config: { not_found_handling: 'single-page-application' },
      },
      compatibility_date: '2025-01-01',
      compatibility_flags: [],
    })
    // A deep link of the single-page app gets the page, as on Cloudflare.
    const deepLink = await fetch(new URL('settings/profile', version!.urls[0]!), {
      headers: { 'Sec-Fetch-Mode': 'navigate', Accept: 'text/html' },
    })
    expect(deepLink.status).toBe(200)
    expect(await deepLink.text()).toContain('<h1>Static site</h1>')
  })

  it('is not taken for Worker code without an assets directory: the error says what to set', async () => {
    const root = await staticSite()
    await expect(
      buildSite(root, join(root, '.workers-version'), {
        worker: 'static-site',
        version: { compatibility_date: '2025-01-01' },
      }),
    ).rejects.toThrow(
      /build is a static site \(HTML pages whose scripts run in the browser\), not Worker code\. To deploy it as an assets-only Worker, set the `assets\.directory` option/,
    )
  })

  it('refuses bindings, which no code could read', async () => {
    const root = await staticSite()
    await expect(
      buildSite(root, join(root, '.workers-version'), {
        worker: 'static-site',
        assets: { directory: 'dist', binding: 'ASSETS' },
        version: { compatibility_date: '2025-01-01' },
      }),
    ).rejects.toThrow(
      /no Worker code \(an assets-only Worker[^)]*\), so nothing can use the bindings ASSETS/,
    )
  })
})
