import { cloudflare } from '@cloudflare/vite-plugin'
import { createBuilder } from 'vite'
import { expect } from 'vitest'
import vitePlugin from '../../src/vite.js'

type CloudflareOptions = NonNullable<Parameters<typeof cloudflare>[0]>

/**
 * `vite build --mode deploy` of an app with `@cloudflare/vite-plugin`, as the CLI runs it (an app
 * build): the Cloudflare plugin with `cloudflareOptions` (no inspector, no persisted state), then
 * this plugin with `options`.
 */
export async function deployViteApp(
  root: string,
  cloudflareOptions: CloudflareOptions,
  options: Record<string, unknown>,
): Promise<void> {
  const builder = await createBuilder({
    root,
    mode: 'deploy',
    configFile: false,
    logLevel: 'silent',
    plugins: [
      cloudflare({ inspectorPort: false, persistState: false, ...cloudflareOptions }),
      vitePlugin(options as never),
    ],
  })
  await builder.buildApp()
}

/** The full-stack fixture's client, as its preview serves it: the page, and an SPA deep link answered with the same page. */
export async function expectClientServed(preview: string): Promise<void> {
  const page = await fetch(preview)
  expect(page.status).toBe(200)
  expect(await page.text()).toContain('Hello from the client')
  const deepLink = await fetch(new URL('settings/profile', preview))
  expect(deepLink.status).toBe(200)
  expect(await deepLink.text()).toContain('Hello from the client')
}

/**
 * `vite build --mode deploy` of a project as its own `vite.config` sets it up (a stock template with
 * `cloudflare()` among its plugins), with this plugin appended as a user would add it.
 */
export async function deployViteProject(
  root: string,
  options: Record<string, unknown>,
): Promise<void> {
  const builder = await createBuilder({
    root,
    mode: 'deploy',
    logLevel: 'silent',
    plugins: [vitePlugin(options as never)],
  })
  await builder.buildApp()
}
