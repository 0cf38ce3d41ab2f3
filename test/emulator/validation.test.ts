import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'
import { validateBody } from '../../src/emulator/validate.js'
import { api, b64, versionsPath } from './helpers.js'

/** Static checks only: preview off, so no workerd is involved. */
let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator({ preview: false, maxBodyBytes: 64 * 1024, autoCreateWorkers: true })
})
afterAll(() => emu.close())

const ESM = 'application/javascript+module'

function validBody(): Record<string, any> {
  return {
    main_module: 'index.js',
    modules: [
      { name: 'index.js', content_type: ESM, content_base64: b64('export default {}') },
      { name: 'hello.txt', content_type: 'text/plain', content_base64: b64('hi') },
    ],
    compatibility_date: '2025-01-01',
    bindings: [
      { type: 'plain_text', name: 'A', text: 'a' },
      { type: 'secret_text', name: 'B', text: 'b' },
      { type: 'json', name: 'C', json: { x: 1 } },
      { type: 'kv_namespace', name: 'D', namespace_id: 'ns' },
      { type: 'r2_bucket', name: 'E', bucket_name: 'bucket' },
      { type: 'd1', name: 'F', database_id: 'db' },
      { type: 'service', name: 'G', service: 'other' },
      { type: 'queue', name: 'H', queue_name: 'q' },
      { type: 'durable_object_namespace', name: 'I', class_name: 'Counter' },
      { type: 'inherit', name: 'J' },
      { type: 'some_future_kind', name: 'K', anything: true },
    ],
  }
}

async function pointersOf(body: unknown): Promise<string[]> {
  const { status, json } = await api(emu, 'POST', versionsPath(emu, 'validated'), body)
  expect(status).toBe(400)
  expect(json.success).toBe(false)
  for (const error of json.errors) expect(error.code).toBe(10021)
  return json.errors.map((e) => e.source?.pointer ?? '(none)')
}

type Case = [string, (body: Record<string, any>) => unknown, string[]]

const cases: Case[] = [
  ['body is not an object', () => [1, 2], ['']],
  [
    'main_module missing',
    (b) => {
      delete b.main_module
    },
    ['/main_module'],
  ],
  [
    'main_module names no module',
    (b) => {
      b.main_module = 'missing.js'
    },
    ['/main_module'],
  ],
  [
    'main_module is not an ES module',
    (b) => {
      b.main_module = 'hello.txt'
    },
    ['/main_module'],
  ],
  [
    'modules not an array',
    (b) => {
      b.modules = {}
    },
    ['/modules'],
  ],
  [
    'module not an object',
    (b) => {
      b.modules[1] = 'x'
    },
    ['/modules/1'],
  ],
  [
    'duplicate module name',
    (b) => {
      b.modules[1].name = 'index.js'
    },
    ['/modules/1/name'],
  ],
  [
    'unknown content type',
    (b) => {
      b.modules[1].content_type = 'text/html'
    },
    ['/modules/1/content_type'],
  ],
  [
    'base64 without padding',
    (b) => {
      b.modules[1].content_base64 = 'aGk'
    },
    ['/modules/1/content_base64'],
  ],
  [
    'base64 with a newline',
    (b) => {
      b.modules[1].content_base64 = 'aGk=\n'
    },
    ['/modules/1/content_base64'],
  ],
  [
    'base64 with junk',
    (b) => {
      b.modules[1].content_base64 = 'a$Gk='
    },
    ['/modules/1/content_base64'],
  ],
  [
    'absolute module name',
    (b) => {
      b.modules[1].name = '/hello.txt'
    },
    ['/modules/1/name'],
  ],
  [
    'leading ./',
    (b) => {
      b.modules[1].name = './hello.txt'
    },
    ['/modules/1/name'],
  ],
  [
    '.. segment',
    (b) => {
      b.modules[1].name = 'a/../hello.txt'
    },
    ['/modules/1/name'],
  ],
  [
    'compatibility_date malformed',
    (b) => {
      b.compatibility_date = '2025-1-1'
    },
    ['/compatibility_date'],
  ],
  [
    'compatibility_date not a real day',
    (b) => {
      b.compatibility_date = '2025-02-30'
    },
    ['/compatibility_date'],
  ],
  [
    'compatibility_date in the future',
    (b) => {
      b.compatibility_date = '2999-01-01'
    },
    ['/compatibility_date'],
  ],
  [
    'compatibility_flags not strings',
    (b) => {
      b.compatibility_flags = ['nodejs_compat', 3]
    },
    ['/compatibility_flags/1'],
  ],
  [
    'bindings not an array',
    (b) => {
      b.bindings = {}
    },
    ['/bindings'],
  ],
  [
    'binding without type',
    (b) => {
      delete b.bindings[0].type
    },
    ['/bindings/0/type'],
  ],
  [
    'binding name not an identifier',
    (b) => {
      b.bindings[0].name = 'MY-VAR'
    },
    ['/bindings/0/name'],
  ],
  [
    'duplicate binding name',
    (b) => {
      b.bindings[1].name = 'A'
    },
    ['/bindings/1/name'],
  ],
  [
    'plain_text without text',
    (b) => {
      delete b.bindings[0].text
    },
    ['/bindings/0/text'],
  ],
  [
    'secret_text without text',
    (b) => {
      delete b.bindings[1].text
    },
    ['/bindings/1/text'],
  ],
  [
    'json without json',
    (b) => {
      delete b.bindings[2].json
    },
    ['/bindings/2/json'],
  ],
  [
    'kv without namespace_id',
    (b) => {
      delete b.bindings[3].namespace_id
    },
    ['/bindings/3/namespace_id'],
  ],
  [
    'r2 without bucket_name',
    (b) => {
      delete b.bindings[4].bucket_name
    },
    ['/bindings/4/bucket_name'],
  ],
  [
    'd1 without database_id or id',
    (b) => {
      delete b.bindings[5].database_id
    },
    ['/bindings/5/database_id'],
  ],
  [
    'service without service',
    (b) => {
      delete b.bindings[6].service
    },
    ['/bindings/6/service'],
  ],
  [
    'queue without queue_name',
    (b) => {
      delete b.bindings[7].queue_name
    },
    ['/bindings/7/queue_name'],
  ],
  [
    'durable object without class_name or namespace_id',
    (b) => {
      delete b.bindings[8].class_name
    },
    ['/bindings/8/class_name'],
  ],
  [
    'kv namespace_id not a string',
    (b) => {
      b.bindings[3].namespace_id = 42
    },
    ['/bindings/3/namespace_id'],
  ],
  [
    'client sets workers/triggered_by',
    (b) => {
      b.annotations = { 'workers/triggered_by': 'me' }
    },
    ['/annotations/workers~1triggered_by'],
  ],
  [
    'workers/tag over 100 bytes',
    (b) => {
      b.annotations = { 'workers/tag': 'é'.repeat(51) }
    },
    ['/annotations/workers~1tag'],
  ],
  [
    'several problems at once',
    (b) => {
      b.modules[1].content_base64 = 'aGk'
      delete b.bindings[3].namespace_id
    },
    ['/modules/1/content_base64', '/bindings/3/namespace_id'],
  ],
]

