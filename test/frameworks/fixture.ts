/**
 * The framework fixtures (test/fixtures/framework-*): each has its own package.json and lockfile and is
 * installed by `node scripts/install-framework-fixtures.mjs`, not by the root `npm ci`. A test copies the
 * fixture to the system's temporary directory, links the fixture's node_modules into the copy (so a
 * build's output never lands in the fixture, where lint and typecheck would read it), and runs the
 * framework's own CLI there.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { cp, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { expect } from 'vitest'
import type { Emulator, StoredVersion } from '../../src/emulator/index.js'
import { TEST_ROOT } from '../helpers/fixture.js'
import { navigate } from '../helpers/preview.js'
import { runWrangler } from '../helpers/wrangler.js'

export const INSTALL_COMMAND = 'node scripts/install-framework-fixtures.mjs'
/** The stamp the install script writes: the hash of the lockfile node_modules was installed from. */
const STAMP = 'node_modules/.installed-from-lockfile'

const fixtureDir = (name: string) => join(TEST_ROOT, 'fixtures', name)

/**
 * Whether the fixture can run here: its node_modules are installed, and this Node is one that each of
 * `packages` (the framework's own, read from the fixture's node_modules) supports by its `engines.node`
 * (Astro 7 and React Router 8 need a newer Node 22 than this package's floor). A test file skips, saying
 * why, only in those cases; installed from another lockfile is an error, not a skip.
 */
export function fixtureReady(
  name: string,
  packages: string[],
): { ready: true } | { ready: false; reason: string } {
  const modules = join(fixtureDir(name), 'node_modules')
  if (!existsSync(modules))
    return {
      ready: false,
      reason: `test/fixtures/${name}/node_modules is not installed: run \`${INSTALL_COMMAND}\``,
    }
  for (const pkg of packages) {
    const { version, engines } = JSON.parse(
      readFileSync(join(modules, pkg, 'package.json'), 'utf8'),
    ) as { version: string; engines?: { node?: string } }
    if (engines?.node && !nodeSatisfies(engines.node, process.versions.node))
      return {
        ready: false,
        reason: `${pkg} ${version} needs Node ${engines.node}; this is ${process.versions.node}`,
      }
  }
  return { ready: true }
}

/** `version` against an `engines.node` range made of `>=x.y.z`, `^x.y.z` and `x.y.z` alternatives joined by `||`. */
export function nodeSatisfies(range: string, version: string): boolean {
  const parse = (v: string) =>
    v
      .replace(/^v/, '')
      .split('.')
      .map((part) => Number.parseInt(part, 10) || 0)
  const compare = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!
  const have = parse(version)
  return range.split('||').some((alternative) => {
    const match = /^\s*(>=|\^)?\s*v?(\d+(?:\.\d+){0,2})\s*$/.exec(alternative)
    if (!match) throw new Error(`engines.node range not understood: ${range}`)
    const want = parse(match[2]!)
    if (match[1] === '>=') return compare(have, want) >= 0
    if (match[1] === '^') return have[0] === want[0] && compare(have, want) >= 0
    return compare(have, want) === 0
  })
}

function expectInstalledFromLockfile(name: string): void {
  const dir = fixtureDir(name)
  const lockHash = createHash('sha256')
    .update(readFileSync(join(dir, 'package-lock.json')))
    .digest('hex')
  const stamp = existsSync(join(dir, STAMP))
    ? readFileSync(join(dir, STAMP), 'utf8').trim()
    : 'none'
  if (stamp !== lockHash)
    throw new Error(
      `test/fixtures/${name}/node_modules was not installed from its package-lock.json: run \`${INSTALL_COMMAND}\``,
    )
}

/** This repository's build of the plugin's Vite entry, which the fixtures' configs import by a relative path. */
const PLUGIN_VITE_ENTRY = resolve(TEST_ROOT, '../dist/vite.js')

/**
 * A copy of the fixture in the system's temporary directory, outside this repository (so no git
 * commit annotates the version, as none does wrangler's), with the fixture's node_modules linked in
 * and the configs' relative import of the plugin pointed at this repository's build.
 * `nodeModules: 'files'` gives the copy a node_modules of its own (hard links, or copies across file
 * systems) for a framework that cannot build through a linked one: RedwoodSDK's directive scan joins
 * the project's path with the packages' real paths.
 */
