/**
 * Workers for Platforms in the emulator: dispatch namespaces hold user Workers uploaded with the
 * script upload's multipart form (tags in its metadata), refused as Cloudflare refuses them (an
 * unknown namespace, a bad tag, a versions call inside a namespace), and a dispatcher Worker
 * reaches them through its `dispatch_namespace` binding, its outbound Worker in the path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'
import { api } from './helpers.js'

let emu: Emulator
const account = () => `${emu.url}/accounts/${emu.accountId}`
const namespaces = () => `${account()}/workers/dispatch/namespaces`
const userScript = (ns: string, name: string, rest = '') =>
  `${namespaces()}/${ns}/scripts/${name}${rest}`
const auth = () => ({ authorization: `Bearer ${emu.token}` })

/** The multipart form wrangler sends: a `metadata` part and one part per module. */
function uploadForm(metadata: Record<string, unknown>, source: string): FormData {
  const form = new FormData()
  form.set(
    'metadata',
    new Blob(
      [JSON.stringify({ main_module: 'index.js', compatibility_date: '2025-01-01', ...metadata })],
      {
        type: 'application/json',
      },
    ),
  )
  form.set('index.js', new Blob([source], { type: 'application/javascript+module' }), 'index.js')
  return form
}

async function upload(
  ns: string,
  name: string,
  metadata: Record<string, unknown>,
  source: string,
): Promise<{ status: number; json: any }> {
  const response = await fetch(
    `${userScript(ns, name)}?excludeScript=true&bindings_inherit=strict`,
    {
      method: 'PUT',
      headers: auth(),
      body: uploadForm(metadata, source),
    },
  )
  return { status: response.status, json: await response.json() }
}

const USER_WORKER = `export default {
  async fetch(request, env) {
    const outbound = await fetch('http://upstream.example/ping').then((r) => r.text(), (e) => 'no outbound: ' + e.message)
    return Response.json({ user: 'customer-a', path: new URL(request.url).pathname, outbound, secret: env.TOKEN ?? null })
  }
}
`

beforeAll(async () => {
  emu = await startEmulator()
})
afterAll(async () => {
  await emu?.close()
})

