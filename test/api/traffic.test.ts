/**
 * From version to traffic, against the emulator with previews on (versions really run in workerd):
 * first deploys, deployments and their validation, the Worker-level route's split, migration tags,
 * secrets and their inheritance, and how many workerd instances stay up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createVersion } from '../../src/api/create-version.js'
import { createDeployment, currentDeployment, planTraffic } from '../../src/api/deployments.js'
import { uploadScript } from '../../src/api/script-upload.js'
import { identityOfPayload } from '../../src/api/versions.js'
import { scriptMetadata } from '../../src/core/serialize.js'
import type { ModuleContentType } from '../../src/core/types.js'
import { ApiError } from '../../src/api/errors.js'
import { pendingMigrations, type TaggedMigrationStep } from '../../src/version/migrations.js'
import type { ApiCallContext } from '../../src/api/request.js'
import { createWorker, currentMigrationTag, getWorker, listSecrets } from '../../src/api/workers.js'
import type { VersionRequestBody } from '../../src/core/body.js'
import { WorkersVersionError } from '../../src/core/errors.js'
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'
import { api, helloBody } from '../emulator/helpers.js'

let emu: Emulator
/** Walks 0.00, 0.01, …, 0.99 and around: 100 Worker-level requests hit each percent once. */
let bucket = 0
beforeAll(async () => {
  emu = await startEmulator({ trafficRandom: () => (bucket++ % 100) / 100 })
})
afterAll(async () => {
  await emu?.close()
})

const ctx = (): ApiCallContext => ({
  baseUrl: emu.url,
  accountId: emu.accountId,
  credentials: { apiToken: emu.token },
  retries: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
  timeouts: { deadlineMs: 20_000 },
})

async function upload(worker: string, body: Record<string, unknown>) {
  return createVersion({ ...ctx(), worker, body: body as unknown as VersionRequestBody })
}

const scriptsPath = (worker: string, rest: string) =>
  `${emu.url}/accounts/${emu.accountId}/workers/scripts/${worker}/${rest}`
const workerUrl = (worker: string, path = '/') => `${emu.origin}/workers/${worker}${path}`