describe('POST versions: body validation', () => {
  it.each(cases)('%s', async (_name, mutate, expected) => {
    const body = validBody()
    const replaced = mutate(body)
    expect(await pointersOf(replaced ?? body)).toEqual(expected)
    expect(emu.versions('validated')).toHaveLength(0)
  })

  it('accepts the valid body, the alternative required fields and a 100-byte tag', async () => {
    const body = validBody()
    body.bindings[5] = { type: 'd1', name: 'F', id: 'old-style-id' }
    body.bindings[8] = { type: 'durable_object_namespace', name: 'I', namespace_id: 'ns-id' }
    body.annotations = { 'workers/tag': 'x'.repeat(100), 'workers/message': 'm'.repeat(1500) }
    // The inherit binding J needs an earlier version that has J (inheritance is strict).
    const base = await api(emu, 'POST', versionsPath(emu, 'validated'), {
      ...validBody(),
      bindings: [{ type: 'secret_text', name: 'J', text: 'kept' }],
    })
    expect(base.status).toBe(200)
    const { status, json } = await api(emu, 'POST', versionsPath(emu, 'validated'), body)
    expect(status).toBe(200)
    expect(json.result.annotations).toEqual({
      'workers/tag': 'x'.repeat(100),
      'workers/message': 'm'.repeat(1000),
      'workers/triggered_by': 'upload',
    })
    expect(json.result.urls).toEqual([])
    expect(emu.versions('validated')).toHaveLength(2)
  })

  it('rejects JSON that does not parse', async () => {
    const { status, json } = await api(
      emu,
      'POST',
      versionsPath(emu, 'validated'),
      '{"main_module": ',
    )
    expect(status).toBe(400)
    expect(json.errors[0]?.code).toBe(10021)
    expect(emu.requests.at(-1)?.body).toBe('{"main_module": ')
  })

  it('answers 413 / 10027 for a body over the size limit', async () => {
    const body = validBody()
    body.modules[1].content_base64 = b64('x'.repeat(100 * 1024))
    const { status, json } = await api(emu, 'POST', versionsPath(emu, 'too-big'), body)
    expect(status).toBe(413)
    expect(json.errors[0]?.code).toBe(10027)
    expect(emu.versions('too-big')).toHaveLength(0)
  })
})

describe('validateBody (unit)', () => {
  it('checks the date against the given day in UTC', () => {
    const body = { ...validBody(), compatibility_date: '2025-06-02' }
    expect(
      validateBody(body, new Date('2025-06-01T23:59:00Z')).errors.map((e) => e.source?.pointer),
    ).toEqual(['/compatibility_date'])
    expect(validateBody(body, new Date('2025-06-02T00:00:00Z')).errors).toEqual([])
  })
})

describe('an assets-only body (no main_module)', () => {
  const pointers = (body: unknown) =>
    validateBody(body, new Date('2026-01-01')).errors.map((e) => [e.source?.pointer, e.message])

  it('is accepted with the assets token alone, or with _headers and _redirects as text', () => {
    expect(pointers({ assets: { jwt: 'token' }, compatibility_date: '2025-01-01' })).toEqual([])
    expect(
      pointers({
        assets: { jwt: 'token' },
        modules: [
          { name: '_headers', content_type: 'text/plain', content_base64: b64('/*\n  X: y\n') },
        ],
      }),
    ).toEqual([])
  })

  it('needs the assets token, and refuses bindings and code', () => {
    expect(pointers({ compatibility_date: '2025-01-01', modules: [] })).toEqual([
      [
        '/main_module',
        expect.stringMatching(
          /main_module is required .*an assets-only version, with assets\.jwt, has none/,
        ),
      ],
    ])
    expect(
      pointers({
        assets: { jwt: 'token' },
        bindings: [{ type: 'plain_text', name: 'A', text: 'a' }],
      }),
    ).toEqual([['/bindings', expect.stringMatching(/cannot have bindings/)]])
    expect(
      pointers({
        assets: { jwt: 'token' },
        modules: [
          { name: 'index.js', content_type: ESM, content_base64: b64('export default {}') },
        ],
      }),
    ).toEqual([
      [
        '/modules/0',
        expect.stringMatching(
          /only _headers and _redirects \(text\/plain\) may be modules, not 'index\.js'/,
        ),
      ],
    ])
  })
})
