/**
 * The deploy endpoints of the emulator are as strict as Cloudflare's: every target must exist (the
 * Worker, a tail consumer, the zone, the queue), a Workflow needs a deployed Worker whose main
 * module exports its class, a queue takes one Worker consumer, and a route or Custom Domain of
 * another Worker is not taken over. Each refusal names the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'
import { api, b64 } from './helpers.js'

let emu: Emulator
const account = () => `${emu.url}/accounts/${emu.accountId}`
const script = (name: string, rest: string) => `${account()}/workers/scripts/${name}/${rest}`

/** Creates Worker `name` and deploys one version whose main module is `source`. */
async function deployed(name: string, source: string): Promise<void> {
  expect((await api(emu, 'POST', `${account()}/workers/workers`, { name })).status).toBe(200)
  const body = {
    main_module: 'index.js',
    modules: [
      {
        name: 'index.js',
        content_type: 'application/javascript+module',
        content_base64: b64(source),
      },
    ],
    compatibility_date: '2025-01-01',
  }
  const version = await api(emu, 'POST', `${account()}/workers/workers/${name}/versions`, body)
  expect(version.status).toBe(200)
  expect(
    (
      await api(emu, 'POST', script(name, 'deployments'), {
        strategy: 'percentage',
        versions: [{ version_id: version.json.result.id, percentage: 100 }],
      })
    ).status,
  ).toBe(200)
}

beforeAll(async () => {
  emu = await startEmulator({
    preview: false,
    zones: [{ name: 'example.com', id: 'zone-1' }],
    queues: [{ name: 'jobs', id: 'q-1' }],
  })
  await deployed(
    'app',
    'export class Flow {}\nclass Other {}\nexport { Other as Renamed }\nexport default { fetch() { return new Response("ok") } }',
  )
  await deployed('rival', 'export default { fetch() { return new Response("rival") } }')
  expect(
    (await api(emu, 'POST', `${account()}/workers/workers`, { name: 'undeployed' })).status,
  ).toBe(200)
})
afterAll(() => emu?.close())

describe('script settings, workers.dev, schedules', () => {
  it('refuses unknown settings, a tail consumer that is not a Worker, and a subdomain body without enabled', async () => {
    expect(
      (
        await api(emu, 'PATCH', script('app', 'script-settings'), {
          logpush: true,
          usage_model: 'bundled',
        })
      ).json.errors[0],
    ).toMatchObject({ code: 10021, source: { pointer: '/usage_model' } })
    expect(
      (
        await api(emu, 'PATCH', script('app', 'script-settings'), {
          tail_consumers: [{ service: 'nobody' }],
        })
      ).json.errors[0],
    ).toMatchObject({ source: { pointer: '/tail_consumers/0/service' } })
    expect(
      (
        await api(emu, 'PATCH', script('app', 'script-settings'), {
          observability: { enabled: 'yes' },
        })
      ).json.errors[0],
    ).toMatchObject({ source: { pointer: '/observability/enabled' } })
    expect(
      (await api(emu, 'PATCH', script('ghost', 'script-settings'), {})).json.errors[0]?.code,
    ).toBe(10007)
    const patched = await api(emu, 'PATCH', script('app', 'script-settings'), {
      tail_consumers: [{ service: 'rival' }],
      observability: { enabled: true },
    })
    expect(patched.json.result).toMatchObject({
      logpush: false,
      tail_consumers: [{ service: 'rival' }],
      observability: { enabled: true },
    })

    expect(
      (await api(emu, 'POST', script('app', 'subdomain'), { previews_enabled: true })).json
        .errors[0],
    ).toMatchObject({ source: { pointer: '/enabled' } })
    expect(
      (await api(emu, 'POST', script('app', 'subdomain'), { enabled: false })).json.result,
    ).toEqual({ enabled: false, previews_enabled: false })
    expect(emu.worker('app')?.subdomain).toEqual({ enabled: false, previews_enabled: false })
  })

  it('takes five-field cron expressions and replaces the schedules; [] removes them', async () => {
    expect(
      (await api(emu, 'PUT', script('app', 'schedules'), [{ cron: 'every minute' }])).json
        .errors[0],
    ).toMatchObject({ source: { pointer: '/0/cron' } })
    expect(
      (await api(emu, 'PUT', script('app', 'schedules'), [{ cron: '*/5 * * * *' }])).status,
    ).toBe(200)
    expect(emu.worker('app')?.schedules?.map((s) => s.cron)).toEqual(['*/5 * * * *'])
    expect((await api(emu, 'PUT', script('app', 'schedules'), [])).status).toBe(200)
    expect(emu.worker('app')?.schedules).toEqual([])
  })
})

