/**
 * Durable Object migrations against the strict emulator, which refuses a version that carries one
 * (10211) as the platform does: a pending migration with `promote` at 100% goes through the script
 * upload (one non-versioned deploy), a later build without a class change through Create Version,
 * and a gradual rollout or no `promote` is refused before anything but the state reads is sent.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import type { Emulator, RecordedRequest } from '../../src/emulator/index.js'
import { tempDir } from '../helpers/fixture.js'
import { metadataOf, posts, useEmulator } from '../helpers/emulator.js'
import { rollupUpload } from '../helpers/rollup-upload.js'

const emulator = useEmulator()
/** An account flagged as new: it creates only SQLite-backed Durable Objects. */
const newAccount = useEmulator({ newAccount: true, preview: false })

const SOURCE = (classes: string[]) => `import { DurableObject } from 'cloudflare:workers'
${classes
  .map(
    (name) => `export class ${name} extends DurableObject {
  async fetch() {
    const n = ((await this.ctx.storage.get('n')) ?? 0) + 1
    await this.ctx.storage.put('n', n)
    return Response.json({ class: '${name}', n })
  }
}`,
  )
  .join('\n')}
export default {
  fetch(request, env) {
    const ns = env.${classes.at(-1)!.toUpperCase()}
    return ns.get(ns.idFromName('one')).fetch(request)
  },
}
`

const STEP_V1 = { tag: 'v1', new_sqlite_classes: ['Counter'] }
const STEP_V2 = { tag: 'v2', renamed_classes: [{ from: 'Counter', to: 'Tally' }] }

/** A Worker project whose Durable Object classes and wrangler `migrations` are `classes` and `migrations`. */
async function project(
  dir: string,
  classes: string[],
  migrations: unknown[],
  extra: Record<string, unknown> = {},
): Promise<void> {
  await writeFile(join(dir, 'index.js'), SOURCE(classes))
  const bindings = classes.map((name) => ({ name: name.toUpperCase(), class_name: name }))
  await writeFile(
    join(dir, 'wrangler.jsonc'),
    JSON.stringify({
      name: 'ignored',
      compatibility_date: '2025-01-01',
      durable_objects: { bindings },
      migrations,
      ...extra,
    }),
  )
}

function build(
  dir: string,
  worker: string,
  extra: Record<string, unknown> = {},
  emu = emulator(),
): Promise<string> {
  return rollupUpload(
    emu,
    dir,
    worker,
    { wrangler: join(dir, 'wrangler.jsonc'), gitAnnotations: false, ...extra },
    { input: join(dir, 'index.js') },
  )
}

const scriptPuts = (emu: Emulator, worker: string) =>
  emu.requests.filter((r) => r.method === 'PUT' && r.path.endsWith(`/workers/scripts/${worker}`))
const writes = (list: RecordedRequest[]) => list.filter((r) => r.method !== 'GET')

async function served(emu: Emulator, worker: string): Promise<unknown> {
  const response = await fetch(`${emu.origin}/workers/${worker}/`)
  return response.json()
}