describe('first deploys', () => {
  it('a version for a Worker that does not exist is 10007 until the Worker is created', async () => {
    const error = await upload('brand-new', helloBody()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(404)
    expect((error as ApiError).errors[0]?.code).toBe(10007)
    expect(await getWorker(ctx(), 'brand-new')).toBeUndefined()

    const created = await createWorker(ctx(), 'brand-new')
    expect(created.name).toBe('brand-new')
    expect((await getWorker(ctx(), 'brand-new'))?.id).toBe(created.id)
    const version = await upload('brand-new', helloBody())
    expect(emu.versions('brand-new').map((v) => v.id)).toEqual([version.id])
    // A new Worker has nothing deployed, no secrets and no migration tag.
    expect(await currentDeployment(ctx(), 'brand-new')).toBeUndefined()
    expect(await listSecrets(ctx(), 'brand-new')).toEqual([])
    expect(await currentMigrationTag(ctx(), 'brand-new')).toBeUndefined()
  })

  it('creating a Worker twice: the API answers 409 ("already exists"), and the second call goes on with the same Worker', async () => {
    const first = await createWorker(ctx(), 'twice')
    const second = await createWorker(ctx(), 'twice')
    expect(second.id).toBe(first.id)
    expect(
      emu.requests.filter(
        (r) => r.method === 'POST' && r.path.endsWith('/workers/workers') && r.status === 409,
      ),
    ).toHaveLength(1)
  })
})

describe('deployments', () => {
  let v1 = ''
  let v2 = ''
  beforeAll(async () => {
    await createWorker(ctx(), 'rollout')
    v1 = (await upload('rollout', helloBody('one'))).id
    v2 = (await upload('rollout', helloBody('two'))).id
  })

  it('refuses invalid bodies with one pointed error per problem', async () => {
    await createWorker(ctx(), 'other')
    const foreign = (await upload('other', helloBody())).id
    const cases: [unknown, string[]][] = [
      [{ strategy: 'all-at-once', versions: [{ version_id: v1, percentage: 100 }] }, ['/strategy']],
      [{ strategy: 'percentage', versions: [] }, ['/versions']],
      [
        {
          strategy: 'percentage',
          versions: [
            { version_id: v1, percentage: 50 },
            { version_id: v2, percentage: 25 },
            { version_id: foreign, percentage: 25 },
          ],
        },
        ['/versions'],
      ],
      [
        { strategy: 'percentage', versions: [{ version_id: foreign, percentage: 100 }] },
        ['/versions/0/version_id'],
      ],
      [
        {
          strategy: 'percentage',
          versions: [
            { version_id: v1, percentage: -1 },
            { version_id: v2, percentage: 100 },
          ],
        },
        ['/versions/0/percentage'],
      ],
      [
        { strategy: 'percentage', versions: [{ version_id: v1, percentage: 101 }] },
        ['/versions/0/percentage'],
      ],
      [
        {
          strategy: 'percentage',
          versions: [
            { version_id: v1, percentage: 60 },
            { version_id: v2, percentage: 30 },
          ],
        },
        ['/versions'],
      ],
      [
        {
          strategy: 'percentage',
          versions: [
            { version_id: v1, percentage: 50 },
            { version_id: v1, percentage: 50 },
          ],
        },
        ['/versions/1/version_id'],
      ],
      [
        {
          strategy: 'percentage',
          versions: [{ version_id: v1, percentage: 100 }],
          annotations: { 'workers/tag': 'x' },
        },
        ['/annotations/workers~1tag'],
      ],
    ]
    for (const [body, pointers] of cases) {
      const { status, json } = await api(emu, 'POST', scriptsPath('rollout', 'deployments'), body)
      expect({ body, status }).toEqual({ body, status: 400 })
      expect(json.errors.map((e) => e.source?.pointer)).toEqual(pointers)
      expect(json.errors.every((e) => e.code === 10021)).toBe(true)
    }
    expect(emu.deployments('rollout')).toEqual([])
    const missing = await api(emu, 'POST', scriptsPath('no-such-worker', 'deployments'), {
      strategy: 'percentage',
      versions: [{ version_id: v1, percentage: 100 }],
    })
    expect([missing.status, missing.json.errors[0]?.code]).toEqual([404, 10007])
  })

  // Values outside 1–100 never reach planTraffic: the options refuse them (test/options/options-schema.test.ts).
  it('planTraffic treats 100 like true', () => {
    expect(planTraffic(undefined, v2, 100)).toEqual([{ version_id: v2, percentage: 100 }])
  })

  it('a gradual rollout with nothing deployed is refused before anything is sent', () => {
    expect(() => planTraffic(undefined, v2, 10)).toThrow(WorkersVersionError)
    expect(() => planTraffic(undefined, v2, 10)).toThrow(/nothing is deployed yet/)
  })

  it('promotes to 100%, then a 10% rollout keeps the previous version at 90% and the route splits traffic so', async () => {
    const first = planTraffic(await currentDeployment(ctx(), 'rollout'), v1, true)
    expect(first).toEqual([{ version_id: v1, percentage: 100 }])
    const deployed = await createDeployment(ctx(), 'rollout', {
      versions: first,
      message: 'first release',
    })
    expect(deployed.annotations).toEqual({
      'workers/message': 'first release',
      'workers/triggered_by': 'deployment',
    })

    const split = planTraffic(await currentDeployment(ctx(), 'rollout'), v2, 10)
    expect(split).toEqual([
      { version_id: v2, percentage: 10 },
      { version_id: v1, percentage: 90 },
    ])
    await createDeployment(ctx(), 'rollout', { versions: split, message: 'x'.repeat(300) })

    const { json } = await api(emu, 'GET', scriptsPath('rollout', 'deployments'))
    const listed = json.result.deployments as {
      id: string
      created_on: string
      source: string
      strategy: string
      versions: unknown[]
      annotations: Record<string, string>
    }[]
    expect(listed).toHaveLength(2)
    expect(listed[0]).toMatchObject({ strategy: 'percentage', source: 'api', versions: split })
    expect(listed[0]?.annotations['workers/message']).toHaveLength(100)
    expect(listed[1]).toMatchObject({
      versions: first,
      annotations: { 'workers/message': 'first release' },
    })
    expect((await currentDeployment(ctx(), 'rollout'))?.versions).toEqual(split)

    bucket = 0
    const greetings: string[] = []
    for (let i = 0; i < 100; i++)
      greetings.push(
        ((await (await fetch(workerUrl('rollout', '/hi'))).json()) as { greeting: string })
          .greeting,
      )
    expect(greetings.filter((g) => g === 'two')).toHaveLength(10)
    expect(greetings.filter((g) => g === 'one')).toHaveLength(90)

    // The platform's override header pins one version of the deployment.
    const pinned = await fetch(workerUrl('rollout', '/pinned'), {
      headers: { 'cloudflare-workers-version-overrides': `rollout="${v2}"` },
    })
    expect(await pinned.json()).toMatchObject({ greeting: 'two', path: '/pinned' })
    // Version preview URLs keep working.
    expect(
      await (await fetch(emu.versions('rollout').find((v) => v.id === v1)!.urls[0]!)).json(),
    ).toMatchObject({ greeting: 'one' })
  })

  it('a rollout on top of a split deployment is refused', async () => {
    const v3 = (await upload('rollout', helloBody('three'))).id
    const current = await currentDeployment(ctx(), 'rollout')
    expect(() => planTraffic(current, v3, 50)).toThrow(/already splits traffic/)
    expect(planTraffic(current, v3, true)).toEqual([{ version_id: v3, percentage: 100 }])
  })

  it('?deploy=true on Create Version deploys the new version to 100% in the same call', async () => {
    await createWorker(ctx(), 'direct')
    const { status, json } = await api(
      emu,
      'POST',
      `${emu.url}/accounts/${emu.accountId}/workers/workers/direct/versions?deploy=true`,
      helloBody('direct'),
    )
    expect(status).toBe(200)
    expect((await currentDeployment(ctx(), 'direct'))?.versions).toEqual([
      { version_id: json.result.id, percentage: 100 },
    ])
    expect(await (await fetch(workerUrl('direct'))).json()).toMatchObject({ greeting: 'direct' })
  })

  it('a Worker with nothing deployed has no Worker-level traffic', async () => {
    const response = await fetch(workerUrl('other'))
    expect(response.status).toBe(404)
  })
})

describe('migration tags', () => {
  const v1Step: TaggedMigrationStep = { tag: 'v1', new_sqlite_classes: ['Counter'] }
  const v2Step: TaggedMigrationStep = {
    tag: 'v2',
    renamed_classes: [{ from: 'Counter', to: 'Tally' }],
  }

  it('pendingMigrations follows wrangler: all steps when new, the later ones after a known tag, all with a warning for an unknown one', () => {
    expect(pendingMigrations([v1Step, v2Step], undefined)).toEqual({
      new_tag: 'v2',
      steps: [
        { new_sqlite_classes: ['Counter'] },
        { renamed_classes: [{ from: 'Counter', to: 'Tally' }] },
      ],
    })
    expect(pendingMigrations([v1Step, v2Step], 'v2')).toBeUndefined()
    expect(pendingMigrations([], undefined)).toBeUndefined()
    const warnings: string[] = []
    expect(pendingMigrations([v1Step, v2Step], 'v0', (w) => warnings.push(w))).toEqual({
      old_tag: 'v0',
      new_tag: 'v2',
      steps: [
        { new_sqlite_classes: ['Counter'] },
        { renamed_classes: [{ from: 'Counter', to: 'Tally' }] },
      ],
    })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('"v0"')
  })

  /** The script upload (a non-versioned deploy) of the hello Worker with `migrations`. */
  async function deployScript(worker: string, greeting: string, migrations: unknown) {
    const body = helloBody(greeting)
    const modules = (
      body.modules as Array<{
        name: string
        content_type: ModuleContentType
        content_base64: string
      }>
    ).map((m) => ({
      name: m.name,
      content_type: m.content_type,
      contents: Buffer.from(m.content_base64, 'base64'),
    }))
    const payload = {
      mainModule: body.main_module as string,
      modules,
      config: { compatibility_date: '2025-01-01', migrations },
    }
    return uploadScript(ctx(), {
      worker,
      metadata: scriptMetadata(payload),
      modules,
      identity: identityOfPayload(payload),
    })
  }

  it('a version never carries a migration (10211); the script upload applies only the pending step from the current tag; a wrong old_tag is refused', async () => {
    await createWorker(ctx(), 'durable')
    const first = pendingMigrations([v1Step], await currentMigrationTag(ctx(), 'durable'))
    expect(first).toEqual({ new_tag: 'v1', steps: [{ new_sqlite_classes: ['Counter'] }] })
    // Create Version refuses it, as the platform does, and stores nothing.
    const refused = await upload('durable', { ...helloBody('a'), migrations: first }).catch(
      (e: unknown) => e,
    )
    expect(refused).toBeInstanceOf(ApiError)
    expect((refused as ApiError).status).toBe(400)
    expect((refused as ApiError).errors[0]).toMatchObject({
      code: 10211,
      message: expect.stringContaining(
        'migrations must be fully applied via a non-versioned deployment',
      ),
    })
    expect((refused as ApiError).message).toContain('deploy it with `promote: true`')
    expect(emu.versions('durable')).toHaveLength(0)

    // The script upload applies it and deploys its version to 100% in the same call.
    const a = await deployScript('durable', 'a', first)
    expect(await currentMigrationTag(ctx(), 'durable')).toBe('v1')
    expect((await currentDeployment(ctx(), 'durable'))?.versions).toEqual([
      { version_id: a.id, percentage: 100 },
    ])
    expect(await (await fetch(workerUrl('durable'))).json()).toMatchObject({ greeting: 'a' })

    const second = pendingMigrations([v1Step, v2Step], await currentMigrationTag(ctx(), 'durable'))
    expect(second).toEqual({
      old_tag: 'v1',
      new_tag: 'v2',
      steps: [{ renamed_classes: [{ from: 'Counter', to: 'Tally' }] }],
    })
    const b = await deployScript('durable', 'b', second)
    expect(await currentMigrationTag(ctx(), 'durable')).toBe('v2')
    expect(emu.versions('durable').map((v) => v.id)).toEqual([b.id, a.id])

    const { json: scripts } = await api(
      emu,
      'GET',
      `${emu.url}/accounts/${emu.accountId}/workers/scripts`,
    )
    expect(scripts.result).toContainEqual(
      expect.objectContaining({ id: 'durable', migration_tag: 'v2' }),
    )

    const wrong = await deployScript('durable', 'c', {
      old_tag: 'v1',
      new_tag: 'v3',
      steps: [{ deleted_classes: ['Tally'] }],
    }).catch((e: unknown) => e)
    expect(wrong).toBeInstanceOf(ApiError)
    expect((wrong as ApiError).status).toBe(412)
    expect((wrong as ApiError).errors[0]).toMatchObject({ code: 10079 })
    expect((wrong as ApiError).errors[0]?.message).toContain("expected tag is 'v2'")
    const missingOld = await deployScript('durable', 'd', { new_tag: 'v3', steps: [] }).catch(
      (e: unknown) => e,
    )
    expect((missingOld as ApiError).errors[0]?.code).toBe(10079)
    expect(emu.versions('durable')).toHaveLength(2)
    expect(await currentMigrationTag(ctx(), 'durable')).toBe('v2')
  })
})

describe('secrets', () => {
  it('lists the deployed secrets and serves inherited values in the next version; inheriting a missing name is refused', async () => {
    await createWorker(ctx(), 'secretive')
    const first = await upload('secretive', {
      ...helloBody('first'),
      bindings: [{ type: 'secret_text', name: 'SECRET', text: 'kept-value' }],
    })
    await createDeployment(ctx(), 'secretive', {
      versions: [{ version_id: first.id, percentage: 100 }],
    })
    expect(await listSecrets(ctx(), 'secretive')).toEqual([{ name: 'SECRET', type: 'secret_text' }])

    const second = await upload('secretive', {
      ...helloBody('second'),
      bindings: [{ type: 'inherit', name: 'SECRET' }],
    })
    const served = (await (await fetch(second.urls![0]!)).json()) as {
      greeting: string
      secret: string
    }
    expect(served).toMatchObject({ greeting: 'second', secret: 'kept-value' })
    // Values stay write-only in API answers.
    const { json } = await api(
      emu,
      'GET',
      `${emu.url}/accounts/${emu.accountId}/workers/workers/secretive/versions/${second.id}`,
    )
    expect(json.result.bindings).toEqual([{ type: 'secret_text', name: 'SECRET' }])
    expect(JSON.stringify(json)).not.toContain('kept-value')

    const missing = await upload('secretive', {
      ...helloBody('third'),
      bindings: [{ type: 'inherit', name: 'NOPE' }],
    }).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(ApiError)
    expect((missing as ApiError).errors[0]).toMatchObject({
      code: 10021,
      source: { pointer: '/bindings/0' },
    })
    expect(emu.versions('secretive')).toHaveLength(2)
  })
})

describe('workerd instances', () => {
  it('keeps the deployed versions plus the most recently used others, and close() stops them all', async () => {
    let turn = 0
    const own = await startEmulator({
      token: emu.token,
      maxRunning: 1,
      trafficRandom: () => (turn++ % 2 === 0 ? 0.25 : 0.75),
    })
    try {
      const call = { ...ctx(), baseUrl: own.url }
      await createWorker(call, 'busy')
      const ids: string[] = []
      for (const greeting of ['a', 'b', 'c', 'd'])
        ids.push(
          (
            await createVersion({
              ...call,
              worker: 'busy',
              body: helloBody(greeting) as unknown as VersionRequestBody,
            })
          ).id,
        )
      // Nothing deployed: only the newest version stays up.
      await expect.poll(() => own.runningVersions()).toEqual([ids[3]])

      await createDeployment(call, 'busy', {
        versions: [
          { version_id: ids[0]!, percentage: 50 },
          { version_id: ids[1]!, percentage: 50 },
        ],
      })
      // Requests to the Worker start the deployed versions; they then stay pinned.
      for (let i = 0; i < 4; i++)
        expect((await fetch(`${own.origin}/workers/busy/`)).status).toBe(200)
      expect(
        await (await fetch(own.versions('busy').find((v) => v.id === ids[2])!.urls[0]!)).json(),
      ).toMatchObject({ greeting: 'c' })
      await expect
        .poll(() => [...own.runningVersions()].sort())
        .toEqual([ids[0], ids[1], ids[2]].sort())

      await createDeployment(call, 'busy', { versions: [{ version_id: ids[3]!, percentage: 100 }] })
      // a and b are no longer deployed: only the one most recently used of them (or c) stays.
      expect(own.runningVersions()).toHaveLength(1)
      expect((await fetch(`${own.origin}/workers/busy/`)).status).toBe(200)
      expect(own.runningVersions()).toContain(ids[3])
      expect(own.runningVersions()).toHaveLength(2)
    } finally {
      await own.close()
    }
    expect(own.runningVersions()).toEqual([])
  })
})