describe('a Worker that does not exist', () => {
  it('is a 404 (10007) on every per-Worker setting, before a bad body is looked at', async () => {
    const ghost = (rest: string) => script('ghost', rest)
    const calls: Array<[string, string]> = [
      ['PATCH', ghost('script-settings')],
      ['GET', ghost('script-settings')],
      ['POST', ghost('subdomain')],
      ['PUT', ghost('schedules')],
      ['GET', ghost('schedules')],
      ['POST', ghost('deployments')],
      ['PUT', `${account()}/settings/transformations/workers/ghost`],
      ['GET', `${account()}/settings/transformations/workers/ghost`],
    ]
    for (const [method, path] of calls) {
      const reply = await api(emu, method, path, method === 'GET' ? undefined : { bad: 1 })
      expect([method, path, reply.status, reply.json.errors]).toEqual([
        method,
        path,
        404,
        [{ code: 10007, message: 'This Worker does not exist on your account.' }],
      ])
    }
  })
})

describe('Workflows', () => {
  const put = (name: string, body: unknown) =>
    api(emu, 'PUT', `${account()}/workflows/${name}`, body)

  it('needs a deployed Worker whose main module exports the class; then creates, and updates in place', async () => {
    expect((await api(emu, 'GET', `${account()}/workflows/flow`)).json.errors[0]?.code).toBe(10200)
    expect(
      (await put('flow', { script_name: 'ghost', class_name: 'Flow' })).json.errors[0],
    ).toMatchObject({ code: 10007, source: { pointer: '/script_name' } })
    expect(
      (await put('flow', { script_name: 'undeployed', class_name: 'Flow' })).json.errors[0],
    ).toMatchObject({ source: { pointer: '/script_name' } })
    expect(
      (await put('flow', { script_name: 'app', class_name: 'Other' })).json.errors[0],
    ).toMatchObject({ source: { pointer: '/class_name' } })
    expect((await put('flow', { script_name: 'app', class_name: 'Renamed' })).status).toBe(200)
    const created = await put('flow', { script_name: 'app', class_name: 'Flow' })
    expect(created.json.result).toMatchObject({
      name: 'flow',
      script_name: 'app',
      class_name: 'Flow',
    })
    expect(emu.attachments.workflows.size).toBe(1)
  })
})

