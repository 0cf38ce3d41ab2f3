/**
 * The full-stack playground, deployed to the emulator, in a real browser: headless Chromium (the
 * system's, driven by playwright-core) opens the version's preview URL as a user would. It loads
 * the page with its JS and CSS, follows a client-side link, reloads on that deep link and calls
 * the API, with no console error and no failed request. Skips only where no Chromium is installed.
 */
import { existsSync } from 'node:fs'
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { TEST_ROOT, tempDir } from '../helpers/fixture.js'
import { uploadOptions, useEmulator } from '../helpers/emulator.js'
import { deployViteApp } from '../helpers/vite-app.js'

const PLAYGROUND = join(TEST_ROOT, '../playground')
const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
].filter((path): path is string => !!path)
const CHROMIUM = CANDIDATES.find((path) => existsSync(path))
const SKIPPED = `no Chromium found (looked at ${CANDIDATES.join(', ')}): install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH`

// Plain http even in the TLS pass: Chromium keeps its own trust store, which this test leaves alone.
const emulator = useEmulator({ tls: false })
let browser: Browser | undefined
afterAll(() => browser?.close())

describe("the playground's preview in Chromium", () => {
  it.skipIf(!CHROMIUM)(
    `loads the page, its JS and CSS, follows a client-side link, reloads on the deep link and calls the API${CHROMIUM ? '' : ` (skipped: ${SKIPPED})`}`,
    async () => {
      const root = await tempDir('browser-playground')
      await cp(PLAYGROUND, root, {
        recursive: true,
        filter: (source) =>
          !/\/(dist|\.workers-version|node_modules|\.wrangler)(\/|$)/.test(source),
      })
      await deployViteApp(
        root,
        {},
        {
          ...uploadOptions(emulator(), 'unused', {
            upload: undefined,
            worker: undefined,
            version: undefined,
            gitAnnotations: false,
          }),
          promote: true,
        },
      )
      const preview = emulator().versions('playground')[0]!.urls[0]!
      expect(preview).toMatch(/^http:\/\/[0-9a-f]{8}-playground\.localhost:\d+\/$/)

      // Chromium resolves *.localhost to loopback itself; the emulator listens on 127.0.0.1 only.
      browser = await chromium.launch({
        executablePath: CHROMIUM!,
        args: ['--no-sandbox', '--no-proxy-server'],
      })
      const page = await browser.newPage()
      const problems: string[] = []
      const loaded: string[] = []
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console error: ${message.text()}`)
      })
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
      page.on('requestfailed', (request) =>
        problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`),
      )
      page.on('response', (response) => {
        loaded.push(new URL(response.url()).pathname)
        if (response.status() >= 400) problems.push(`${response.status()} for ${response.url()}`)
      })

      // Expressions run in the page are strings: the tests are compiled without DOM types.
      const home = await page.goto(preview)
      expect(home?.status()).toBe(200)
      await expect.poll(() => page.textContent('#api')).toContain('from the Worker')
      expect(await page.textContent('#route')).toBe('Home')
      // The script and the stylesheet came from the preview's own origin, absolute paths and all.
      expect(loaded.filter((path) => /^\/assets\/.+\.js$/.test(path))).not.toEqual([])
      expect(loaded.filter((path) => /^\/assets\/.+\.css$/.test(path))).not.toEqual([])
      expect(await page.evaluate('getComputedStyle(document.body).fontFamily')).toContain(
        'system-ui',
      )

      // A client-side link: the URL changes, the page is not loaded again.
      await page.evaluate('window.sameDocument = true')
      await page.click('a[href="/settings/deep-link"]')
      await expect.poll(() => page.textContent('#route')).toBe('Settings')
      expect(new URL(page.url()).pathname).toBe('/settings/deep-link')
      expect(await page.evaluate('window.sameDocument')).toBe(true)

      // A reload on the deep link is a navigation: the SPA fallback serves the page, which shows the same view.
      const reloaded = await page.reload()
      expect(reloaded?.status()).toBe(200)
      expect(await page.evaluate('window.sameDocument')).toBeUndefined()
      await expect.poll(() => page.textContent('#route')).toBe('Settings')
      await expect.poll(() => page.textContent('#api')).toContain('from the Worker')
      expect(JSON.parse((await page.textContent('#api'))!)).toEqual({
        hello: 'from the Worker',
        greeting: 'hi from a plain_text binding',
      })

      expect(problems).toEqual([])
    },
  )
})
