import { createWorkerOn, runWrangler } from '../helpers/wrangler.js'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'
import { WORKER_FIXTURE, tempDir } from '../helpers/fixture.js'

/** The script-API routes `wrangler versions upload` uses; previews on, so the uploaded version really runs. */
let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator({ autoCreateWorkers: true })
})
afterAll(() => emu.close())

const ESM = 'application/javascript+module'
/** Every byte value: a multipart body is binary, any text decoding on the way would show here. */
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i)

const scripts = (worker: string) => `${emu.url}/accounts/${emu.accountId}/workers/scripts/${worker}`
const auth = () => ({ authorization: `Bearer ${emu.token}` })

/** A form laid out as wrangler's createWorkerUploadForm does: `metadata`, then one file part per module. */
function wranglerForm(
  metadata: Record<string, unknown>,
  modules: Array<[name: string, type: string, content: string | Uint8Array]>,
): FormData {
  const form = new FormData()
  form.set('metadata', JSON.stringify(metadata))
  for (const [name, type, content] of modules) form.set(name, new File([content], name, { type }))
  return form
}

async function postForm(worker: string, form: FormData, headers: Record<string, string> = auth()) {
  const response = await fetch(`${scripts(worker)}/versions?bindings_inherit=strict`, {
    method: 'POST',
    body: form,
    headers,
  })
  return { status: response.status, json: (await response.json()) as any }
}

async function get(path: string) {
  const response = await fetch(`${emu.url}/accounts/${emu.accountId}${path}`, { headers: auth() })
  return { status: response.status, json: (await response.json()) as any }
}

const WORKER_SOURCE = `import add from './add.wasm'
import page from './page.html'
import bytes from './all.bin'
export default {
  async fetch(request, env) {
    const instance = await WebAssembly.instantiate(add)
    return Response.json({ sum: instance.exports.add(2, 3), page: page.trim(), bytes: new Uint8Array(bytes).length, greeting: env.GREETING, secret: env.SECRET ?? null })
  },
}
`

