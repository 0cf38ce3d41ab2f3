/**
 * Workers for Platforms in the emulator: dispatch namespaces hold user Workers uploaded with the
 * script upload's multipart form (tags in its metadata), refused as Cloudflare refuses them (an
 * unknown namespace, a bad tag, a versions call inside a namespace), and a dispatcher Worker
 * reaches them through its `dispatch_namespace` binding, its outbound Worker in the path.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readAssetsDirectory, manifestBody } from '../../src/assets/manifest.js'
import { startEmulator } from '../helpers/emulator.js'
import { runWrangler } from '../helpers/wrangler.js'
import { type Emulator } from '../../src/emulator/index.js'
import { api, b64 } from './helpers.js'

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
    expect(
      (await api(emu, 'GET', userScript('customers', 'customer-b'))).json.errors[0]?.code,
    ).toBe(10092)
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
    // The user Worker exists: only the versions and deployments routes are missing.
    expect((await api(emu, 'GET', userScript('customers', 'customer-a'))).status).toBe(200)
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

const OUTBOUND_WORKER = `export default {
  fetch(request, env) {
    return new Response('outbound saw ' + new URL(request.url).host + ' for ' + JSON.stringify(env.customer ?? null) + ', ignored: ' + typeof env.ignored)
  }
}
`

const DISPATCHER_WORKER = `export default {
  async fetch(request, env) {
    const name = new URL(request.url).pathname.split('/')[1]
    try {
      return await env.DISPATCHER.get(name, {}, { outbound: { customer: name, ignored: 'not a param' } }).fetch(request)
    } catch (error) {
      return new Response('dispatch failed: ' + error.message, { status: 404 })
    }
  }
}
`

/** A Worker of the account, uploaded with the script upload (deployed at once). */
async function deployWorker(name: string, source: string, bindings: unknown[] = []) {
  const response = await fetch(`${account()}/workers/scripts/${name}`, {
    method: 'PUT',
    headers: auth(),
    body: uploadForm({ bindings }, source),
  })
  return { status: response.status, json: (await response.json()) as any }
}

describe('a dispatcher Worker', () => {
  const binding = {
    type: 'dispatch_namespace',
    name: 'DISPATCHER',
    namespace: 'customers',
    outbound: { worker: { service: 'outbound-proxy' }, params: [{ name: 'customer' }] },
  }

  it('refuses a dispatch_namespace binding without its namespace or with a bad outbound', async () => {
    for (const bad of [
      { type: 'dispatch_namespace', name: 'DISPATCHER' },
      { ...binding, outbound: { worker: {} } },
      {
        ...binding,
        outbound: { worker: { service: 'outbound-proxy' }, params: [{ name: 'not valid' }] },
      },
    ]) {
      const refused = await deployWorker('bad-dispatcher', DISPATCHER_WORKER, [bad])
      expect(refused.status, JSON.stringify(bad)).toBe(400)
      expect(refused.json.errors[0]?.code).toBe(10021)
      expect(refused.json.errors[0]?.source?.pointer).toMatch(
        /^\/bindings\/0\/(namespace|outbound)/,
      )
    }
  })

  it("serves a user Worker's answer through its binding, the outbound Worker in the path", async () => {
    expect((await deployWorker('outbound-proxy', OUTBOUND_WORKER)).status).toBe(200)
    const dispatcher = await deployWorker('dispatcher', DISPATCHER_WORKER, [binding])
    expect(dispatcher.status, JSON.stringify(dispatcher.json)).toBe(200)

    const served = await fetch(`${emu.origin}/workers/dispatcher/customer-a/hello`)
    expect(served.status).toBe(200)
    expect(await served.json()).toEqual({
      user: 'customer-a',
      path: '/customer-a/hello',
      // Only the values the binding names as params reach the outbound Worker.
      outbound: 'outbound saw upstream.example for "customer-a", ignored: undefined',
      secret: 'first',
    })

    const missing = await fetch(`${emu.origin}/workers/dispatcher/nobody/`)
    expect(missing.status).toBe(404)
    expect(await missing.text()).toBe('dispatch failed: Worker not found: nobody')
  })
})