describe('a pending Durable Object migration', () => {
  const worker = 'do-app'
  let dir = ''

  it('with promote, a new class deploys through one script upload, and its Durable Object answers in workerd', async () => {
    dir = await tempDir('migrations')
    await project(dir, ['Counter'], [STEP_V1])
    const outputDir = await build(dir, worker, { promote: true })

    const emu = emulator()
    const [put, ...more] = scriptPuts(emu, worker)
    expect(more).toHaveLength(0)
    expect(put!.query).toEqual({ excludeScript: 'true', bindings_inherit: 'strict' })
    expect(put!.status).toBe(200)
    // The script upload created the Worker and the version; nothing went through the versions API.
    expect(
      emu.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/workers/workers')),
    ).toHaveLength(0)
    expect(posts(emu, worker)).toHaveLength(0)
    const metadata = await metadataOf(put!)
    expect(metadata).toMatchObject({
      main_module: 'index.js',
      migrations: { new_tag: 'v1', steps: [{ new_sqlite_classes: ['Counter'] }] },
      keep_bindings: ['secret_text', 'secret_key'],
      bindings: [{ type: 'durable_object_namespace', name: 'COUNTER', class_name: 'Counter' }],
    })
    expect(emu.worker(worker)?.migration_tag).toBe('v1')
    const [version] = emu.versions(worker)
    expect(emu.deployments(worker)[0]!.versions).toEqual([
      { version_id: version!.id, percentage: 100 },
    ])
    expect(await served(emu, worker)).toEqual({ class: 'Counter', n: 1 })
    expect(await served(emu, worker)).toEqual({ class: 'Counter', n: 2 })

    // request.json is what was sent: the metadata part and the module parts after it.
    const request = JSON.parse(await readFile(join(outputDir, 'request.json'), 'utf8'))
    expect(request.metadata).toEqual(metadata)
    expect(request.parts.map((p: { name: string }) => p.name)).toEqual(
      version!.modules.map((m) => m.name),
    )
    const result = JSON.parse(await readFile(join(outputDir, 'result.json'), 'utf8'))
    expect(result.result).toMatchObject({ id: version!.id, number: 1 })
    expect(result.deployment.versions).toEqual([{ version_id: version!.id, percentage: 100 }])
  })

  it('a later build without a class change goes through Create Version and a deployment', async () => {
    const emu = emulator()
    const before = emu.requests.length
    await writeFile(
      join(dir, 'index.js'),
      SOURCE(['Counter']).replace("class: 'Counter'", "class: 'Counter', build: 2"),
    )
    await build(dir, worker, { promote: true })
    const sent = writes(emu.requests.slice(before))
    expect(sent.map((r) => `${r.method} ${r.path.split('/workers/')[1]}`)).toEqual([
      `POST workers/${worker}/versions`,
      `POST scripts/${worker}/deployments`,
      // What every promote applies after its deployment, as `wrangler deploy` does (deploy/triggers.ts).
      `PATCH scripts/${worker}/script-settings`,
      `POST scripts/${worker}/subdomain`,
    ])
    const [latest] = emu.versions(worker)
    expect(latest!.request.migrations).toBeUndefined()
    expect(emu.worker(worker)?.migration_tag).toBe('v1')
    // The new version serves (the emulator runs each version in its own workerd, storage included).
    expect(await served(emu, worker)).toEqual({ class: 'Counter', build: 2, n: 1 })
  })

  it('a rename deploys only the pending step, from the current tag', async () => {
    const emu = emulator()
    await project(dir, ['Tally'], [STEP_V1, STEP_V2])
    await build(dir, worker, { promote: true })
    const puts = scriptPuts(emu, worker)
    expect(puts).toHaveLength(2)
    expect((await metadataOf(puts[1]!)).migrations).toEqual({
      old_tag: 'v1',
      new_tag: 'v2',
      steps: [{ renamed_classes: [{ from: 'Counter', to: 'Tally' }] }],
    })
    expect(emu.worker(worker)?.migration_tag).toBe('v2')
    expect(await served(emu, worker)).toEqual({ class: 'Tally', n: 1 })
  })

  it('with a gradual rollout, or without promote, is refused before anything but the state reads is sent', async () => {
    const emu = emulator()
    await project(
      dir,
      ['Tally', 'Ledger'],
      [STEP_V1, STEP_V2, { tag: 'v3', new_sqlite_classes: ['Ledger'] }],
    )
    for (const promote of [10, undefined]) {
      const before = emu.requests.length
      const versions = emu.versions(worker).length
      const failure = await build(dir, worker, { promote }).catch(
        (error: unknown) => error as Error,
      )
      expect(failure).toBeInstanceOf(Error)
      expect((failure as Error).message).toContain(
        'pending Durable Object migration (v2 → v3: new_sqlite_classes Ledger',
      )
      expect((failure as Error).message).toContain('set `promote: true`')
      expect((failure as Error).message).toContain('apply the migration on its own first')
      expect(writes(emu.requests.slice(before))).toEqual([])
      expect(emu.requests.slice(before).length).toBeGreaterThan(0)
      expect(emu.versions(worker)).toHaveLength(versions)
    }
    expect(emu.worker(worker)?.migration_tag).toBe('v2')
  })
})