describe('wrangler versions upload routes', () => {
  it('answers "not found" the way wrangler expects before the Worker exists', async () => {
    const service = await get('/workers/services/wr-new')
    expect(service.status).toBe(404)
    expect(service.json.errors[0].code).toBe(10090)
    const settings = await get('/workers/scripts/wr-new/settings')
    expect(settings.status).toBe(404)
    expect(settings.json.errors[0].code).toBe(10007)
  })

  it('stores a multipart version byte for byte, answers in the scripts API shape, and the version runs', async () => {
    const wasm = await readFile(join(WORKER_FIXTURE, 'src/add.wasm'))
    const form = wranglerForm(
      {
        main_module: 'index.js',
        bindings: [
          { name: 'GREETING', type: 'plain_text', text: 'hi' },
          { name: 'SECRET', type: 'secret_text', text: 'hunter2' },
        ],
        compatibility_date: '2025-01-01',
        compatibility_flags: ['nodejs_compat'],
        keep_bindings: ['secret_text', 'secret_key'],
        annotations: { 'workers/message': 'from wrangler' },
      },
      [
        ['index.js', ESM, WORKER_SOURCE],
        ['add.wasm', 'application/wasm', wasm],
        ['page.html', 'text/plain', '<h1>page</h1>\n'],
        ['all.bin', 'application/octet-stream', ALL_BYTES],
      ],
    )
    const { status, json } = await postForm('wr-app', form)
    expect(status).toBe(200)
    expect(json.success).toBe(true)
    const result = json.result
    expect(result).toMatchObject({
      number: 1,
      metadata: { has_preview: false, source: 'wrangler' },
    })
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(typeof result.startup_time_ms).toBe('number')
    expect(result.resources.bindings).toEqual([
      { name: 'GREETING', type: 'plain_text', text: 'hi' },
      { name: 'SECRET', type: 'secret_text' },
    ])
    expect(JSON.stringify(json)).not.toContain('hunter2')

    const [stored, ...older] = emu.versions('wr-app')
    expect(older).toHaveLength(0)
    expect(stored).toMatchObject({
      id: result.id,
      main_module: 'index.js',
      compatibility_date: '2025-01-01',
      deploy: false,
    })
    expect(stored!.annotations).toEqual({
      'workers/message': 'from wrangler',
      'workers/triggered_by': 'upload',
    })
    const modules = Object.fromEntries(
      stored!.modules.map((m) => [
        m.name,
        { type: m.content_type, bytes: Buffer.from(m.content_base64, 'base64') },
      ]),
    )
    expect(Object.keys(modules).sort()).toEqual(['add.wasm', 'all.bin', 'index.js', 'page.html'])
    expect(modules['all.bin']).toEqual({
      type: 'application/octet-stream',
      bytes: Buffer.from(ALL_BYTES),
    })
    expect(modules['add.wasm']).toEqual({ type: 'application/wasm', bytes: wasm })
    expect(modules['index.js']!.type).toBe(ESM)
    expect(stored!.request).not.toHaveProperty('keep_bindings')

    const preview = await fetch(result.urls[0])
    expect(await preview.json()).toEqual({
      sum: 5,
      page: '<h1>page</h1>',
      bytes: 256,
      greeting: 'hi',
      secret: 'hunter2',
    })
  })

  it('keeps secrets of the previous version through keep_bindings, and reports the Worker to wrangler', async () => {
    const form = wranglerForm(
      {
        main_module: 'index.js',
        bindings: [{ name: 'GREETING', type: 'plain_text', text: 'again' }],
        compatibility_date: '2025-01-01',
        keep_bindings: ['secret_text'],
      },
      [['index.js', ESM, 'export default { fetch: (r, env) => new Response(env.SECRET) }']],
    )
    const { status, json } = await postForm('wr-app', form)
    expect(status).toBe(200)
    expect(json.result.number).toBe(2)
    expect(emu.versions('wr-app')).toHaveLength(2)
    expect(emu.versions('wr-app')[0]!.bindings).toEqual([
      { name: 'GREETING', type: 'plain_text', text: 'again' },
      { name: 'SECRET', type: 'secret_text', text: 'hunter2' },
    ])

    const service = await get('/workers/services/wr-app')
    expect(service.status).toBe(200)
    expect(service.json.result.default_environment.script).toMatchObject({
      id: 'wr-app',
      tags: [],
      last_deployed_from: 'wrangler',
    })
    const settings = await get('/workers/scripts/wr-app/settings')
    expect(settings.status).toBe(200)
    expect(settings.json.result).toMatchObject({
      compatibility_date: '2025-01-01',
      bindings: [{ name: 'GREETING' }, { name: 'SECRET', type: 'secret_text' }],
    })
    expect(JSON.stringify(settings.json)).not.toContain('hunter2')
  })

  it('refuses what it cannot model, and checks auth and the body like the JSON endpoint', async () => {
    const plain = wranglerForm({ main_module: 'index.js', compatibility_date: '2025-01-01' }, [
      ['index.js', ESM, 'export default {}'],
    ])
    expect((await postForm('wr-bad', plain, {})).status).toBe(401)

    const json = await fetch(`${scripts('wr-bad')}/versions`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'application/json' },
      body: '{}',
    })
    expect(json.status).toBe(400)

    const serviceWorker = wranglerForm(
      { body_part: 'index.js', compatibility_date: '2025-01-01' },
      [['index.js', 'application/javascript', 'addEventListener("fetch", () => {})']],
    )
    const refused = await postForm('wr-bad', serviceWorker)
    expect(refused.status).toBe(400)
    expect(refused.json.errors[0].message).toMatch(/body_part/)

    const noMetadata = new FormData()
    noMetadata.set('index.js', new File(['export default {}'], 'index.js', { type: ESM }))
    expect((await postForm('wr-bad', noMetadata)).status).toBe(400)

    const badType = wranglerForm({ main_module: 'index.js', compatibility_date: '2025-01-01' }, [
      ['index.js', ESM, 'export default {}'],
      ['x.weird', 'application/x-unknown', 'x'],
    ])
    const invalid = await postForm('wr-bad', badType)
    expect(invalid.status).toBe(400)
    expect(invalid.json.errors[0]).toMatchObject({
      code: 10021,
      message: expect.stringMatching(/content_type/),
    })
    expect(emu.versions('wr-bad')).toHaveLength(0)
  })

  it('is enough for the real `wrangler versions upload --no-bundle`', async () => {
    const dir = await tempDir('wrangler-routes')
    const worker = join(dir, 'worker')
    await mkdir(worker)
    await writeFile(join(worker, 'index.js'), WORKER_SOURCE)
    await writeFile(join(worker, 'add.wasm'), await readFile(join(WORKER_FIXTURE, 'src/add.wasm')))
    await writeFile(join(worker, 'page.html'), '<h1>page</h1>\n')
    await writeFile(join(worker, 'all.bin'), ALL_BYTES)
    await createWorkerOn(emu, 'wr-cli')
    const stdout = await runWrangler(
      emu,
      [
        'versions',
        'upload',
        '--no-bundle',
        'index.js',
        '--name',
        'wr-cli',
        '--compatibility-date',
        '2025-01-01',
        '--var',
        'GREETING:cli',
      ],
      worker,
    )
    const [stored] = emu.versions('wr-cli')
    expect(stored).toBeDefined()
    expect(stdout).toContain(`Worker Version ID: ${stored!.id}`)
    expect(stored!.modules.map((m) => [m.name, m.content_type]).sort()).toEqual([
      ['add.wasm', 'application/wasm'],
      ['all.bin', 'application/octet-stream'],
      ['index.js', ESM],
      ['page.html', 'text/plain'],
    ])
    const preview = await fetch(stored!.urls[0]!)
    expect(await preview.json()).toEqual({
      sum: 5,
      page: '<h1>page</h1>',
      bytes: 256,
      greeting: 'cli',
      secret: null,
    })

    // `wrangler versions deploy` reads the version it is given (scripts API shape), then deploys it.
    const read = await get(`/workers/scripts/wr-cli/versions/${stored!.id}`)
    expect(read.status).toBe(200)
    expect(read.json.result).toMatchObject({
      id: stored!.id,
      number: stored!.number,
      resources: { bindings: [{ name: 'GREETING', type: 'plain_text' }] },
    })
    const unknown = await get(
      '/workers/scripts/wr-cli/versions/00000000-0000-4000-8000-000000000000',
    )
    expect(unknown.status).toBe(404)
    expect((await get(`/workers/scripts/wr-nope/versions/${stored!.id}`)).status).toBe(404)
    await runWrangler(
      emu,
      ['versions', 'deploy', `${stored!.id}@100%`, '--name', 'wr-cli', '-y'],
      worker,
    )
    const response = await get('/workers/scripts/wr-cli/deployments')
    expect(response.json.result.deployments[0].versions).toEqual([
      { version_id: stored!.id, percentage: 100 },
    ])
  })

  it('refuses a multipart version that carries a migration (10211), as the platform does, and stores nothing', async () => {
    const metadata = {
      main_module: 'index.js',
      migrations: { new_tag: 'v1', steps: [{ new_sqlite_classes: ['Counter'] }] },
    }
    const source =
      "import { DurableObject } from 'cloudflare:workers'\nexport class Counter extends DurableObject {}\nexport default { fetch() { return new Response('ok') } }\n"
    const { status, json } = await postForm(
      'wr-migrating',
      wranglerForm(metadata, [['index.js', ESM, source]]),
    )
    expect(status).toBe(400)
    expect(json.errors).toEqual([
      expect.objectContaining({
        code: 10211,
        message: expect.stringContaining('must be fully applied via a non-versioned deployment'),
      }),
    ])
    expect(emu.versions('wr-migrating')).toEqual([])
  })
})
