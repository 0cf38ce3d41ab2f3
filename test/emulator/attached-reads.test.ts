/**
 * The reads a diff makes of what a Worker has attached: its routes, its Custom Domains (filtered by
 * the Worker they serve) and its workers.dev switches, each as the deploys left them; a Worker that
 * does not exist is 10007 on the script paths.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'
import { api } from './helpers.js'

let emu: Emulator
const account = () => `${emu.url}/accounts/${emu.accountId}`
const script = (name: string, rest: string) => `${account()}/workers/scripts/${name}/${rest}`

beforeAll(async () => {
  emu = await startEmulator({ preview: false, zones: [{ name: 'example.com', id: 'zone-1' }] })
  for (const name of ['app', 'rival'])
    expect((await api(emu, 'POST', `${account()}/workers/workers`, { name })).status).toBe(200)
})
afterAll(() => emu?.close())

it('lists a Worker’s routes, Custom Domains and workers.dev switches as they were set', async () => {
  expect((await api(emu, 'GET', script('app', 'routes'))).json.result).toEqual([])
  expect((await api(emu, 'GET', script('app', 'subdomain'))).json.result).toEqual({
    enabled: false,
    previews_enabled: false,
  })
  await api(emu, 'PUT', script('app', 'routes'), [{ pattern: 'a.example.com/*' }])
  await api(emu, 'PUT', script('rival', 'routes'), [{ pattern: 'r.example.com/*' }])
  await api(emu, 'PUT', script('app', 'domains/records'), {
    override_scope: true,
    origins: [{ hostname: 'shop.example.com' }],
  })
  await api(emu, 'PUT', script('rival', 'domains/records'), {
    override_scope: true,
    origins: [{ hostname: 'rival.example.com' }],
  })
  await api(emu, 'POST', script('app', 'subdomain'), { enabled: true })

  const routes = (await api(emu, 'GET', script('app', 'routes'))).json.result
  expect(routes.map((r: { pattern: string; script: string }) => [r.pattern, r.script])).toEqual([
    ['a.example.com/*', 'app'],
  ])
  const domains = (await api(emu, 'GET', `${account()}/workers/domains?service=app`)).json.result
  expect(
    domains.map((d: { hostname: string; service: string }) => [d.hostname, d.service]),
  ).toEqual([['shop.example.com', 'app']])
  expect((await api(emu, 'GET', `${account()}/workers/domains`)).json.result).toHaveLength(2)
  expect((await api(emu, 'GET', script('app', 'subdomain'))).json.result).toMatchObject({
    enabled: true,
  })
  for (const rest of ['routes', 'subdomain'])
    expect((await api(emu, 'GET', script('nobody', rest))).json.errors[0]?.code).toBe(10007)
})