describe('the script upload when its response is lost', () => {
  it('adopts the version the lost request deployed: one version, one deployment, the tag moved once', async () => {
    const emu = emulator()
    const worker = 'do-lost'
    const dir = await tempDir('migrations-lost')
    await project(dir, ['Counter'], [STEP_V1])
    emu.injectFaults({
      match: { method: 'PUT', path: /\/workers\/scripts\/do-lost$/ },
      kind: 'lose-response',
    })
    const ciOutputs = join(dir, 'github-output')
    vi.stubEnv('GITHUB_OUTPUT', ciOutputs)
    const outputDir = await build(dir, worker, { promote: true }).finally(() => vi.unstubAllEnvs())
    expect(scriptPuts(emu, worker).map((r) => r.status)).toEqual([0])
    const versions = emu.versions(worker)
    expect(versions).toHaveLength(1)
    expect(emu.deployments(worker)).toHaveLength(1)
    expect(emu.worker(worker)?.migration_tag).toBe('v1')
    const result = JSON.parse(await readFile(join(outputDir, 'result.json'), 'utf8'))
    expect(result.result.id).toBe(versions[0]!.id)
    expect(result.deployment.versions).toEqual([{ version_id: versions[0]!.id, percentage: 100 }])
    const outputs = await readFile(ciOutputs, 'utf8')
    expect(outputs).toContain(`version-id=${versions[0]!.id}`)
    expect(outputs).toContain(`traffic=${versions[0]!.id}:100`)
  })
})

describe('the script upload when reading its version back fails', () => {
  it('says the script is deployed and which version, and writes result.json and GITHUB_OUTPUT with what is known', async () => {
    const emu = emulator()
    const worker = 'do-unread'
    const dir = await tempDir('migrations-unread')
    await project(dir, ['Counter'], [STEP_V1])
    // Every read of the deployed version answers 500 (the build sends it 3 times).
    const fault = {
      match: { method: 'GET', path: /\/workers\/workers\/do-unread\/versions\/[^/]+$/ },
      kind: 'status',
      status: 500,
    } as const
    emu.injectFaults(fault, fault, fault)
    const ciOutputs = join(dir, 'github-output')
    vi.stubEnv('GITHUB_OUTPUT', ciOutputs)
    const failure = await build(dir, worker, { promote: true })
      .then(
        () => undefined,
        (error: unknown) => error as Error,
      )
      .finally(() => vi.unstubAllEnvs())

    const [version, ...others] = emu.versions(worker)
    expect(others).toHaveLength(0)
    expect(emu.worker(worker)?.migration_tag).toBe('v1')
    expect(failure).toBeInstanceOf(Error)
    expect(failure!.message).toContain(
      `The script of Worker "do-unread" IS deployed: version ${version!.id} serves 100% of traffic. Reading that version back failed afterwards`,
    )
    expect(failure!.message).toContain('nothing needs to be sent again')
    const outputDir = join(dir, '.workers-version')
    const result = JSON.parse(await readFile(join(outputDir, 'result.json'), 'utf8'))
    expect(result).toMatchObject({
      worker,
      result: { id: version!.id },
      deployment: { versions: [{ version_id: version!.id, percentage: 100 }] },
    })
    expect(result.result.number).toBeUndefined()
    const outputs = await readFile(ciOutputs, 'utf8')
    expect(outputs).toContain(`version-id=${version!.id}\n`)
    expect(outputs).toContain(`traffic=${version!.id}:100\n`)
    expect(outputs).not.toContain('version-number=')
  })
})