describe('dispatch namespaces', () => {
  it('creates, lists, reads and deletes a namespace', async () => {
    const created = await api(emu, 'POST', namespaces(), { name: 'staging' })
    expect(created.status).toBe(200)
    expect(created.json.result).toMatchObject({ namespace_name: 'staging', script_count: 0 })
    expect((await api(emu, 'POST', namespaces(), { name: 'staging' })).status).toBe(409)
    const listed = await api(emu, 'GET', namespaces())
    expect(listed.json.result.map((n: any) => n.namespace_name)).toContain('staging')
    expect((await api(emu, 'GET', `${namespaces()}/staging`)).json.result.namespace_id).toBe(
      created.json.result.namespace_id,
    )
    expect((await api(emu, 'DELETE', `${namespaces()}/staging`)).status).toBe(200)
    const gone = await api(emu, 'GET', `${namespaces()}/staging`)
    expect(gone.status).toBe(404)
    expect(gone.json.errors[0]?.code).toBe(100119)
  })

  it('uploads a user Worker with tags, reads it, and answers 10092 for one not uploaded', async () => {
    expect((await api(emu, 'POST', namespaces(), { name: 'customers' })).status).toBe(200)
    const missing = await api(emu, 'GET', userScript('customers', 'customer-a'))
    expect(missing.status).toBe(404)
    expect(missing.json.errors[0]?.code).toBe(10092)

    const uploaded = await upload(
      'customers',
      'customer-a',
      {
        tags: ['plan-free', 'customer-a'],
        bindings: [{ type: 'secret_text', name: 'TOKEN', text: 'first' }],
      },
      USER_WORKER,
    )
    expect(uploaded.status, JSON.stringify(uploaded.json)).toBe(200)
    expect(uploaded.json.result.tags).toEqual(['plan-free', 'customer-a'])

    const read = await api(emu, 'GET', userScript('customers', 'customer-a'))
    expect(read.json.result).toMatchObject({
      dispatch_namespace: 'customers',
      script: { id: 'customer-a', tags: ['plan-free', 'customer-a'] },
    })
    // A user Worker is no Worker of the account.
    expect((await api(emu, 'GET', `${account()}/workers/workers/customer-a`)).status).toBe(404)
    expect((await api(emu, 'GET', `${namespaces()}/customers`)).json.result.script_count).toBe(1)

    // keep_bindings keeps the secret on a re-upload that does not send it.
    const again = await upload(
      'customers',
      'customer-a',
      { keep_bindings: ['secret_text'] },
      USER_WORKER,
    )
    expect(again.status, JSON.stringify(again.json)).toBe(200)
    const secrets = await api(emu, 'GET', userScript('customers', 'customer-a', '/secrets'))
    expect(secrets.json.result).toEqual([{ name: 'TOKEN', type: 'secret_text' }])
    // Tags the upload does not send stay as they were.
    expect(
      (await api(emu, 'GET', userScript('customers', 'customer-a', '/tags'))).json.result,
    ).toEqual(['plan-free', 'customer-a'])
  })

  it('replaces, adds and removes tags', async () => {
    const put = await api(emu, 'PUT', userScript('customers', 'customer-a', '/tags'), ['a', 'b'])
    expect(put.status).toBe(200)
    expect(put.json.result).toEqual(['a', 'b'])
    expect((await api(emu, 'PUT', userScript('customers', 'customer-a', '/tags/c'))).status).toBe(
      200,
    )
    expect(
      (await api(emu, 'DELETE', userScript('customers', 'customer-a', '/tags/a'))).status,
    ).toBe(200)
    expect(
      (await api(emu, 'GET', userScript('customers', 'customer-a', '/tags'))).json.result,
    ).toEqual(['b', 'c'])
  })

  it('refuses a namespace that does not exist with 100119, on every user Worker endpoint', async () => {
    const refused = await upload('nowhere', 'customer-a', {}, USER_WORKER)
    expect(refused.status).toBe(404)
    expect(refused.json.errors[0]?.code).toBe(100119)
    for (const [method, rest] of [
      ['GET', ''],
      ['GET', '/tags'],
      ['PUT', '/tags/x'],
      ['GET', '/settings'],
      ['GET', '/secrets'],
      ['POST', '/assets-upload-session'],
    ] as const) {
      const reply = await api(emu, method, userScript('nowhere', 'customer-a', rest))
      expect(reply.status, `${method} ${rest}`).toBe(404)
      expect(reply.json.errors[0]?.code, `${method} ${rest}`).toBe(100119)
    }
  })

  it('refuses a bad tag: more than eight, an empty one, one with a comma or an ampersand', async () => {
    const nine = Array.from({ length: 9 }, (_, i) => `t${i}`)
    for (const tags of [nine, [''], ['a,b'], ['a&b'], 'one']) {
      const onUpload = await upload('customers', 'customer-b', { tags }, USER_WORKER)
      expect(onUpload.status, JSON.stringify(tags)).toBe(400)
      expect(onUpload.json.errors[0]?.code).toBe(10021)
      const onPut = await api(emu, 'PUT', userScript('customers', 'customer-a', '/tags'), tags)
      expect(onPut.status, JSON.stringify(tags)).toBe(400)
    }
    // Nothing was stored by the refused uploads, and the tags are unchanged.
    expect((await api(emu, 'GET', userScript('customers', 'customer-b'))).json.errors[0]?.code).toBe(
      10092,
    )
    expect(
      (await api(emu, 'GET', userScript('customers', 'customer-a', '/tags'))).json.result,
    ).toEqual(['b', 'c'])
    const ninth = await api(
      emu,
      'PUT',
      userScript('customers', 'customer-a', '/tags'),
      nine.slice(0, 8),
    )
    expect(ninth.status).toBe(200)
    expect(
      (await api(emu, 'PUT', userScript('customers', 'customer-a', '/tags/one-more'))).status,
    ).toBe(400)
  })

  it('has no versions API inside a namespace', async () => {
    for (const [method, rest] of [
      ['GET', '/versions'],
      ['POST', '/versions'],
      ['GET', '/deployments'],
      ['POST', '/deployments'],
    ] as const) {
      const reply = await api(
        emu,
        method,
        userScript('customers', 'customer-a', rest),
        method === 'POST' ? {} : undefined,
      )
      expect(reply.status, `${method} ${rest}`).toBe(404)
      expect(reply.json.errors[0]?.code, `${method} ${rest}`).toBe(7000)
    }
  })
})