describe('a user Worker with assets and secrets', () => {
  const ASSETS_WORKER = `export default {
  fetch(request, env) {
    // The dispatcher forwards its own request: the first segment names this user Worker.
    const url = new URL(request.url)
    url.pathname = url.pathname.replace(/^\\/[^/]+/, '')
    if (url.pathname === '/secret') return new Response(env.API_KEY ?? 'none')
    return env.ASSETS.fetch(new Request(url, request))
  }
}
`
  /** The namespace's upload session, then the account's bucket upload: the completion token. */
  async function uploadAssets(sessionUrl: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'wfp-assets-'))
    try {
      await writeFile(join(dir, 'hello.txt'), 'hello from an asset')
      const manifest = await readAssetsDirectory(dir)
      const session = await api(emu, 'POST', sessionUrl, { manifest: manifestBody(manifest) })
      expect(session.status, JSON.stringify(session.json)).toBe(200)
      // The account holds the file already (an earlier session uploaded it): completion at once.
      if (session.json.result.buckets.length === 0) return session.json.result.jwt
      const file = manifest.files[0]!
      const form = new FormData()
      form.append(
        file.hash,
        new Blob([b64('hello from an asset')], { type: 'text/plain' }),
        file.hash,
      )
      const uploaded = await fetch(`${account()}/workers/assets/upload?base64=true`, {
        method: 'POST',
        headers: { authorization: `Bearer ${session.json.result.jwt}` },
        body: form,
      })
      const json = (await uploaded.json()) as any
      expect(uploaded.status, JSON.stringify(json)).toBe(201)
      return json.result.jwt
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }

  it("takes assets through the namespace's upload session, refusing another script's token", async () => {
    const elsewhere = await uploadAssets(
      `${account()}/workers/scripts/customer-c/assets-upload-session`,
    )
    const metadata = (jwt: string) => ({
      bindings: [{ type: 'assets', name: 'ASSETS' }],
      assets: { jwt, config: {} },
    })
    const refused = await upload('customers', 'customer-c', metadata(elsewhere), ASSETS_WORKER)
    expect(refused.status).toBe(400)
    expect(refused.json.errors[0]?.source?.pointer).toBe('/assets/jwt')

    const jwt = await uploadAssets(userScript('customers', 'customer-c', '/assets-upload-session'))
    const uploaded = await upload('customers', 'customer-c', metadata(jwt), ASSETS_WORKER)
    expect(uploaded.status, JSON.stringify(uploaded.json)).toBe(200)
    expect(uploaded.json.result.has_assets).toBe(true)
  })

  it('puts a secret (a new deployment), lists it without its value, and reads and patches settings', async () => {
    const put = await api(emu, 'PUT', userScript('customers', 'customer-c', '/secrets'), {
      name: 'API_KEY',
      text: 'sk-local',
      type: 'secret_text',
    })
    expect(put.status, JSON.stringify(put.json)).toBe(200)
    const listed = await api(emu, 'GET', userScript('customers', 'customer-c', '/secrets'))
    expect(listed.json.result).toEqual([{ name: 'API_KEY', type: 'secret_text' }])
    const settings = await api(emu, 'GET', userScript('customers', 'customer-c', '/settings'))
    expect(settings.json.result.bindings).toContainEqual({ type: 'secret_text', name: 'API_KEY' })
    expect(JSON.stringify(settings.json.result)).not.toContain('sk-local')

    const patch = (value: Record<string, unknown>) => {
      const form = new FormData()
      form.set('settings', new Blob([JSON.stringify(value)], { type: 'application/json' }))
      return fetch(userScript('customers', 'customer-c', '/settings'), {
        method: 'PATCH',
        headers: auth(),
        body: form,
      })
    }
    const patched = await patch({ logpush: true, tags: ['paid'] })
    expect(patched.status).toBe(200)
    expect(((await patched.json()) as any).result).toMatchObject({ logpush: true, tags: ['paid'] })
    expect((await patch({ tags: ['a,b'] })).status).toBe(400)
    expect((await patch({ compatibility_date: '2025-02-01' })).status).toBe(400)

    // The dispatcher serves the new deployment: the secret and the asset.
    const secret = await fetch(`${emu.origin}/workers/dispatcher/customer-c/secret`)
    expect(await secret.text()).toBe('sk-local')
    const asset = await fetch(`${emu.origin}/workers/dispatcher/customer-c/hello.txt`)
    expect(await asset.text()).toBe('hello from an asset')
  })
})

