/** Which miniflare runs versions, and how a failure to run one is answered. */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { realpathSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { previewFailure } from '../../src/emulator/create-version.js'
import {
  findMiniflare,
  MiniflareMissingError,
  pickMiniflare,
  WorkerdUnavailableError,
} from '../../src/workerd/miniflare.js'
import { startEmulator } from '../helpers/emulator.js'
import { request as undiciRequest } from 'undici'
import { runVersion, VersionStartupError } from '../../src/workerd/workerd.js'
import { api, b64, helloBody, versionsPath } from '../emulator/helpers.js'
import { rollupUpload } from '../helpers/rollup-upload.js'
import { rejection } from '../helpers/rejection.js'
import { tempDir } from '../helpers/fixture.js'

const REPO = resolve(import.meta.dirname, '../..')
const versionOf = async (dir: string) =>
  (JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string }).version

let project: string
beforeAll(async () => {
  // A project that has @cloudflare/vite-plugin and no miniflare of its own: npm nests the plugin's
  // (a 5.x prerelease) under it, as it did for users of 1.64.
  project = await mkdtemp(join(tmpdir(), 'wv-miniflare-'))
  await mkdir(join(project, 'node_modules/@cloudflare'), { recursive: true })
  await symlink(
    join(REPO, 'node_modules/@cloudflare/vite-plugin'),
    join(project, 'node_modules/@cloudflare/vite-plugin'),
  )
})
afterAll(() => rm(project, { recursive: true, force: true }))

/** A project whose only miniflare is `dir` (a link to an installed copy). */
async function projectWith(dir: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'wv-own-miniflare-'))
  await mkdir(join(root, 'node_modules'))
  await symlink(dir, join(root, 'node_modules/miniflare'))
  return root
}

const NESTED_5 = join(REPO, 'node_modules/@cloudflare/vite-plugin/node_modules/miniflare')
const TOP_4 = join(REPO, 'node_modules/miniflare')

const WORKER = `export default {
  async fetch(request, env) {
    await env.KV.put('k', 'stored')
    return Response.json({ text: env.TEXT, kv: await env.KV.get('k'), version: typeof env.VERSION.id, mode: request.headers.get('sec-fetch-mode') })
  }
}`
const workerBody = (source: string) => ({
  main_module: 'index.js',
  modules: [
    {
      name: 'index.js',
      content_type: 'application/javascript+module',
      content_base64: b64(source),
    },
  ],
  // Past every workerd's own date: each miniflare clamps it to what its workerd knows.
  compatibility_date: '2999-01-01',
  bindings: [
    { type: 'plain_text', name: 'TEXT', text: 'plain' },
    { type: 'kv_namespace', name: 'KV', namespace_id: 'kv-id' },
    { type: 'version_metadata', name: 'VERSION' },
  ],
})