describe('the API refuses', () => {
  it('new_classes on a new account (10099): the error is passed through with the hint to use new_sqlite_classes', async () => {
    const emu = newAccount()
    const dir = await tempDir('migrations-10099')
    await project(dir, ['Counter'], [{ tag: 'v1', new_classes: ['Counter'] }])
    const failure = await build(dir, 'do-kv', { promote: true }, emu).catch(
      (error: unknown) => error as Error,
    )
    expect(failure).toBeInstanceOf(Error)
    expect((failure as Error).message).toContain('[code 10099]')
    expect((failure as Error).message).toContain(
      'declare the new classes under `new_sqlite_classes` instead of `new_classes`',
    )
    expect(scriptPuts(emu, 'do-kv').map((r) => r.status)).toEqual([400])
    expect(emu.worker('do-kv')).toBeUndefined()
  })
})

describe('Durable Object exports', () => {
  const exportsOption = {
    compatibility_date: '2025-01-01',
    exports: { Counter: { type: 'durable-object', storage: 'sqlite' } },
  }

  it('go through the script upload on a deploy at 100%, as wrangler deploy sends them, and through Create Version without promote', async () => {
    const emu = emulator()
    const worker = 'do-exports'
    const dir = await tempDir('migrations-exports')
    await project(dir, ['Counter'], [])
    await build(dir, worker, { version: exportsOption })
    expect(posts(emu, worker)).toHaveLength(1)
    expect(emu.versions(worker)[0]!.request.exports).toEqual(exportsOption.exports)

    await build(dir, worker, { version: exportsOption, promote: true })
    const [put] = scriptPuts(emu, worker)
    const metadata = await metadataOf(put!)
    expect(metadata.exports).toEqual(exportsOption.exports)
    expect(metadata.migrations).toBeUndefined()
    expect(posts(emu, worker)).toHaveLength(1)
    expect(emu.deployments(worker)[0]!.versions).toEqual([
      { version_id: emu.versions(worker)[0]!.id, percentage: 100 },
    ])
    expect(await served(emu, worker)).toEqual({ class: 'Counter', n: 1 })
  })
})

describe('containers', () => {
  it('go through the script upload on a deploy at 100% once the migration is applied, as wrangler deploy sends them', async () => {
    const emu = emulator()
    const worker = 'do-containers'
    const dir = await tempDir('migrations-containers')
    await project(dir, ['Counter'], [STEP_V1], {
      containers: [{ class_name: 'Counter', image: './Dockerfile' }],
    })
    await build(dir, worker, { promote: true })
    await build(dir, worker, { promote: true })
    const puts = scriptPuts(emu, worker)
    expect(puts).toHaveLength(2)
    const second = await metadataOf(puts[1]!)
    expect(second.containers).toEqual([{ class_name: 'Counter' }])
    expect(second.migrations).toBeUndefined()
    expect(posts(emu, worker)).toHaveLength(0)
  })
})

describe('static assets with a pending migration', () => {
  it('are uploaded before the script upload, which carries their token: the new Worker serves them and its Durable Object', async () => {
    const emu = emulator()
    const worker = 'do-assets'
    const dir = await tempDir('migrations-assets')
    await project(dir, ['Counter'], [STEP_V1])
    await mkdir(join(dir, 'public'))
    await writeFile(join(dir, 'public', 'hello.txt'), 'hello from an asset\n')
    const outputDir = await build(dir, worker, {
      promote: true,
      assets: { directory: join(dir, 'public') },
    })
    const [put] = scriptPuts(emu, worker)
    const metadata = await metadataOf(put!)
    expect((metadata.assets as { jwt?: unknown }).jwt).toEqual(expect.any(String))
    expect(emu.assets.sessions.filter((s) => s.scriptName === worker)).toHaveLength(1)
    expect(
      JSON.parse(await readFile(join(outputDir, 'request.json'), 'utf8')).metadata.assets.jwt,
    ).toBe('[redacted]')
    expect(await (await fetch(`${emu.origin}/workers/${worker}/hello.txt`)).text()).toBe(
      'hello from an asset\n',
    )
    expect(await served(emu, worker)).toEqual({ class: 'Counter', n: 1 })
  })
})