describe('routes and Custom Domains', () => {
  it("replaces a Worker's routes on known zones and refuses a pattern routed to another Worker", async () => {
    expect(
      (await api(emu, 'PUT', script('app', 'routes'), [{ pattern: 'api.other.org/*' }])).json
        .errors[0]?.code,
    ).toBe(7003)
    expect(
      (
        await api(emu, 'PUT', script('app', 'routes'), [
          { pattern: 'api.other.org/*', zone_id: 'zone-1' },
        ])
      ).json.errors[0],
    ).toMatchObject({ source: { pointer: '/0/pattern' } })
    expect(
      (await api(emu, 'PUT', script('rival', 'routes'), [{ pattern: 'taken.example.com/*' }]))
        .status,
    ).toBe(200)
    expect(
      (await api(emu, 'PUT', script('app', 'routes'), [{ pattern: 'taken.example.com/*' }])).status,
    ).toBe(409)
    expect(
      (
        await api(emu, 'PUT', script('app', 'routes'), [
          { pattern: 'a.example.com/*', zone_name: 'example.com' },
          { pattern: 'b.example.com/*' },
        ])
      ).status,
    ).toBe(200)
    expect(
      (await api(emu, 'PUT', script('app', 'routes'), [{ pattern: 'b.example.com/*' }])).status,
    ).toBe(200)
    expect(emu.attachments.routes.map((r) => [r.pattern, r.script])).toEqual([
      ['taken.example.com/*', 'rival'],
      ['b.example.com/*', 'app'],
    ])
  })

  it('attaches Custom Domains on known zones, and moves one from another Worker only with override_existing_origin', async () => {
    const records = (name: string, body: unknown) =>
      api(emu, 'PUT', script(name, 'domains/records'), body)
    expect(
      (await records('app', { override_scope: true, origins: [{ hostname: 'shop.other.org' }] }))
        .json.errors[0]?.code,
    ).toBe(7003)
    expect(
      (
        await records('app', {
          override_scope: true,
          origins: [{ hostname: 'x.example.com', zone_id: 'zone-2' }],
        })
      ).json.errors[0]?.code,
    ).toBe(7003)
    expect(
      (
        await records('rival', {
          override_scope: true,
          origins: [{ hostname: 'shop.example.com' }],
        })
      ).status,
    ).toBe(200)
    expect(
      (
        await records('app', {
          override_scope: true,
          override_existing_origin: false,
          origins: [{ hostname: 'shop.example.com' }],
        })
      ).status,
    ).toBe(409)
    expect(
      (
        await records('app', {
          override_scope: true,
          override_existing_origin: true,
          origins: [{ hostname: 'shop.example.com' }],
        })
      ).status,
    ).toBe(200)
    expect(emu.attachments.customDomains.map((d) => [d.hostname, d.service, d.zone_id])).toEqual([
      ['shop.example.com', 'app', 'zone-1'],
    ])
  })
})

describe('queue consumers', () => {
  const consumers = (queue: string) => `${account()}/queues/${queue}/consumers`

  it('needs an existing queue and a deployed Worker, checks the settings, and takes one Worker consumer per queue', async () => {
    expect((await api(emu, 'GET', `${account()}/queues?name=jobs`)).json.result).toEqual([
      expect.objectContaining({ queue_id: 'q-1', queue_name: 'jobs', consumers: [] }),
    ])
    expect((await api(emu, 'GET', `${account()}/queues?name=nothing`)).json.result).toEqual([])
    expect(
      (await api(emu, 'POST', consumers('q-9'), { type: 'worker', script_name: 'app' })).json
        .errors[0]?.code,
    ).toBe(11000)
    expect(
      (await api(emu, 'POST', consumers('q-1'), { type: 'worker', script_name: 'undeployed' })).json
        .errors[0],
    ).toMatchObject({ source: { pointer: '/script_name' } })
    expect(
      (
        await api(emu, 'POST', consumers('q-1'), {
          type: 'worker',
          script_name: 'app',
          settings: { batch_size: 500 },
        })
      ).json.errors[0],
    ).toMatchObject({ source: { pointer: '/settings/batch_size' } })
    const created = await api(emu, 'POST', consumers('q-1'), {
      type: 'worker',
      script_name: 'app',
      settings: { batch_size: 10 },
    })
    expect(created.status).toBe(200)
    expect(
      (await api(emu, 'POST', consumers('q-1'), { type: 'worker', script_name: 'rival' })).status,
    ).toBe(409)
    const id = created.json.result.consumer_id as string
    expect(
      (
        await api(emu, 'PUT', `${consumers('q-1')}/${id}`, {
          type: 'worker',
          script_name: 'app',
          settings: { batch_size: 20 },
        })
      ).status,
    ).toBe(200)
    expect(emu.attachments.queues[0]?.consumers).toEqual([
      expect.objectContaining({ consumer_id: id, script: 'app', settings: { batch_size: 20 } }),
    ])
  })
})
