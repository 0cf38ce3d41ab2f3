/**
 * Cross-check with the real wrangler (pinned as a dev dependency): for the same directory, the
 * manifest `wrangler versions upload --assets` sends to the emulator equals `readAssetsDirectory`'s,
 * and so do the part content types of its bucket uploads.
 */
import { createWorkerOn, runWrangler } from '../helpers/wrangler.js'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'
import { manifestBody, readAssetsDirectory } from '../../src/assets/manifest.js'
import { partContentType } from '../../src/api/assets.js'

let emu: Emulator
let work: string
beforeAll(async () => {
  emu = await startEmulator({ assets: { bucketFiles: 3 }, autoCreateWorkers: true })
  work = await mkdtemp(join(tmpdir(), 'assets-wrangler-'))
})
afterAll(async () => {
  await emu.close()
  await rm(work, { recursive: true, force: true })
})

const PNG_BYTES = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex')

it('sends the same manifest and part types as `wrangler versions upload --assets`', async () => {
  const assets = join(work, 'public')
  const files: Record<string, string | Buffer> = {
    'index.html': '<!doctype html><title>x</title><h1>wrangler cross-check</h1>',
    'assets/app.css': 'body{margin:0}',
    'assets/app.js': 'console.log(1)',
    'assets/deep/nested/data.json': '{"a":1}',
    'img/logo.png': PNG_BYTES,
    'fonts/font.woff2': Buffer.from([0, 1, 2, 3, 250, 251]),
    'empty.txt': '',
    LICENSE: 'no extension',
    '.well-known/security.txt': 'Contact: mailto:x@example.com',
    'with space.html': '<p>space</p>',
    'café.txt': 'unicode name',
    'archive.tar.gz': Buffer.from([31, 139, 8, 0]),
    'strange.unknownext': 'unknown type',
    'drafts/post.md': 'ignored by .assetsignore',
    'app.js.map': 'ignored by .assetsignore',
    'keep.map': 're-included',
    '.assetsignore': 'drafts/\n*.map\n!keep.map\n',
    _headers: '/assets/*\n  Cache-Control: max-age=60\n',
    _redirects: '/old /new 301\n',
  }
  for (const [name, contents] of Object.entries(files)) {
    await mkdir(dirname(join(assets, name)), { recursive: true })
    await writeFile(join(assets, name), contents)
  }
  const worker = join(work, 'worker')
  await mkdir(worker)
  await writeFile(
    join(worker, 'index.js'),
    'export default { fetch() { return new Response("from the worker") } }\n',
  )
  await createWorkerOn(emu, 'wr-assets')
  await runWrangler(
    emu,
    [
      'versions',
      'upload',
      '--no-bundle',
      'index.js',
      '--name',
      'wr-assets',
      '--compatibility-date',
      '2025-01-01',
      '--assets',
      assets,
    ],
    worker,
  )

  const ours = await readAssetsDirectory(assets)
  const received = emu.assets.sessions.filter((s) => s.scriptName === 'wr-assets')
  expect(received).toHaveLength(1)
  expect(received[0]?.manifest).toEqual(manifestBody(ours))
  // The ignore rules and the special files really were exercised.
  expect(Object.keys(received[0]?.manifest ?? {})).toContain('/keep.map')
  expect(Object.keys(received[0]?.manifest ?? {})).not.toContain('/app.js.map')
  expect(ours.headers).toBe(files._headers)
  expect(ours.redirects).toBe(files._redirects)

  // Every file went up once, typed as our partContentType types it.
  const uploads = emu.assets.uploads.filter((u) => u.status < 300)
  const typeByHash = new Map(
    uploads.flatMap((u) => u.hashes.map((hash, i) => [hash, u.contentTypes[i]] as const)),
  )
  expect([...typeByHash.keys()].sort()).toEqual([...new Set(ours.files.map((f) => f.hash))].sort())
  for (const file of ours.files)
    expect({ key: file.key, type: typeByHash.get(file.hash) }).toEqual({
      key: file.key,
      type: partContentType(file.key),
    })

  // wrangler's version carries the completion token; its preview serves the files.
  const [version] = emu.versions('wr-assets')
  expect(version?.request.assets).toMatchObject({ jwt: expect.any(String) })
  const home_ = await fetch(version?.urls[0] ?? '')
  expect(await home_.text()).toContain('wrangler cross-check')
})