export async function copyFrameworkFixture(
  name: string,
  { nodeModules = 'link' }: { nodeModules?: 'link' | 'files' } = {},
): Promise<string> {
  expectInstalledFromLockfile(name)
  const dir = await mkdtemp(join(tmpdir(), `${name}-`))
  const source = fixtureDir(name)
  await cp(source, dir, {
    recursive: true,
    filter: (path) => path !== join(source, 'node_modules'),
  })
  if (nodeModules === 'link')
    await symlink(join(source, 'node_modules'), join(dir, 'node_modules'), 'dir')
  else await linkOrCopyTree(join(source, 'node_modules'), join(dir, 'node_modules'))
  for (const config of await readdir(dir)) {
    if (!/\.config\.m?js$/.test(config)) continue
    const file = join(dir, config)
    const text = await readFile(file, 'utf8')
    await writeFile(
      file,
      text.replace(
        "'../../../dist/vite.js'",
        JSON.stringify(pathToFileURL(PLUGIN_VITE_ENTRY).href),
      ),
    )
  }
  return dir
}

/** `cp -al` (hard links: fast, no space), or `cp -a` where hard links cannot cross file systems. */
async function linkOrCopyTree(from: string, to: string): Promise<void> {
  const cpTree = (flags: string) =>
    new Promise<void>((resolvePromise, reject) =>
      execFile('cp', [flags, from, to], (error, _stdout, stderr) =>
        error ? reject(new Error(`cp ${flags} failed: ${stderr}`)) : resolvePromise(),
      ),
    )
  try {
    await cpTree('-al')
  } catch {
    await rm(to, { recursive: true, force: true })
    await cpTree('-a')
  }
}

/** Removes a copy made by `copyFrameworkFixture` (the link, not the fixture's node_modules). */
export async function removeCopy(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true })
}

/**
 * Runs one of the fixture's own commands (`node_modules/.bin/<bin>`) in `root`, offline: a fresh HOME,
 * no telemetry, and Miniflare's `Request.cf` download (which a prerender would start) off. `env` adds
 * variables (the API's, for a build that uploads). Rejects with both output streams when it fails.
 */
export async function runFrameworkBin(
  root: string,
  bin: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'framework-home-'))
  const childEnv = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_CONFIG_HOME: home,
    CI: 'true',
    NO_COLOR: '1',
    DO_NOT_TRACK: '1',
    ASTRO_TELEMETRY_DISABLED: '1',
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    ...env,
  }
  try {
    return await new Promise((resolvePromise, reject) => {
      execFile(
        join(root, 'node_modules/.bin', bin),
        args,
        { cwd: root, env: childEnv, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`${bin} ${args.join(' ')} failed:\n${stdout}\n${stderr}`))
          else resolvePromise(`${stdout}\n${stderr}`)
        },
      )
    })
  } finally {
    await rm(home, { recursive: true, force: true })
  }
}

/**
 * `wrangler deploy` of the same build, with the annotations our version got from git (the commit's
 * hash and subject) passed as wrangler's `--tag` and `--message`, so that they compare too.
 */
export async function wranglerDeploy(
  emulator: Emulator,
  root: string,
  ours: StoredVersion,
): Promise<StoredVersion> {
  const { 'workers/tag': tag, 'workers/message': message } = ours.annotations
  await runWrangler(
    emulator,
    ['deploy', ...(tag ? ['--tag', tag] : []), ...(message ? ['--message', message] : [])],
    root,
  )
  return wranglersVersion(emulator, ours.worker)
}

/** The version a Worker got from `wrangler deploy`: the one that sent wrangler's `package_dependencies`. */
export function wranglersVersion(emulator: Emulator, worker: string): StoredVersion {
  const found = emulator.versions(worker).filter((v) => 'package_dependencies' in v.request)
  expect(found).toHaveLength(1)
  return found[0]!
}

type Module = { name: string; content_type: string; content_base64: string }
type Body = Record<string, unknown> & {
  modules?: Module[]
  assets?: { jwt?: string; config?: Record<string, unknown> }
}