describe('wrangler 4.164 against the namespaces', () => {
  it('deploys a user Worker with --dispatch-namespace and a dispatcher with dispatch_namespaces that serves it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wfp-wrangler-'))
    try {
      await mkdir(join(dir, 'user', 'public'), { recursive: true })
      await mkdir(join(dir, 'dispatcher'))
      await writeFile(
        join(dir, 'user', 'index.js'),
        'export default { fetch(request, env) { return new Response("user says " + env.GREETING) } }\n',
      )
      await writeFile(join(dir, 'user', 'public', 'a.txt'), 'an asset')
      await writeFile(
        join(dir, 'user', 'wrangler.json'),
        JSON.stringify({
          name: 'wrangler-user',
          main: 'index.js',
          compatibility_date: '2025-01-01',
          vars: { GREETING: 'hello' },
          assets: { directory: 'public' },
        }),
      )
      await writeFile(
        join(dir, 'dispatcher', 'index.js'),
        'export default { fetch(request, env) { return env.DISPATCHER.get("wrangler-user").fetch(request) } }\n',
      )
      await writeFile(
        join(dir, 'dispatcher', 'wrangler.json'),
        JSON.stringify({
          name: 'wrangler-dispatcher',
          main: 'index.js',
          compatibility_date: '2025-01-01',
          dispatch_namespaces: [{ binding: 'DISPATCHER', namespace: 'customers' }],
        }),
      )
      const before = emu.requests.length
      await runWrangler(emu, ['deploy', '--dispatch-namespace', 'customers'], join(dir, 'user'))
      const sent = emu.requests
        .slice(before)
        .filter((r) => r.path.includes('/dispatch/namespaces/'))
        .map((r) => `${r.method} ${r.path.replace(/^.*\/namespaces\//, '')} ${r.status}`)
      // It reads the user Worker first (10092: not uploaded yet), then the assets, then the upload.
      expect(sent).toEqual([
        'GET customers/scripts/wrangler-user 404',
        'POST customers/scripts/wrangler-user/assets-upload-session 200',
        'PUT customers/scripts/wrangler-user 200',
      ])
      expect(
        emu.requests.find(
          (r) => r.method === 'PUT' && r.path.endsWith('/customers/scripts/wrangler-user'),
        )?.query,
      ).toEqual({ excludeScript: 'true', bindings_inherit: 'strict' })

      await runWrangler(emu, ['deploy'], join(dir, 'dispatcher'))
      const answer = await fetch(`${emu.origin}/workers/wrangler-dispatcher/`)
      expect(await answer.text()).toBe('user says hello')
      const asset = await fetch(`${emu.origin}/workers/wrangler-dispatcher/a.txt`)
      expect(await asset.text()).toBe('an asset')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 120_000)
})

describe('user Workers in workerd', () => {
  it('run on demand among the few most recently used, not pinned like deployed Workers', async () => {
    const key = `${emu.accountId}/dispatch/customers`
    const userVersions = new Set(
      ['customer-a', 'customer-c', 'wrangler-user'].flatMap((name) =>
        emu.versions(name, key).map((v) => v.id),
      ),
    )
    // Three user Workers are deployed (each started on upload and through the dispatcher)...
    expect(
      ['customer-a', 'customer-c', 'wrangler-user'].every(
        (name) => emu.versions(name, key).length > 0,
      ),
    ).toBe(true)
    // ...but no more of them keep running than the pool's two unpinned places.
    const running = emu.runningVersions().filter((id) => userVersions.has(id.split('#')[0]!))
    expect(running.length).toBeLessThanOrEqual(2)
  })
})
