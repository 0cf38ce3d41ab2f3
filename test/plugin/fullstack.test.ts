import { cp, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { describe, expect, it } from 'vitest'
import rollupPlugin from '../../src/rollup.js'
import { TEST_ROOT, WORKER_FIXTURE, tempDir } from '../helpers/fixture.js'
import { uploadOptions, useEmulator } from '../helpers/emulator.js'
import { deployViteApp, expectClientServed } from '../helpers/vite-app.js'

// A full-stack app as a new user builds it: a client and an entry Worker with static assets,
// plus an auxiliary Worker, through @cloudflare/vite-plugin; the emulator is strict (Workers must exist).
const emulator = useEmulator()
const FIXTURE = join(TEST_ROOT, 'fixtures/vite-fullstack')

async function copyOfFixture(): Promise<string> {
  const dir = await tempDir('fullstack')
  await cp(FIXTURE, dir, { recursive: true, filter: (source) => !source.includes('/dist') })
  return dir
}

/** `vite build --mode deploy` of the full-stack app and its auxiliary Worker. */
function deploy(root: string, options: Record<string, unknown> = {}) {
  return deployViteApp(
    root,
    { auxiliaryWorkers: [{ configPath: join(root, 'aux/wrangler.jsonc') }] },
    {
      ...uploadOptions(emulator(), 'unused', {
        upload: undefined,
        worker: undefined,
        version: undefined,
        gitAnnotations: false,
      }),
      ...options,
    },
  )
}

const uploadedHashes = () =>
  emulator().assets.uploads.flatMap((u) => (u.status < 300 ? u.hashes : []))

describe('a full-stack app with @cloudflare/vite-plugin', () => {
  it('uploads the client build as assets and versions each Worker once, with its own bindings', async () => {
    const root = await copyOfFixture()
    await deploy(root, { promote: true })

    const [main] = emulator().versions('fullstack')
    const [aux] = emulator().versions('fullstack-aux')
    expect(emulator().versions('fullstack')).toHaveLength(1)
    expect(emulator().versions('fullstack-aux')).toHaveLength(1)
    expect(main!.request.assets).toMatchObject({
      jwt: expect.any(String),
      config: { not_found_handling: 'single-page-application', run_worker_first: ['/api/*'] },
    })
    expect(main!.request.bindings).toEqual(
      expect.arrayContaining([
        { type: 'plain_text', name: 'GREETING', text: 'hello' },
        { type: 'service', name: 'AUX', service: 'fullstack-aux' },
        { type: 'assets', name: 'ASSETS' },
      ]),
    )
    expect(aux!.request.bindings).toEqual([
      { type: 'plain_text', name: 'AUX_NAME', text: 'auxiliary' },
    ])
    const names = (main!.request.modules as Array<{ name: string; content_type: string }>).map(
      (m) => [m.name, m.content_type],
    )
    expect(names).toEqual(
      expect.arrayContaining([
        ['_headers', 'text/plain'],
        ['_redirects', 'text/plain'],
      ]),
    )
    // The manifest the emulator received is the client build, nothing more.
    const manifest = emulator().assets.sessions.find((s) => s.scriptName === 'fullstack')!.manifest
    expect(Object.keys(manifest).sort()).toEqual(
      expect.arrayContaining(['/index.html', '/robots.txt']),
    )
    expect(Object.keys(manifest).some((key) => key.endsWith('.css'))).toBe(true)
    expect(
      Object.keys(manifest).some(
        (key) => key.includes('wrangler.json') || key.includes('_headers'),
      ),
    ).toBe(false)

    const preview = main!.urls[0]!
    await expectClientServed(preview)
    expect(await (await fetch(new URL('api/hello', preview))).json()).toEqual({
      hello: 'from the api',
      greeting: 'hello',
    })
    const css = Object.keys(manifest).find((key) => key.endsWith('.css'))!
    expect(await (await fetch(new URL(css.slice(1), preview))).text()).toContain('color:#639')

    // Redeploys: nothing changed sends no files; one changed file is the only one sent.
    const before = uploadedHashes().length
    await deploy(root, { promote: true })
    expect(uploadedHashes().length).toBe(before)
    await writeFile(join(root, 'public/robots.txt'), 'User-agent: *\nDisallow: /private\n')
    await deploy(root, { promote: true })
    expect(uploadedHashes().length).toBe(before + 1)
    const [latest] = emulator().versions('fullstack')
    expect(await (await fetch(new URL('robots.txt', latest!.urls[0]!))).text()).toContain(
      'Disallow: /private',
    )
  })

  it('reads the entry Worker once: the read made while the bundler worked serves the upload of its generated config', async () => {
    const root = await copyOfFixture()
    const worker = 'fullstack-read-once'
    await writeFile(
      join(root, 'wrangler.jsonc'),
      (await readFile(join(root, 'wrangler.jsonc'), 'utf8')).replace('"fullstack"', `"${worker}"`),
    )
    const requests = emulator().requests.length
    await deploy(root)
    const sent = emulator().requests.slice(requests)
    const reads = sent.filter(
      (r) => r.method === 'GET' && r.path.endsWith(`/workers/workers/${worker}`),
    )
    expect(reads).toHaveLength(1)
    // The diff's deployment read, started with that session, serves the generated config's upload too.
    expect(
      sent.filter(
        (r) => r.method === 'GET' && r.path.endsWith(`/workers/scripts/${worker}/deployments`),
      ),
    ).toHaveLength(1)
    // Read before the assets session opened, and acted on: the Worker was new, so it was created first.
    const session = sent.findIndex(
      (r) => r.method === 'POST' && r.path.endsWith(`/scripts/${worker}/assets-upload-session`),
    )
    expect(session).toBeGreaterThan(sent.indexOf(reads[0]!))
    expect(
      sent.filter(
        (r) => r.method === 'POST' && (r.body as { name?: string } | undefined)?.name === worker,
      ),
    ).toHaveLength(1)
    expect(emulator().versions(worker)).toHaveLength(1)

    // The Cloudflare plugin's config file is not one the plugin finds in the root, so the user's
    // config knows no deploy steps and the generated config's upload has more (workers.dev, script
    // settings): it reads only those, and takes the deployment and the deployed version the diff
    // read while the bundler worked.
    await rename(join(root, 'wrangler.jsonc'), join(root, 'wrangler.deploy.jsonc'))
    const promote = () =>
      deployViteApp(
        root,
        { configPath: join(root, 'wrangler.deploy.jsonc') },
        {
          ...uploadOptions(emulator(), worker, { upload: undefined, version: undefined }),
          gitAnnotations: false,
          promote: true,
        },
      )
    await promote()
    const before = emulator().requests.length
    await promote()
    const again = emulator().requests.slice(before)
    const [deployed] = emulator().versions(worker).slice(1)
    const gets = (suffix: string) =>
      again.filter((r) => r.method === 'GET' && r.path.endsWith(suffix)).length
    expect(gets(`/workers/scripts/${worker}/deployments`)).toBe(1)
    expect(gets(`/workers/workers/${worker}/versions/${deployed!.id}`)).toBe(1)
    expect(gets(`/workers/scripts/${worker}/subdomain`)).toBe(1)
  })

  it('fails within the retry budget and creates no version when every bucket upload fails', async () => {
    const root = await copyOfFixture()
    const worker = 'assets-always-fail'
    await writeFile(
      join(root, 'wrangler.jsonc'),
      (await readFile(join(root, 'wrangler.jsonc'), 'utf8')).replace('"fullstack"', `"${worker}"`),
    )
    // A file the emulator does not hold yet, so there is a bucket to upload.
    await writeFile(join(root, 'public/new-file.txt'), `${Date.now()}-${Math.random()}`)
    const fault = {
      kind: 'status',
      status: 500,
      match: { method: 'POST', path: /\/workers\/assets\/upload$/ },
    } as const
    emulator().injectFaults(...Array.from({ length: 20 }, () => fault))
    const started = Date.now()
    await expect(deploy(root)).rejects.toThrow(/static assets[\s\S]*failed: uploaded 0 of/)
    emulator().clearFaults()
    expect(Date.now() - started).toBeLessThan(120_000)
    expect(emulator().versions(worker)).toHaveLength(0)
  })
})

describe('bad assets input is refused before any request', () => {
  async function rollupBuild(
    assets: Record<string, unknown>,
    root: string,
    outDir = join(root, 'dist'),
  ) {
    const requests = emulator().requests.length
    const bundle = await rollup({
      input: join(WORKER_FIXTURE, 'src/index.js'),
      plugins: [
        rollupPlugin({ ...uploadOptions(emulator(), 'bad-assets', { root }), assets } as never),
      ],
    })
    const error = await bundle.write({ dir: outDir, format: 'es' }).then(
      () => new Error('the build succeeded'),
      (e: unknown) => e as Error,
    )
    expect(emulator().requests.length).toBe(requests)
    return error.message
  }

  it('a missing directory', async () => {
    const dir = await tempDir('assets-missing')
    expect(await rollupBuild({ directory: 'public' }, dir)).toMatch(/public/)
  })

  it('a file over 25 MiB', async () => {
    const dir = await tempDir('assets-large')
    await (await import('node:fs/promises')).mkdir(join(dir, 'public'))
    await writeFile(join(dir, 'public/video.bin'), Buffer.alloc(26 * 1024 * 1024))
    expect(await rollupBuild({ directory: 'public' }, dir)).toMatch(/video\.bin[\s\S]*26\.0 MiB/)
  })

  it('too many files', async () => {
    const dir = await tempDir('assets-many')
    await (await import('node:fs/promises')).mkdir(join(dir, 'public'))
    for (let i = 0; i < 6; i++) await writeFile(join(dir, `public/${i}.txt`), String(i))
    expect(await rollupBuild({ directory: 'public', maxFiles: 5 }, dir)).toMatch(
      /more than 5 files[\s\S]*assets\.maxFiles/,
    )
  })

  it('a directory that contains the Worker output', async () => {
    const dir = await tempDir('assets-contains')
    expect(await rollupBuild({ directory: 'dist' }, dir, join(dir, 'dist/worker'))).toMatch(
      /contains the Worker's own output/,
    )
  })
})
