import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'
import { api, b64, helloBody, versionsPath } from './helpers.js'

let emu: Emulator
const logLines: string[] = []
beforeAll(async () => {
  emu = await startEmulator({
    token: 'test-token-123',
    autoCreateWorkers: true,
    log: (line) => logLines.push(line),
  })
})
afterAll(() => emu.close())

describe('creating a version with preview', () => {
  it('stores a valid body and serves it at its preview URL', async () => {
    const body = helloBody()
    body.bindings = [
      { type: 'plain_text', name: 'PLAIN', text: 'plain value' },
      { type: 'secret_text', name: 'SECRET', text: 'hunter2' },
    ]
    body.annotations = { 'workers/message': 'first' }
    const { status, json } = await api(
      emu,
      'POST',
      `${versionsPath(emu, 'hello')}?deploy=true`,
      body,
    )
    expect(status).toBe(200)
    expect(json.success).toBe(true)
    const result = json.result
    expect(result.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(result.number).toBe(1)
    expect(new Date(result.created_on).getTime()).toBeGreaterThan(Date.now() - 60_000)
    expect(result.annotations).toEqual({
      'workers/message': 'first',
      'workers/triggered_by': 'upload',
    })
    expect(result.main_module).toBe('index.js')
    expect(result.compatibility_date).toBe('2025-01-01')
    expect(result.startup_time_ms).toBeGreaterThan(0)
    // Secret values are write-only.
    expect(result.bindings).toEqual([
      { type: 'plain_text', name: 'PLAIN', text: 'plain value' },
      { type: 'secret_text', name: 'SECRET' },
    ])
    expect(JSON.stringify(json)).not.toContain('hunter2')
    expect(result.urls).toEqual([
      `${new URL(emu.origin).protocol}//${result.id.slice(0, 8)}-hello.localhost:${new URL(emu.origin).port}/`,
    ])

    const stored = emu.versions('hello')
    expect(stored).toHaveLength(1)
    expect(stored[0]?.deploy).toBe(true)
    expect(stored[0]?.modules).toHaveLength(3)

    const preview = await fetch(`${result.urls[0]}some/path?q=1`, {
      headers: { 'x-test': 'forwarded' },
    })
    expect(preview.status).toBe(200)
    expect(await preview.json()).toEqual({
      greeting: 'hello from a text module',
      path: '/some/path',
      search: '?q=1',
      method: 'GET',
      body: null,
      plain: 'plain value',
      secret: 'hunter2',
      header: 'forwarded',
    })
    const posted = await fetch(result.urls[0], { method: 'POST', body: 'payload' })
    expect(await posted.json()).toMatchObject({ method: 'POST', body: 'payload', path: '/' })
  })

  it('numbers versions per Worker and lists them newest first without module contents', async () => {
    const second = await api(emu, 'POST', versionsPath(emu, 'hello'), helloBody('second'))
    expect(second.json.result.number).toBe(2)
    const other = await api(emu, 'POST', versionsPath(emu, 'other-worker'), helloBody('other'))
    expect(other.json.result.number).toBe(1)

    const list = await api(emu, 'GET', versionsPath(emu, 'hello'))
    expect(list.status).toBe(200)
    expect(list.json.result.map((v: { number: number }) => v.number)).toEqual([2, 1])
    expect(list.json.result[0].modules).toBeUndefined()
    expect(list.json.result_info).toMatchObject({ page: 1, total_count: 2 })

    const paged = await api(emu, 'GET', `${versionsPath(emu, 'hello')}?per_page=1&page=2`)
    expect(paged.json.result.map((v: { number: number }) => v.number)).toEqual([1])

    const one = await api(emu, 'GET', `${versionsPath(emu, 'hello')}/${second.json.result.id}`)
    expect(one.json.result.id).toBe(second.json.result.id)
    expect(one.json.result.modules[1]).toEqual({
      name: 'assets/greeting.txt',
      content_type: 'text/plain',
      content_base64: b64('second'),
    })

    const missing = await api(
      emu,
      'GET',
      `${versionsPath(emu, 'hello')}/00000000-0000-0000-0000-000000000000`,
    )
    expect(missing.status).toBe(404)

    // Both preview URLs stay live and serve their own version.
    const first = emu.versions('hello')[1]
    expect(await (await fetch(first?.urls[0] ?? '')).json()).toMatchObject({
      greeting: 'hello from a text module',
    })
    expect(await (await fetch(second.json.result.urls[0])).json()).toMatchObject({
      greeting: 'second',
    })
  })

  it('rejects a Worker that throws at startup with workerd’s error and stores nothing', async () => {
    const body = helloBody()
    body.modules[0].content_base64 = b64(
      'throw new Error("kaboom at top level")\nexport default {}',
    )
    const { status, json } = await api(emu, 'POST', versionsPath(emu, 'broken'), body)
    expect(status).toBe(400)
    expect(json.errors[0]?.code).toBe(10021)
    expect(json.errors[0]?.message).toMatch(
      /Uncaught Error: kaboom at top level[\s\S]*at worker startup/,
    )
    expect(emu.versions('broken')).toHaveLength(0)
    const list = await api(emu, 'GET', versionsPath(emu, 'broken'))
    expect(list.status).toBe(404)
  })

  it('inherits a binding from the latest version', async () => {
    const body = helloBody()
    body.bindings = [{ type: 'inherit', name: 'SECRET' }]
    const first = helloBody()
    first.bindings = [{ type: 'secret_text', name: 'SECRET', text: 'kept' }]
    await api(emu, 'POST', versionsPath(emu, 'inherits'), first)
    const { json } = await api(emu, 'POST', versionsPath(emu, 'inherits'), body)
    expect(json.result.bindings).toEqual([{ type: 'secret_text', name: 'SECRET' }])
    expect(await (await fetch(json.result.urls[0])).json()).toMatchObject({ secret: 'kept' })
  })
})

describe('Workers', () => {
  it('gets a Worker created implicitly by its first upload, by name and by id', async () => {
    const byName = await api(
      emu,
      'GET',
      `${emu.url}/accounts/${emu.accountId}/workers/workers/hello`,
    )
    expect(byName.status).toBe(200)
    expect(byName.json.result.name).toBe('hello')
    const byId = await api(
      emu,
      'GET',
      `${emu.url}/accounts/${emu.accountId}/workers/workers/${byName.json.result.id}`,
    )
    expect(byId.json.result.name).toBe('hello')
    const versions = await api(emu, 'GET', versionsPath(emu, byName.json.result.id))
    expect(versions.json.result).toHaveLength(2)
  })

  it('404s with 10007 for an unknown Worker', async () => {
    const { status, json } = await api(
      emu,
      'GET',
      `${emu.url}/accounts/${emu.accountId}/workers/workers/nope`,
    )
    expect(status).toBe(404)
    expect(json.errors).toEqual([
      { code: 10007, message: 'This Worker does not exist on your account.' },
    ])
  })

  it('without autoCreateWorkers (the default), uploads need POST /workers/workers first', async () => {
    const strict = await startEmulator({ preview: false })
    try {
      const before = await api(strict, 'POST', versionsPath(strict, 'strict-worker'), helloBody())
      expect(before.status).toBe(404)
      expect(before.json.errors[0]?.code).toBe(10007)
      const created = await api(
        strict,
        'POST',
        `${strict.url}/accounts/${strict.accountId}/workers/workers`,
        { name: 'strict-worker' },
      )
      expect(created.status).toBe(200)
      expect(created.json.result.name).toBe('strict-worker')
      const after = await api(strict, 'POST', versionsPath(strict, 'strict-worker'), helloBody())
      expect(after.status).toBe(200)
      expect(strict.versions('strict-worker')).toHaveLength(1)
    } finally {
      await strict.close()
    }
  })
})

describe('routing, auth and accounts', () => {
  const path = () => versionsPath(emu, 'hello')

  it.each([
    ['no credentials', {}],
    ['a wrong Bearer token', { authorization: 'Bearer wrong-token' }],
    ['a Basic header', { authorization: 'Basic dGVzdC10b2tlbi0xMjM=' }],
    ['X-Auth-Key without X-Auth-Email', { 'x-auth-key': 'test-token-123' }],
    ['a wrong X-Auth-Key', { 'x-auth-email': 'me@example.com', 'x-auth-key': 'nope' }],
  ])('401 / 10000 with %s', async (_name, headers) => {
    const { status, json } = await api(emu, 'GET', path(), undefined, headers)
    expect(status).toBe(401)
    expect(json.errors).toEqual([{ code: 10000, message: 'Authentication error' }])
  })

  it('accepts X-Auth-Email + X-Auth-Key equal to the token', async () => {
    const { status } = await api(emu, 'GET', path(), undefined, {
      'x-auth-email': 'me@example.com',
      'x-auth-key': 'test-token-123',
    })
    expect(status).toBe(200)
  })

  it('404 / 7003 for another account', async () => {
    const url = `${emu.url}/accounts/someone-else/workers/workers/hello/versions`
    const { status, json } = await api(emu, 'POST', url, helloBody())
    expect(status).toBe(404)
    expect(json.errors[0]).toEqual({
      code: 7003,
      message:
        'Could not route to /client/v4/accounts/someone-else/workers/workers/hello/versions, perhaps your object identifier is invalid?',
    })
    expect(emu.versions('hello', 'someone-else')).toHaveLength(0)
  })

  it('404 / 7000 for unknown routes', async () => {
    for (const url of [
      `${emu.url}/accounts/${emu.accountId}/workers/scripts/x`,
      `${emu.origin}/nothing`,
      `${emu.origin}/preview/${'0'.repeat(8)}/`,
    ]) {
      const { status, json } = await api(emu, 'GET', url)
      expect(status).toBe(404)
      expect(json.errors[0]?.code).toBe(7000)
    }
  })

  it('records requests with credentials redacted and never logs them', async () => {
    await api(emu, 'GET', path(), undefined, {
      'x-auth-email': 'me@example.com',
      'x-auth-key': 'test-token-123',
    })
    const recorded = emu.requests.filter((r) => r.path.endsWith('/hello/versions'))
    expect(recorded.length).toBeGreaterThan(3)
    for (const r of recorded) {
      expect(JSON.stringify(r.headers)).not.toContain('test-token-123')
    }
    const first = recorded[0]
    expect(first).toMatchObject({ method: 'POST', query: { deploy: 'true' }, status: 200 })
    expect(first?.headers.authorization).toBe('[REDACTED]')
    expect((first?.body as { main_module: string }).main_module).toBe('index.js')
    expect(
      logLines.some((line) =>
        /^POST \/client\/v4\/accounts\/local-account\/workers\/workers\/hello\/versions 200/.test(
          line,
        ),
      ),
    ).toBe(true)
    const allLogs = logLines.join('\n')
    expect(allLogs).not.toContain('test-token-123')
    expect(allLogs).not.toContain('hunter2')
    expect(allLogs).not.toContain('deploy=true')
  })
})
