/**
 * The emulator lists an account's Workflows as the API's "List all Workflows" does: a page at a
 * time (`page` from 1, `per_page` from 1 to 100), each with its script and class, and refuses a
 * page or a size out of range, naming the parameter.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Emulator } from '../../src/emulator/index.js'
import { startEmulator } from '../helpers/emulator.js'
import { api, b64 } from './helpers.js'

let emu: Emulator
const account = () => `${emu.url}/accounts/${emu.accountId}`

beforeAll(async () => {
  emu = await startEmulator({ preview: false })
  const name = 'flows'
  expect((await api(emu, 'POST', `${account()}/workers/workers`, { name })).status).toBe(200)
  const source = ['A', 'B', 'C']
    .map((c) => `export class Flow${c} { run() {} }`)
    .concat('export default { fetch() { return new Response("ok") } }')
    .join('\n')
  const version = await api(emu, 'POST', `${account()}/workers/workers/${name}/versions`, {
    main_module: 'index.js',
    modules: [
      {
        name: 'index.js',
        content_type: 'application/javascript+module',
        content_base64: b64(source),
      },
    ],
    compatibility_date: '2025-01-01',
  })
  expect(version.status).toBe(200)
  const deployment = await api(emu, 'POST', `${account()}/workers/scripts/${name}/deployments`, {
    strategy: 'percentage',
    versions: [{ version_id: version.json.result.id, percentage: 100 }],
  })
  expect(deployment.status).toBe(200)
  for (const c of ['c', 'a', 'b']) {
    const put = await api(emu, 'PUT', `${account()}/workflows/flow-${c}`, {
      script_name: name,
      class_name: `Flow${c.toUpperCase()}`,
    })
    expect(put.status).toBe(200)
  }
})
afterAll(() => emu?.close())

it('lists the Workflows a page at a time, with their script and class', async () => {
  const first = await api(emu, 'GET', `${account()}/workflows?page=1&per_page=2`)
  expect(first.status).toBe(200)
  expect(
    first.json.result.map((w: Record<string, unknown>) => [w.name, w.script_name, w.class_name]),
  ).toEqual([
    ['flow-a', 'flows', 'FlowA'],
    ['flow-b', 'flows', 'FlowB'],
  ])
  expect((first.json as unknown as { result_info: unknown }).result_info).toEqual({
    page: 1,
    per_page: 2,
    count: 2,
    total_count: 3,
  })
  const second = await api(emu, 'GET', `${account()}/workflows?page=2&per_page=2`)
  expect(second.json.result.map((w: Record<string, unknown>) => w.name)).toEqual(['flow-c'])
  // Without parameters: the first page of the default size.
  expect((await api(emu, 'GET', `${account()}/workflows`)).json.result).toHaveLength(3)
})

it('refuses a page or a page size out of range, naming the parameter', async () => {
  for (const [query, at] of [
    ['per_page=101', '/per_page'],
    ['per_page=0', '/per_page'],
    ['page=0', '/page'],
    ['page=x', '/page'],
  ]) {
    const answer = await api(emu, 'GET', `${account()}/workflows?${query}`)
    expect(answer.status).toBe(400)
    expect(answer.json.errors[0]?.source?.pointer).toBe(at)
  }
})