/**
 * A version's body in the form both sides can be compared in, with the documented differences
 * applied to wrangler's side:
 * - `package_dependencies`: wrangler collects the project's dependencies; the plugin sends none
 *   unless `version.package_dependencies` is set.
 * - `_headers` / `_redirects`: wrangler sends them in `assets.config`; the plugin sends them as
 *   `text/plain` modules of those names, as the Create Version API documents.
 * - `assets.config`: wrangler sends an empty `{}` where the plugin leaves it out.
 * The assets upload token (`assets.jwt`) differs per upload and is left out of both.
 */
export function comparable(body: Body, from: 'plugin' | 'wrangler') {
  const modules = [...(body.modules ?? [])]
  let config = body.assets?.config ? { ...body.assets.config } : undefined
  if (from === 'wrangler' && config) {
    for (const file of ['_headers', '_redirects']) {
      if (typeof config[file] !== 'string') continue
      modules.push({
        name: file,
        content_type: 'text/plain',
        content_base64: Buffer.from(config[file] as string).toString('base64'),
      })
      delete config[file]
    }
    if (Object.keys(config).length === 0) config = undefined
  }
  const { package_dependencies: _dependencies, modules: _modules, assets, ...rest } = body
  return {
    ...rest,
    ...(assets && { assets: { ...assets, jwt: undefined, config } }),
    modules: modules
      .map((m) => ({
        name: m.name,
        content_type: m.content_type,
        content_base64: m.content_base64,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  }
}

/** Expects the two versions to be the same apart from the documented differences, and the assets manifests equal. */
export function expectSameAsWrangler(
  emulator: Emulator,
  worker: string,
  ours: StoredVersion,
  theirs: StoredVersion,
): void {
  expect('package_dependencies' in ours.request).toBe(false)
  expect(comparable(ours.request as Body, 'plugin')).toEqual(
    comparable(theirs.request as Body, 'wrangler'),
  )
  // Every upload session's manifest (wrangler's too: its version is multipart, so the emulator keeps
  // no asset set for it), and the asset set our version's upload token stands for.
  const sessions = emulator.assets.sessions.filter((s) => s.scriptName === worker)
  expect(sessions.length).toBeGreaterThanOrEqual(2)
  for (const session of sessions.slice(1)) expect(session.manifest).toEqual(sessions[0]!.manifest)
  expect(Object.keys(ours.assetsManifest ?? {}).length).toBeGreaterThan(0)
  expect(ours.assetsManifest).toEqual(sessions[0]!.manifest)
}

/** A title for a fixture's `describe`, naming why it skips when it does. */
export function titled(title: string, install: ReturnType<typeof fixtureReady>): string {
  return install.ready ? title : `${title} (skipped: ${install.reason})`
}

/**
 * Fetches `path` from a preview as a browser's navigation would and expects the status, the content
 * type and each of `contains` (strings or patterns) in the body. Resolves with the body.
 */
export async function expectServed(
  preview: string,
  path: string,
  expected: { status: number; type: string; contains?: Array<string | RegExp> },
): Promise<string> {
  const response = await navigate(new URL(path, preview))
  expect({ path, status: response.status, type: response.contentType }).toEqual({
    path,
    status: expected.status,
    type: expect.stringContaining(expected.type),
  })
  for (const part of expected.contains ?? []) expect(response.text).toMatch(part)
  return response.text
}

/**
 * The routes every fixture app has besides its pages, as a version serves them: the public file
 * (`public/robots.txt`), the API route (`/api/hello`) answering `api` as JSON, and a path no route
 * matches, answered 404 with `notFound`.
 */
export async function expectCommonRoutes(
  preview: string,
  {
    api,
    notFound,
  }: { api: unknown; notFound: { type: string; contains?: Array<string | RegExp> } },
): Promise<void> {
  await expectServed(preview, 'robots.txt', {
    status: 200,
    type: 'text/plain',
    contains: ['User-agent: *'],
  })
  expect(
    JSON.parse(await expectServed(preview, 'api/hello', { status: 200, type: 'application/json' })),
  ).toEqual(api)
  await expectServed(preview, 'no/such/page', { status: 404, ...notFound })
}
