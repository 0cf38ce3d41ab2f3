import { request } from 'undici'
import { expect } from 'vitest'

export interface PreviewResponse {
  status: number
  contentType: string
  text: string
}

/**
 * Opens a preview URL as a browser's page load does, with `Sec-Fetch-Mode: navigate`. Through
 * undici's `request`: `fetch()` overwrites that header with `cors`, and Cloudflare answers an SPA's
 * deep link with `index.html` only for navigations.
 */
export async function navigate(url: URL | string): Promise<PreviewResponse> {
  const response = await request(url, {
    headers: { 'sec-fetch-mode': 'navigate', accept: 'text/html' },
  })
  return {
    status: response.statusCode,
    contentType: String(response.headers['content-type'] ?? ''),
    text: await response.body.text(),
  }
}

/** The same-origin `/assets/…` files an HTML page loads: scripts, stylesheets and module preloads. */
export function assetPaths(html: string): string[] {
  return [
    ...new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((match) => match[1]!)),
  ]
}

/**
 * Fetches every `/assets/…` file the page loads from the preview and expects each served with its
 * type: at least one script and, when `css`, one stylesheet. Resolves with the files' texts by path.
 */
export async function expectPageAssetsServed(
  preview: string,
  html: string,
  { css }: { css: boolean },
): Promise<Map<string, string>> {
  const paths = assetPaths(html)
  expect(paths.filter((path) => path.endsWith('.js')).length).toBeGreaterThan(0)
  if (css) expect(paths.filter((path) => path.endsWith('.css')).length).toBeGreaterThan(0)
  const texts = new Map<string, string>()
  for (const path of paths) {
    const response = await fetch(new URL(path, preview))
    expect({ path, status: response.status }).toEqual({ path, status: 200 })
    const type = path.endsWith('.css') ? 'text/css' : 'text/javascript'
    expect({ path, type: response.headers.get('content-type') }).toEqual({
      path,
      type: expect.stringContaining(type),
    })
    texts.set(path, await response.text())
  }
  return texts
}
