import { execFileSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { build, type Plugin } from 'vite'
import { afterEach, describe, expect, it, vi } from 'vitest'
import vitePlugin from '../../src/vite.js'
import { readRequest, tempDir } from '../helpers/fixture.js'
import { posts, uploadOptions, useEmulator } from '../helpers/emulator.js'

// Against an emulator as strict as the platform: Workers must exist (the plugin creates them).
const emulator = useEmulator()

afterEach(() => {
  vi.unstubAllEnvs()
})

const HELLO = `export default { async fetch(_request, env) { return Response.json({ hello: 'world', secret: env.API_KEY ?? null }) } }\n`

/** A small project on disk: `src/index.js` plus whatever else is given. */
async function project(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('traffic')
  for (const [name, content] of Object.entries({ 'src/index.js': HELLO, ...files })) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), content)
  }
  return dir
}

/** `vite build --mode deploy` of a project against the emulator. */
async function deploy(
  root: string,
  worker: string,
  options: Record<string, unknown> = {},
  plugins: Plugin[] = [],
) {
  await build({
    root,
    mode: 'deploy',
    configFile: false,
    logLevel: 'silent',
    build: { ssr: 'src/index.js', outDir: join(root, 'dist') },
    plugins: [
      vitePlugin({
        ...uploadOptions(emulator(), worker, { upload: undefined, gitAnnotations: false }),
        ...options,
      } as never),
      ...plugins,
    ],
  })
}

const workerReads = (worker: string) =>
  emulator().requests.filter(
    (r) => r.method === 'GET' && r.path.endsWith(`/workers/workers/${worker}`),
  )

/** Waits (at most 10 s) until the emulator has seen the Worker read; whether it has. */
async function untilRead(worker: string): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (workerReads(worker).length > 0) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}

const workerPosts = (worker: string) =>
  emulator().requests.filter(
    (r) =>
      r.method === 'POST' &&
      r.path.endsWith('/workers/workers') &&
      (r.body as { name?: string })?.name === worker,
  )

