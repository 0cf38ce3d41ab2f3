import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { request } from 'undici'
import { afterEach, beforeEach, expect, vi } from 'vitest'
import type { Emulator } from '../../src/emulator/index.js'
import { tempDir } from './fixture.js'
import { rollupUpload } from './rollup-upload.js'

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

/** The CI variables the plugin reads in-process to decide and describe a Preview. */
const CI_VARIABLES = [
  ...['WORKERS_CI_BRANCH', 'WORKERS_CI_COMMIT_SHA', 'GITHUB_HEAD_REF', 'GITHUB_REF_NAME'],
  ...['GITHUB_REF', 'GITHUB_REF_TYPE', 'GITHUB_EVENT_NAME', 'GITHUB_SHA', 'GITHUB_EVENT_PATH'],
  ...['GITHUB_REPOSITORY', 'GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY'],
  ...['CI_COMMIT_REF_NAME', 'CI_COMMIT_SHA', 'CI_COMMIT_TAG', 'CI_MERGE_REQUEST_IID'],
  ...['CI_PIPELINE_SOURCE', 'BITBUCKET_BRANCH', 'BITBUCKET_TAG', 'BITBUCKET_PR_ID'],
  ...['CIRCLE_BRANCH', 'CIRCLE_SHA1', 'CIRCLE_TAG', 'CIRCLE_PULL_REQUEST', 'CIRCLE_PR_NUMBER'],
  ...['BUILDKITE_BRANCH', 'BUILDKITE_COMMIT', 'BUILDKITE_TAG', 'BUILDKITE_PULL_REQUEST'],
]

/** Hides every CI variable the machine running the tests may have, until `vi.unstubAllEnvs()`. */
export function clearCiEnvironment(): void {
  for (const name of CI_VARIABLES) vi.stubEnv(name, '')
}

/** Each test of the file starts with no CI variable set, sets its own, and has them restored after it. */
export function useNoCiEnvironment(): void {
  beforeEach(clearCiEnvironment)
  afterEach(() => {
    vi.unstubAllEnvs()
  })
}

/**
 * Writes a Worker of one file (`src/index.js`, holding `source`) and its `wrangler.json` (`wrangler`,
 * named `worker`) into `dir`, a new temporary directory when not given, then builds it with Rollup
 * and the plugin uploading to the emulator under `extra` (a Preview, a promote …), creating the
 * Worker when missing; the version settings come from the wrangler config. Resolves with the
 * project's directory.
 */
export async function buildWorkerProject(
  emulator: Emulator,
  project: { worker: string; source: string; wrangler: Record<string, unknown>; dir?: string },
  extra: Record<string, unknown>,
): Promise<string> {
  const root = project.dir ?? (await tempDir('previews'))
  await mkdir(join(root, 'src'), { recursive: true })
  await writeFile(join(root, 'src/index.js'), project.source)
  await writeFile(
    join(root, 'wrangler.json'),
    JSON.stringify({ name: project.worker, ...project.wrangler }),
  )
  await rollupUpload(
    emulator,
    root,
    project.worker,
    { root, createWorker: true, version: undefined, ...extra },
    { input: join(root, 'src/index.js') },
  )
  return root
}
