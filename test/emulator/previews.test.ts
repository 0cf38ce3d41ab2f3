/** The emulator's Worker Previews API is as strict as the calls `wrangler preview` makes show it to be. */
import { describe, expect, it } from 'vitest'
import { useEmulator } from '../helpers/emulator.js'
import { createWorkerOn } from '../helpers/wrangler.js'

const emulator = useEmulator({ preview: false })

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const e = emulator()
  const response = await fetch(`${e.url}/accounts/${e.accountId}/workers/workers/${path}`, {
    method,
    headers: { authorization: `Bearer ${e.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.status, json: await response.json() }
}

const MODULE = {
  name: 'index.js',
  content_type: 'application/javascript+module',
  content_base64: Buffer.from('export default { fetch: () => new Response("ok") }').toString(
    'base64',
  ),
}
const deployment = (extra: Record<string, unknown> = {}) => ({
  main_module: 'index.js',
  modules: [MODULE],
  compatibility_date: '2025-01-01',
  ...extra,
})
const errorOf = (reply: { json: any }) =>
  reply.json.errors.map((e: any) => [e.code, e.source?.pointer])

describe('Previews', () => {
  it('creates a Preview with a slug, finds it by id, name and slug, and refuses a bad or taken name', async () => {
    await createWorkerOn(emulator(), 'emu-previews')
    const made = await call('POST', 'emu-previews/previews', { name: 'feature/Login' })
    expect(made.status).toBe(200)
    expect(made.json.result).toMatchObject({
      name: 'feature/Login',
      slug: 'feature-login',
      worker_name: 'emu-previews',
    })
    for (const identifier of [made.json.result.id, 'feature/Login', 'feature-login']) {
      expect(
        (await call('GET', `emu-previews/previews/${encodeURIComponent(identifier)}`)).json.result
          .id,
      ).toBe(made.json.result.id)
    }
    expect(errorOf(await call('GET', 'emu-previews/previews/nope'))).toEqual([[10025, undefined]])
    expect(errorOf(await call('GET', 'no-such-worker/previews/nope'))).toEqual([[10007, undefined]])
    // A taken name, or a name making a taken URL label: 409 with the Previews' own code.
    for (const name of ['feature/Login', 'feature-login']) {
      const taken = await call('POST', 'emu-previews/previews', { name })
      expect({ status: taken.status, errors: errorOf(taken) }).toEqual({
        status: 409,
        errors: [[100338, '/name']],
      })
    }
    expect(
      errorOf(await call('POST', 'emu-previews/previews', { name: 'pr\n::error::x' })),
    ).toEqual([[10021, '/name']])
    expect(errorOf(await call('POST', 'emu-previews/previews', { name: '///' }))).toEqual([
      [10021, '/name'],
    ])
    expect(errorOf(await call('POST', 'emu-previews/previews', {}))).toEqual([[10021, '/name']])
  })

  it('takes only a Preview deployment’s fields, and env bindings of a known type', async () => {
    await createWorkerOn(emulator(), 'emu-strict')
    const { id } = (await call('POST', 'emu-strict/previews', { name: 'strict' })).json.result
    expect(errorOf(await call('GET', `emu-strict/previews/${id}/deployments/latest`))).toEqual([
      [10025, undefined],
    ])
    expect(
      errorOf(
        await call('POST', `emu-strict/previews/${id}/deployments`, deployment({ bindings: [] })),
      ),
    ).toEqual([[10021, '/bindings']])
    expect(
      errorOf(
        await call(
          'POST',
          `emu-strict/previews/${id}/deployments`,
          deployment({ env: { A: { type: 'made_up' } } }),
        ),
      ),
    ).toEqual([[10021, '/env/A/type']])
    expect(
      errorOf(
        await call(
          'POST',
          `emu-strict/previews/${id}/deployments`,
          deployment({ env: { A: { type: 'plain_text', name: 'A', text: 'x' } } }),
        ),
      ),
    ).toEqual([[10021, '/env/A/name']])
    expect(
      errorOf(
        await call(
          'POST',
          `emu-strict/previews/${id}/deployments`,
          deployment({ env: { KV: { type: 'kv_namespace' } } }),
        ),
      ),
    ).toEqual([[10021, '/env/KV']])
    expect(
      errorOf(
        await call(
          'POST',
          `emu-strict/previews/${id}/deployments`,
          deployment({ env: { S: { type: 'inherit' } } }),
        ),
      ),
    ).toEqual([[10021, '/env/S']])

    const first = await call(
      'POST',
      `emu-strict/previews/${id}/deployments`,
      deployment({ env: { S: { type: 'secret_text', text: 'hush' } } }),
    )
    expect(first.json.result.env).toEqual({ S: { type: 'secret_text' } })
    const second = await call(
      'POST',
      `emu-strict/previews/${id}/deployments`,
      deployment({ env: { S: { type: 'inherit' } } }),
    )
    expect(second.status).toBe(200)
    expect(emulator().previewDeployments(id)[0]!.env.S).toEqual({
      type: 'secret_text',
      text: 'hush',
    })
    expect((await call('GET', `emu-strict/previews/${id}/deployments/latest`)).json.result.id).toBe(
      second.json.result.id,
    )
    expect(
      (await call('GET', `emu-strict/previews/${id}/deployments`)).json.result.map(
        (d: any) => d.number,
      ),
    ).toEqual([2, 1])
  })

  it('keeps a migration tag per Preview', async () => {
    await createWorkerOn(emulator(), 'emu-tags')
    const a = (await call('POST', 'emu-tags/previews', { name: 'a' })).json.result.id
    const b = (await call('POST', 'emu-tags/previews', { name: 'b' })).json.result.id
    const step = { new_sqlite_classes: ['Counter'] }
    expect(
      (
        await call(
          'POST',
          `emu-tags/previews/${a}/deployments`,
          deployment({ migrations: { old_tag: 'v0', new_tag: 'v1', steps: [step] } }),
        )
      ).status,
    ).toBe(412)
    const applied = await call(
      'POST',
      `emu-tags/previews/${a}/deployments`,
      deployment({ migrations: { new_tag: 'v1', steps: [step] } }),
    )
    expect(applied.json.result.migration_tag).toBe('v1')
    expect(
      (
        await call(
          'POST',
          `emu-tags/previews/${a}/deployments`,
          deployment({ migrations: { new_tag: 'v2', steps: [step] } }),
        )
      ).status,
    ).toBe(412)
    expect(
      (
        await call(
          'POST',
          `emu-tags/previews/${a}/deployments`,
          deployment({ migrations: { old_tag: 'v1', new_tag: 'v2', steps: [step] } }),
        )
      ).json.result.migration_tag,
    ).toBe('v2')
    // The other Preview and the Worker itself have none.
    expect(
      (
        await call(
          'POST',
          `emu-tags/previews/${b}/deployments`,
          deployment({ migrations: { new_tag: 'v1', steps: [step] } }),
        )
      ).status,
    ).toBe(200)
    expect(emulator().worker('emu-tags')?.migration_tag).toBeUndefined()
  })
})