describe('from version to traffic', () => {
  it('creates a brand-new Worker, then exactly one version of it', async () => {
    await deploy(await project({}), 'brand-new')
    expect(workerPosts('brand-new')).toHaveLength(1)
    expect(posts(emulator(), 'brand-new')).toHaveLength(1)
    expect(emulator().versions('brand-new')).toHaveLength(1)
    // Without promote the version gets no traffic.
    expect(emulator().deployments('brand-new')).toEqual([])
  })

  it('promotes to 100%, then a 10% rollout keeps the previous version at 90%', async () => {
    const root = await project({})
    const deploymentReads = () =>
      emulator().requests.filter(
        (r) => r.method === 'GET' && r.path.endsWith('/workers/scripts/rollout/deployments'),
      ).length
    await deploy(root, 'rollout', { promote: true })
    const [first] = emulator().versions('rollout')
    expect(emulator().deployments('rollout')[0]!.versions).toEqual([
      { version_id: first!.id, percentage: 100 },
    ])
    // 100% goes to the new version whatever is deployed: the current deployment is read once, only
    // for the diff of what the deploy changes.
    expect(deploymentReads()).toBe(1)
    await deploy(root, 'rollout', { promote: 10 })
    // A gradual rollout keeps the deployed version for the rest: it reads it with the Worker's state, then
    // checks just before and just after its own deployment that no other rollout changed it meanwhile.
    // The diff uses that first read.
    expect(deploymentReads()).toBe(1 + 3)
    const [second] = emulator().versions('rollout')
    expect(second!.id).not.toBe(first!.id)
    expect(emulator().deployments('rollout')[0]!.versions).toEqual([
      { version_id: second!.id, percentage: 10 },
      { version_id: first!.id, percentage: 90 },
    ])
    const result = JSON.parse(
      await (
        await import('node:fs/promises')
      ).readFile(join(root, '.workers-version/result.json'), 'utf8'),
    )
    expect(result.deployment.versions).toEqual(emulator().deployments('rollout')[0]!.versions)
  })

  it('refuses a gradual rollout with nothing deployed before any version is created', async () => {
    await expect(deploy(await project({}), 'nothing-deployed', { promote: 25 })).rejects.toThrow(
      /nothing is deployed yet/,
    )
    expect(posts(emulator(), 'nothing-deployed')).toHaveLength(0)
    expect(workerPosts('nothing-deployed')).toHaveLength(0)
  })

  it('refuses promote values outside 1–100 when the plugin is created', () => {
    for (const promote of [0, 101, -5]) {
      expect(() => vitePlugin({ promote } as never)).toThrow(
        /promote: expected true, false, a whole percentage from 1 to 100 or a gated rollout/,
      )
    }
  })

  it('keeps the secrets of the current version that the build does not set', async () => {
    const root = await project({})
    vi.stubEnv('API_KEY', 'kept-secret-value')
    await deploy(root, 'kept-secrets', { secrets: { fromEnv: ['API_KEY'] } })
    vi.stubEnv('API_KEY', '')
    await deploy(root, 'kept-secrets')
    const [latest] = emulator().versions('kept-secrets')
    expect(latest!.request.bindings).toContainEqual({ type: 'inherit', name: 'API_KEY' })
    expect(await (await fetch(latest!.urls[0]!)).json()).toEqual({
      hello: 'world',
      secret: 'kept-secret-value',
    })
  })

  it('sends only the migration steps the Worker has not applied, with old_tag, through the script upload (never in a version)', async () => {
    const durableObject = `import { DurableObject } from 'cloudflare:workers'\nexport class Counter extends DurableObject {}\nexport class Ledger extends DurableObject {}\n${HELLO}`
    const config = (migrations: unknown[]) =>
      JSON.stringify({
        name: 'migrating',
        compatibility_date: '2025-01-01',
        durable_objects: {
          bindings: [
            { name: 'COUNTER', class_name: 'Counter' },
            { name: 'LEDGER', class_name: 'Ledger' },
          ],
        },
        migrations,
      })
    const v1 = { tag: 'v1', new_sqlite_classes: ['Counter'] }
    const v2 = { tag: 'v2', new_sqlite_classes: ['Ledger'] }
    const root = await project({ 'src/index.js': durableObject, 'wrangler.jsonc': config([v1]) })
    await deploy(root, 'migrating', { promote: true })
    expect(emulator().worker('migrating')?.migration_tag).toBe('v1')
    await writeFile(join(root, 'wrangler.jsonc'), config([v1, v2]))
    await deploy(root, 'migrating', { promote: true })
    const [latest] = emulator().versions('migrating')
    expect(latest!.request.migrations).toEqual({
      old_tag: 'v1',
      new_tag: 'v2',
      steps: [{ new_sqlite_classes: ['Ledger'] }],
    })
    expect(emulator().worker('migrating')?.migration_tag).toBe('v2')
    expect(
      emulator().requests.filter(
        (r) => r.method === 'PUT' && r.path.endsWith('/workers/scripts/migrating'),
      ),
    ).toHaveLength(2)
    expect(posts(emulator(), 'migrating')).toHaveLength(0)
  })

  it('takes workers/tag and workers/message from the git commit', async () => {
    const root = await project({ '.gitignore': 'dist\n.workers-version\n' })
    const git = (...args: string[]) =>
      execFileSync('git', [
        '-C',
        root,
        '-c',
        'user.name=t',
        '-c',
        'user.email=t@example.com',
        ...args,
      ])
    git('init', '-q')
    git('add', '.')
    git('commit', '-q', '-m', 'Say hello from the edge')
    const sha = git('rev-parse', '--short', 'HEAD').toString().trim()
    await deploy(root, 'git-annotated', { gitAnnotations: true })
    const [version] = emulator().versions('git-annotated')
    expect(version!.request.annotations).toEqual({
      'workers/tag': sha,
      'workers/message': 'Say hello from the edge',
    })
    expect((await readRequest(join(root, '.workers-version'))).annotations).toEqual({
      'workers/tag': sha,
      'workers/message': 'Say hello from the edge',
    })
  })

  it('without preflight the Worker is read while the bundler works, once, and the upload uses that read', async () => {
    const worker = 'read-early'
    // Holds the bundle until the plugin has read the Worker: only a read made during the build gets through.
    let readDuringBuild = false
    const waitForRead: Plugin = {
      name: 'wait-for-read',
      async generateBundle() {
        readDuringBuild = await untilRead(worker)
      },
    }
    await deploy(await project({}), worker, { preflight: false }, [waitForRead])
    expect(readDuringBuild).toBe(true)
    expect(workerReads(worker)).toHaveLength(1)
    // Read as new, so created first: the state read early was the one acted on.
    expect(workerPosts(worker)).toHaveLength(1)
    expect(emulator().versions(worker)).toHaveLength(1)
  })

  it('a read made more than a minute before the upload is made again', async () => {
    const worker = 'read-stale'
    const realNow = Date.now
    // Once the early read is in, the clock jumps two minutes: the build took that long.
    const slowBuild: Plugin = {
      name: 'slow-build',
      async generateBundle() {
        await untilRead(worker)
        vi.spyOn(Date, 'now').mockImplementation(() => realNow.call(Date) + 120_000)
      },
    }
    try {
      await deploy(await project({}), worker, { preflight: false }, [slowBuild])
    } finally {
      vi.restoreAllMocks()
    }
    expect(workerReads(worker)).toHaveLength(2)
    expect(emulator().versions(worker)).toHaveLength(1)
  })

  it("preflight: a Worker that throws at startup is refused by the API, gets no version, deployment or traffic, and the build fails with workerd's stack trace", async () => {
    const worker = 'broken-worker'
    const root = await project({})
    await deploy(root, worker, { promote: true })
    const [good] = emulator().versions(worker)
    const broken = `function readConfig() {\n  return JSON.parse('{')\n}\nconst config = readConfig()\nexport default { fetch() { return new Response(String(config)) } }\n`
    await writeFile(join(root, 'src/index.js'), broken)
    const error = await deploy(root, worker, { promote: true }).then(
      () => undefined,
      (e: unknown) => e as Error,
    )
    expect(error?.message).toMatch(
      /The version failed to start: the API refused it, so nothing was deployed, and it fails in workerd too:/,
    )
    // workerd's own words, with the stack trace of the local run: the function and the line.
    const [local, api] = error!.message.split("The API's answer:")
    expect(local).toMatch(/SyntaxError[\s\S]*at index\.js:\d+:\d+ in readConfig/)
    expect(api).toMatch(/SyntaxError/)
    expect(error?.message).toMatch(/\[code 10021\]/)
    // The API refused the version: none was stored, and the good one keeps all traffic.
    expect(emulator().versions(worker)).toHaveLength(1)
    expect(emulator().deployments(worker)).toHaveLength(1)
    expect(emulator().deployments(worker)[0]!.versions).toEqual([
      { version_id: good!.id, percentage: 100 },
    ])
    expect(
      emulator().requests.filter(
        (r) => r.method === 'POST' && r.path.endsWith(`/workers/scripts/${worker}/deployments`),
      ),
    ).toHaveLength(1)
  })

  it("preflight: a first deploy through the script upload (a Durable Object migration) of a Worker that throws at startup creates nothing, and the message holds workerd's stack trace", async () => {
    const worker = 'broken-migrating'
    const broken = `import { DurableObject } from 'cloudflare:workers'\nexport class Counter extends DurableObject {}\nfunction boot() {\n  throw new Error('boot failed')\n}\nboot()\n${HELLO}`
    const config = JSON.stringify({
      name: worker,
      compatibility_date: '2025-01-01',
      durable_objects: { bindings: [{ name: 'COUNTER', class_name: 'Counter' }] },
      migrations: [{ tag: 'v1', new_sqlite_classes: ['Counter'] }],
    })
    const root = await project({ 'src/index.js': broken, 'wrangler.jsonc': config })
    const error = await deploy(root, worker, { promote: true }).then(
      () => undefined,
      (e: unknown) => e as Error,
    )
    const [local, api] = (error?.message ?? '').split("The API's answer:")
    expect(local).toMatch(
      /The version failed to start: the API refused it, so nothing was deployed, and it fails in workerd too:/,
    )
    expect(local).toMatch(/boot failed[\s\S]*at index\.js:\d+:\d+ in boot/)
    expect(api).toMatch(/\[code 10021\]/)
    expect(
      emulator().requests.filter(
        (r) => r.method === 'PUT' && r.path.endsWith(`/workers/scripts/${worker}`),
      ),
    ).toHaveLength(1)
    expect(emulator().worker(worker)).toBeUndefined()
    expect(emulator().versions(worker)).toEqual([])
  })

  it('preflight: a good Worker is promoted without starting workerd first (the API starts it)', async () => {
    const log = vi.spyOn(console, 'log')
    await deploy(await project({}), 'good-worker', { promote: true })
    expect(log.mock.calls.some(([line]) => String(line).includes('preflight'))).toBe(false)
    const [version] = emulator().versions('good-worker')
    expect(emulator().deployments('good-worker')[0]!.versions).toEqual([
      { version_id: version!.id, percentage: 100 },
    ])
  })
})
