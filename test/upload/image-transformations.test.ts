/**
 * Images' URL interface of a Worker (`images.url_transformations` in the wrangler config, or the
 * `images.urlTransformations` option): set by a promote after the other deploy steps with
 * `PUT /accounts/{a}/settings/transformations/workers/{script}`, read back from the emulator;
 * refused with a Preview before any request; the emulator refuses a body the API would not take.
 *
 * The pinned wrangler (4.164) predates the setting (4.166 reads it, 4.168 applies it), so no
 * wrangler-vs-plugin comparison here: the body is the setting as configured, `{enabled, allowed_origins?}`.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Emulator } from '../../src/emulator/index.js'
import { startEmulator } from '../helpers/emulator.js'
import { tempDir } from '../helpers/fixture.js'
import { rejection } from '../helpers/rejection.js'
import { rollupUpload } from '../helpers/rollup-upload.js'
import { api } from '../emulator/helpers.js'

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator({ preview: false, autoCreateWorkers: true })
})
afterAll(() => emu?.close())

const settingPath = (worker: string) =>
  `${emu.url}/accounts/${emu.accountId}/settings/transformations/workers/${worker}`

async function readSetting(worker: string): Promise<unknown> {
  const { json } = await api(emu, 'GET', settingPath(worker))
  return json.result
}

async function project(prefix: string, config: Record<string, unknown>) {
  const dir = await tempDir(prefix)
  const wrangler = join(dir, 'wrangler.jsonc')
  await writeFile(wrangler, JSON.stringify({ compatibility_date: '2025-01-01', ...config }))
  return { dir, wrangler }
}

it('a promote sets the config’s images.url_transformations after the other steps; the option wins over it', async () => {
  const { dir, wrangler } = await project('images-config', {
    workers_dev: true,
    images: {
      binding: 'IMAGES',
      url_transformations: { enabled: true, allowed_origins: ['images.example.com'] },
    },
  })
  const from = emu.requests.length
  await rollupUpload(emu, dir, 'images-config', { wrangler, promote: true, gitAnnotations: false })
  expect(await readSetting('images-config')).toEqual({
    enabled: true,
    allowed_origins: ['images.example.com'],
  })
  const changes = emu.requests
    .slice(from)
    .filter((r) => r.method !== 'GET')
    .map((r) => `${r.method} ${r.path.replace(`/client/v4/accounts/${emu.accountId}`, '')}`)
  // The last call of the deploy, after the script settings and workers.dev.
  expect(changes.at(-1)).toBe('PUT /settings/transformations/workers/images-config')
  expect(changes).toContain('POST /workers/scripts/images-config/subdomain')
  // The Images binding still reaches the version.
  expect(emu.versions('images-config').at(-1)!.bindings).toContainEqual({
    name: 'IMAGES',
    type: 'images',
  })

  await rollupUpload(emu, dir, 'images-config', {
    wrangler,
    promote: true,
    gitAnnotations: false,
    images: { urlTransformations: { enabled: false } },
  })
  expect(await readSetting('images-config')).toEqual({ enabled: false })
}, 60_000)

it('the option alone (no wrangler config) is set by a promote, a gradual one too, and written to deploy-steps.json by a dry run', async () => {
  const dir = await tempDir('images-option')
  const images = { urlTransformations: { enabled: true, allowedOrigins: ['*'] } }
  await rollupUpload(emu, dir, 'images-option', {
    wrangler: false,
    promote: true,
    gitAnnotations: false,
    images,
  })
  expect(await readSetting('images-option')).toEqual({ enabled: true, allowed_origins: ['*'] })

  // A gradual rollout sets it too, as `wrangler versions deploy` 4.168 does (it sets no other step).
  await rollupUpload(emu, dir, 'images-option', {
    wrangler: false,
    promote: 50,
    gitAnnotations: false,
    images: { urlTransformations: { enabled: false } },
  })
  expect(emu.deployments('images-option')[0]!.versions.map((v) => v.percentage)).toEqual([50, 50])
  expect(await readSetting('images-option')).toEqual({ enabled: false })

  const outputDir = await rollupUpload(emu, dir, 'images-option', {
    wrangler: false,
    upload: false,
    promote: true,
    images,
  })
  const steps = JSON.parse(await readFile(join(outputDir, 'deploy-steps.json'), 'utf8')) as Array<{
    step: string
    calls: Array<{ method: string; path: string; body?: unknown }>
  }>
  expect(steps).toHaveLength(1)
  expect(steps[0]!.step).toBe('image URL transformations')
  expect(steps[0]!.calls).toHaveLength(1)
  expect(steps[0]!.calls[0]).toMatchObject({
    method: 'PUT',
    body: { enabled: true, allowed_origins: ['*'] },
  })
  expect(steps[0]!.calls[0]!.path).toMatch(/\/settings\/transformations\/workers\/images-option$/)
}, 60_000)

it('a Preview with the option is refused before any request, naming it; the previews block refuses the config key', async () => {
  const dir = await tempDir('images-preview')
  const from = emu.requests.length
  const error = await rejection(
    rollupUpload(emu, dir, 'images-preview', {
      wrangler: false,
      preview: 'feature-x',
      images: { urlTransformations: { enabled: true } },
    }),
  )
  expect(error.message).toContain('`images.urlTransformations`')
  expect(error.message).toContain('`preview: "feature-x"`')
  expect(emu.requests.length).toBe(from)

  const { wrangler } = await project('images-previews-block', {
    previews: { images: { binding: 'IMAGES', url_transformations: { enabled: true } } },
  })
  const refused = await rejection(
    rollupUpload(emu, dir, 'images-preview', { wrangler, preview: 'feature-x' }),
  )
  expect(refused.message).toMatch(
    /previews\.images\.url_transformations: not supported in Previews/,
  )
  expect(emu.requests.length).toBe(from)
})

it('a bad setting in the config is refused before any request, naming the field', async () => {
  const { dir, wrangler } = await project('images-bad', {
    images: { url_transformations: { enabled: 'yes', allowed_origins: 'example.com' } },
  })
  const from = emu.requests.length
  const error = await rejection(rollupUpload(emu, dir, 'images-bad', { wrangler, promote: true }))
  expect(error.message).toMatch(/images\.url_transformations\.enabled: expected true or false/)
  expect(error.message).toMatch(/images\.url_transformations\.allowed_origins: expected an array/)
  expect(emu.requests.length).toBe(from)
})

it('the emulator refuses a body the API would not take, and an unknown Worker', async () => {
  await rollupUpload(emu, await tempDir('images-strict'), 'images-strict', {
    wrangler: false,
    gitAnnotations: false,
  })
  const put = (body: unknown, worker = 'images-strict') =>
    api(emu, 'PUT', settingPath(worker), body)
  expect((await put({})).json.errors[0]).toMatchObject({ source: { pointer: '/enabled' } })
  expect((await put({ enabled: true, origins: [] })).json.errors[0]).toMatchObject({
    source: { pointer: '/origins' },
  })
  expect((await put({ enabled: true, allowed_origins: ['https://x'] })).status).toBe(400)
  expect((await put([true])).status).toBe(400)
  expect((await put({ enabled: true }, 'no-such-worker')).status).toBe(404)
  expect(await readSetting('images-strict')).toEqual({ enabled: false })
  expect((await put({ enabled: true, allowed_origins: ['*.example.com'] })).status).toBe(200)
  expect(await readSetting('images-strict')).toEqual({
    enabled: true,
    allowed_origins: ['*.example.com'],
  })
})