describe('findMiniflare', () => {
  it('finds the 5.x prerelease npm nests under @cloudflare/vite-plugin when the project has none of its own', async () => {
    const found = await findMiniflare(project)
    expect(found.version).toMatch(/^5\..*-beta$/)
    expect(found.version).toBe(await versionOf(NESTED_5))
    expect(found.from).toBe(
      realpathSync(NESTED_5).startsWith(`${project}/`)
        ? relative(project, NESTED_5)
        : realpathSync(NESTED_5),
    )
  })

  it('looks again on every call: a miniflare installed into the project later is the one used, with no restart', async () => {
    const root = await mkdtemp(join(tmpdir(), 'wv-later-'))
    try {
      await mkdir(join(root, 'node_modules/@cloudflare'), { recursive: true })
      await symlink(
        join(REPO, 'node_modules/@cloudflare/vite-plugin'),
        join(root, 'node_modules/@cloudflare/vite-plugin'),
      )
      expect((await findMiniflare(root)).version).toBe(await versionOf(NESTED_5))
      await symlink(TOP_4, join(root, 'node_modules/miniflare'))
      const found = await findMiniflare(root)
      expect(found.version).toBe(await versionOf(TOP_4))
      expect(found.from).toBe(realpathSync(TOP_4))
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  for (const [major, dir] of [
    [4, TOP_4],
    [5, NESTED_5],
  ] as const) {
    it(`runs a version in workerd through miniflare ${major}.x: bindings, headers as sent, workerd's words for a Worker that throws`, async () => {
      const root = await projectWith(dir)
      try {
        const found = await findMiniflare(root)
        expect(found.major).toBe(major)
        expect(found.version).toBe(await versionOf(dir))
        const running = await runVersion(workerBody(WORKER), { projectRoot: root })
        try {
          const response = await undiciRequest(running.url, {
            headers: { 'sec-fetch-mode': 'navigate' },
          })
          expect(await response.body.json()).toEqual({
            text: 'plain',
            kv: 'stored',
            version: 'string',
            mode: 'navigate',
          })
        } finally {
          await running.dispose()
        }
        const refused = await runVersion(workerBody('throw new Error("boom at startup")'), {
          projectRoot: root,
        }).catch((e: unknown) => e)
        expect(refused).toBeInstanceOf(VersionStartupError)
        expect((refused as Error).message).toMatch(
          /^Uncaught Error: boom at startup\n[^]*at worker startup$/,
        )
      } finally {
        await rm(root, { recursive: true, force: true })
      }
    })
  }

  it('names each place it looked in, and the command that fixes it, when no miniflare it can drive is found', async () => {
    const future = join(project, 'future-miniflare')
    await mkdir(future, { recursive: true })
    await writeFile(join(future, 'package.json'), '{"name":"miniflare","version":"6.0.0"}')
    const error = await pickMiniflare(project, [
      ['the project', undefined],
      ['under wrangler', future],
    ]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MiniflareMissingError)
    expect((error as Error).message).toBe(
      'no usable miniflare was found (looked in: the project; under wrangler (miniflare 6.0.0: only 4.x and 5.x are supported)); install it with `npm install -D miniflare`',
    )
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
      await writeFile(
        join(carrier, 'node_modules/wrangler/package.json'),
        '{"name":"wrangler","version":"4.0.0"}',
      )
      await symlink(
        join(REPO, 'node_modules/miniflare'),
        join(carrier, 'node_modules/wrangler/node_modules/miniflare'),
      )
      const found = await findMiniflare(carrier)
      expect(found.from).toBe(realpathSync(join(REPO, 'node_modules/miniflare')))
      expect(found.version).toBe(await versionOf(join(REPO, 'node_modules/miniflare')))
    } finally {
      await rm(carrier, { recursive: true, force: true })
    }
  })
})

describe('a version that cannot run', () => {
  it("is the request's fault when workerd refuses the Worker: 400, 10021, workerd's words", () => {
    const reply = previewFailure(
      new VersionStartupError('Uncaught Error: boom\n  at worker startup', ''),
    )
    expect(reply.status).toBe(400)
    expect(reply.body).toMatchObject({
      success: false,
      errors: [{ code: 10021, message: expect.stringContaining('boom') }],
    })
  })

  it("is the emulator's own failure when miniflare or workerd is missing: a 500 naming the cause, no field", () => {
    const reply = previewFailure(
      new MiniflareMissingError(['the project', 'under @cloudflare/vite-plugin']),
    )
    expect(reply.status).toBe(500)
    const [error] = (
      reply.body as { errors: { code: number; message: string; source?: unknown }[] }
    ).errors
    expect(error?.code).toBe(10002)
    expect(error?.message).toMatch(
      /local emulator could not run this version in workerd \(its own problem, not the request's\): no usable miniflare was found \(looked in: the project; under @cloudflare\/vite-plugin\)/,
    )
    expect(error?.source).toBeUndefined()
  })
})

describe('workerd that cannot start', () => {
  /** Runs `body` with MINIFLARE_WORKERD_PATH (which miniflare reads) set to `binary`. */
  async function withWorkerd<T>(binary: string, body: () => Promise<T>): Promise<T> {
    process.env.MINIFLARE_WORKERD_PATH = binary
    try {
      return await body()
    } finally {
      delete process.env.MINIFLARE_WORKERD_PATH
    }
  }

  it("is the emulator's failure, a 500 naming the cause; once fixed, the same emulator runs the version", async () => {
    const emu = await startEmulator({ autoCreateWorkers: true })
    try {
      const missing = join(project, 'no-such-workerd')
      const failed = await withWorkerd(missing, () =>
        api(emu, 'POST', versionsPath(emu, 'first'), helloBody()),
      )
      expect(failed.status).toBe(500)
      expect(failed.json.errors).toEqual([
        {
          code: 10002,
          message: `The local emulator could not run this version in workerd (its own problem, not the request's): MINIFLARE_WORKERD_PATH (${missing}) cannot be started: ENOENT; point MINIFLARE_WORKERD_PATH at a workerd binary, or unset it`,
        },
      ])
      expect(emu.versions('first')).toEqual([])
      // No restart: the next upload looks for workerd again.
      const fixed = await api(emu, 'POST', versionsPath(emu, 'first'), helloBody())
      expect(fixed.status).toBe(200)
      expect((await fetch(fixed.json.result.urls[0])).status).toBe(200)
    } finally {
      await emu.close()
    }
  })

  it('fails a real upload with the emulator named as the cause, not a field of the request', async () => {
    const emu = await startEmulator({ autoCreateWorkers: true })
    const dir = await tempDir('workerd-missing')
    try {
      const missing = join(project, 'no-such-workerd')
      const error = await rejection(
        withWorkerd(missing, () => rollupUpload(emu, dir, 'no-workerd')),
      )
      expect(error.message).toContain(
        `The local emulator could not run this version in workerd (its own problem, not the request's): MINIFLARE_WORKERD_PATH (${missing}) cannot be started: ENOENT`,
      )
      expect(error.message).toContain(
        'hint: the local emulator could not run the version, through no fault of the request',
      )
      expect(error.message).not.toContain('failed validation')
      expect(emu.versions('no-workerd')).toEqual([])
    } finally {
      await emu.close()
    }
  })

  it('a workerd binary that exits with its own complaint is not blamed on the Worker', async () => {
    // It reads its config from stdin, as workerd does, then fails.
    const crashing = join(project, 'crashing-workerd')
    await writeFile(
      crashing,
      '#!/bin/sh\ncat >/dev/null\necho "simulated workerd crash" >&2\nexit 1\n',
      { mode: 0o755 },
    )
    const error = await withWorkerd(crashing, () =>
      runVersion(workerBody(WORKER), { projectRoot: REPO }),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WorkerdUnavailableError)
    const message = (error as Error).message
    expect(message.startsWith('workerd did not start: ')).toBe(true)
    expect(message.split('simulated workerd crash')).toHaveLength(2) // quoted once
    expect(previewFailure(error).status).toBe(500)
  })
})
