/** Which miniflare runs versions, and how a failure to run one is answered. */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { realpathSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { previewFailure } from '../../src/emulator/create-version.js'
import { findMiniflare, MiniflareMissingError, pickMiniflare } from '../../src/emulator/miniflare.js'
import { runVersion, VersionStartupError } from '../../src/emulator/workerd.js'
import { b64 } from './helpers.js'

const REPO = resolve(import.meta.dirname, '../..')
const versionOf = async (dir: string) => (JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string }).version

let project: string
beforeAll(async () => {
  // A project that has @cloudflare/vite-plugin and no miniflare of its own: npm nests the plugin's
  // (a 5.x prerelease) under it, as it did for users of 1.64.
  project = await mkdtemp(join(tmpdir(), 'wv-miniflare-'))
  await mkdir(join(project, 'node_modules/@cloudflare'), { recursive: true })
  await symlink(join(REPO, 'node_modules/@cloudflare/vite-plugin'), join(project, 'node_modules/@cloudflare/vite-plugin'))
})
afterAll(() => rm(project, { recursive: true, force: true }))

describe('findMiniflare', () => {
  it("looks in the project, then under @cloudflare/vite-plugin, and passes over a 5.x prerelease it cannot drive yet", async () => {
    const nested = join(REPO, 'node_modules/@cloudflare/vite-plugin/node_modules/miniflare')
    const nestedVersion = await versionOf(nested)
    expect(nestedVersion).toMatch(/^5\..*-beta$/)
    const error = await pickMiniflare(project, [['the project', undefined], ['under @cloudflare/vite-plugin', nested]]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MiniflareMissingError)
    expect((error as Error).message).toBe(
      `no usable miniflare was found (looked in: the project; under @cloudflare/vite-plugin (miniflare ${nestedVersion}: only 4.x is supported yet)); install it with \`npm install -D miniflare@4\``,
    )
    // With the plugin's own 4.x beside it, that one runs the version.
    const found = await findMiniflare(project)
    expect(found.version).toMatch(/^4\./)
    const body = {
      main_module: 'index.js',
      modules: [{ name: 'index.js', content_type: 'application/javascript+module', content_base64: b64('export default { fetch() { return new Response("ran") } }') }],
      compatibility_date: '2025-06-01',
    }
    const running = await runVersion(body, { projectRoot: project })
    try {
      expect(await (await running.fetch('/')).text()).toBe('ran')
    } finally {
      await running.dispose()
    }
  })

  it("prefers the project's own miniflare, and falls back to the one beside the plugin", async () => {
    const own = await findMiniflare(REPO)
    // Where it really is: a checkout whose node_modules is a link shows the link's target.
    const real = realpathSync(join(REPO, 'node_modules/miniflare'))
    expect(own.from).toBe(real.startsWith(`${REPO}/`) ? relative(REPO, real) : real)
    expect(own.version).toBe(await versionOf(join(REPO, 'node_modules/miniflare')))
    const bare = await mkdtemp(join(tmpdir(), 'wv-no-miniflare-'))
    try {
      expect((await findMiniflare(bare)).version).toBe(own.version)
    } finally {
      await rm(bare, { recursive: true, force: true })
    }
  })

  it('finds a 4.x nested under a carrier when the project has none of its own', async () => {
    const carrier = await mkdtemp(join(tmpdir(), 'wv-carrier-'))
    try {
      await mkdir(join(carrier, 'node_modules/wrangler/node_modules'), { recursive: true })
      await writeFile(join(carrier, 'node_modules/wrangler/package.json'), '{"name":"wrangler","version":"4.0.0"}')
      await symlink(join(REPO, 'node_modules/miniflare'), join(carrier, 'node_modules/wrangler/node_modules/miniflare'))
      const found = await findMiniflare(carrier)
      expect(found.from).toBe(realpathSync(join(REPO, 'node_modules/miniflare')))
      expect(found.version).toBe(await versionOf(join(REPO, 'node_modules/miniflare')))
    } finally {
      await rm(carrier, { recursive: true, force: true })
    }
  })
})

describe('a version that cannot run', () => {
  it('is the request\'s fault when workerd refuses the Worker: 400, 10021, workerd\'s words', () => {
    const reply = previewFailure(new VersionStartupError('Uncaught Error: boom\n  at worker startup', ''))
    expect(reply.status).toBe(400)
    expect(reply.body).toMatchObject({ success: false, errors: [{ code: 10021, message: expect.stringContaining('boom') }] })
  })

  it('is the emulator\'s own failure when miniflare or workerd is missing: a 500 naming the cause, no field', () => {
    const reply = previewFailure(new MiniflareMissingError(['the project', 'under @cloudflare/vite-plugin']))
    expect(reply.status).toBe(500)
    const [error] = (reply.body as { errors: { code: number; message: string; source?: unknown }[] }).errors
    expect(error?.code).toBe(10002)
    expect(error?.message).toMatch(/local emulator could not run this version in workerd \(its own problem, not the request's\): no usable miniflare was found \(looked in: the project; under @cloudflare\/vite-plugin\)/)
    expect(error?.source).toBeUndefined()
  })
})
