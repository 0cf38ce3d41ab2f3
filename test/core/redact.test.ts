import { inspect, types } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ApiError } from '../../src/api/errors.js'
import { WorkersVersionError } from '../../src/core/errors.js'
import {
  REDACTION,
  Redactor,
  redactorFor,
  secretsInBindings,
  type RunSecrets,
} from '../../src/core/redact.js'

const SECRET = 'sekret-Value-123'

describe('Redactor.redact', () => {
  it('replaces a secret in its raw, JSON-escaped, URL-encoded and HTML-escaped forms', () => {
    const secret = 'a"b\\c <d>&e f'
    const r = new Redactor([secret])
    const forms = [
      secret,
      JSON.stringify(secret).slice(1, -1),
      encodeURIComponent(secret),
      'a&quot;b\\c &lt;d&gt;&amp;e f',
    ]
    for (const form of forms) expect(r.redact(`x ${form} y`)).toBe(`x ${REDACTION} y`)
  })

  it('removes a secret that contains another one whole', () => {
    const r = new Redactor(['abcd', 'xxabcdxx'])
    expect(r.redact('1 xxabcdxx 2 abcd')).toBe(`1 ${REDACTION} 2 ${REDACTION}`)
  })

  it('ignores values too short to be secrets, and nothing when it knows none', () => {
    expect(new Redactor(['ab', '', undefined]).redact('ab cd')).toBe('ab cd')
    expect(new Redactor().size).toBe(0)
  })

  it('learns secrets later (an upload JWT once issued), trimmed or not', () => {
    const r = new Redactor()
    expect(r.redact(`jwt ${SECRET}`)).toBe(`jwt ${SECRET}`)
    r.add(` ${SECRET}\n`)
    expect(r.redact(`jwt ${SECRET}`)).toBe(`jwt ${REDACTION}`)
    expect(r.leaks(SECRET)).toBe(true)
  })
})

describe('transformed echoes', () => {
  const token = 'Tk_9fQ2-LmZ8rW4vX1bN7cY3hJ6pD0sA5eG2uKqR'
  /** Every way a server or a log can re-encode a value, each inside other text. */
  const transforms: Array<[string, (value: string) => string]> = [
    ['base64', (v) => Buffer.from(v).toString('base64')],
    ['url-safe base64', (v) => Buffer.from(v).toString('base64url')],
    // Inside a longer base64 text, at each of the three offsets within a 3-byte group.
    ...[1, 2, 3].map((offset): [string, (value: string) => string] => [
      `base64 after ${offset} byte(s)`,
      (v) => Buffer.from(`${'#'.repeat(offset)}${v}!!`).toString('base64'),
    ]),
    ...[1, 2].map((offset): [string, (value: string) => string] => [
      `url-safe base64 after ${offset} byte(s)`,
      (v) => Buffer.from(`${'?'.repeat(offset)}${v}??`).toString('base64url'),
    ]),
    ['hex', (v) => Buffer.from(v).toString('hex')],
    ['upper-case hex', (v) => Buffer.from(v).toString('hex').toUpperCase()],
    ['URL-encoded', (v) => encodeURIComponent(v)],
    [
      'URL-encoded with lower-case escapes',
      (v) => encodeURIComponent(v).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
    ],
    ['upper-cased', (v) => v.toUpperCase()],
    ['lower-cased', (v) => v.toLowerCase()],
  ]
  /** Each kind of secret: its label, the run that registers it, and the value. */
  const secrets: Array<[string, RunSecrets, string]> = [
    ['API token', { credentials: { apiToken: token } }, token],
    [
      'API key',
      { credentials: { apiKey: '0123456789abcdef0123456789abcdef01234' } },
      '0123456789abcdef0123456789abcdef01234',
    ],
    [
      'secret_text',
      { bindings: [{ type: 'secret_text', name: 'S', text: 'p@ss/word+with=odd&chars' }] },
      'p@ss/word+with=odd&chars',
    ],
    [
      'a secret_text that starts with <redacted',
      { bindings: [{ type: 'secret_text', name: 'S', text: '<redacted>-looks-done-but-is-not' }] },
      '<redacted>-looks-done-but-is-not',
    ],
    [
      'an assets JWT',
      { secrets: ['eyJhbGciOiJIUzI1NiJ9.eyJzZXNzaW9uIjoiYWJjIn0.c2lnbmF0dXJl'] },
      'eyJhbGciOiJIUzI1NiJ9.eyJzZXNzaW9uIjoiYWJjIn0.c2lnbmF0dXJl',
    ],
    ['proxy credentials', { secrets: ['proxy-user:Pr0xy/Pa$$'] }, 'proxy-user:Pr0xy/Pa$$'],
  ]

  it.each(secrets)(
    '%s: no transformed form survives, in any surrounding text',
    (_label, run, value) => {
      const r = redactorFor(run)
      for (const [name, transform] of transforms) {
        const encoded = transform(value)
        const out = r.redact(`before ${encoded} after`)
        expect(out, name).toContain(REDACTION)
        // No 12-character run of the encoded form is left (what remains at the ends depends on neighbours' bits).
        for (let i = 0; i + 12 <= encoded.length; i++)
          expect(
            out.includes(encoded.slice(i, i + 12)),
            `${name}: ${encoded.slice(i, i + 12)}`,
          ).toBe(false)
      }
    },
  )

  it('any 12 or more consecutive characters of the token, wherever they start, are redacted whole', () => {
    const r = redactorFor({ credentials: { apiToken: token } })
    for (let start = 0; start + 12 <= token.length; start++) {
      for (const end of [
        start + 12,
        start + 13,
        Math.min(token.length, start + 20),
        token.length,
      ]) {
        if (end > token.length || end - start < 12) continue
        expect(r.redact(`id=${token.slice(start, end)};`)).toBe(`id=${REDACTION};`)
      }
    }
    // The first 13 characters passed before an earlier fix; 11 are left alone, as ordinary text might match them.
    expect(r.redact(`x ${token.slice(0, 13)} y`)).toBe(`x ${REDACTION} y`)
    expect(r.redact(`x ${token.slice(0, 11)} y`)).toBe(`x ${token.slice(0, 11)} y`)
  })

  it('a fragment running into the rest of the text stops where the token does', () => {
    const r = redactorFor({ credentials: { apiToken: token } })
    expect(r.redact(`${token.slice(5, 30)}SUFFIX`)).toBe(`${REDACTION}SUFFIX`)
    expect(r.redact(`PREFIX${token.slice(20)}`)).toBe(`PREFIX${REDACTION}`)
  })

  it('random text and base64 the size of a large body are left as they are', () => {
    const r = redactorFor({
      credentials: { apiToken: token, apiKey: '0123456789abcdef0123456789abcdef01234' },
      bindings: [{ type: 'secret_text', name: 'S', text: 'p@ss/word+with=odd&chars' }],
    })
    const text = `${'lorem ipsum dolor sit amet, '.repeat(2_000)}${Buffer.alloc(100_000, 7).toString('base64')}`
    expect(r.redact(text)).toBe(text)
  })
})

describe('Redactor.redactDeep', () => {
  const r = new Redactor([SECRET, '12345678'])

  it('copies objects and arrays, redacting strings, keys and numbers, and leaves the original alone', () => {
    const value = {
      a: [SECRET, { [`k-${SECRET}`]: 1 }],
      n: 12345678,
      ok: 42,
      flag: true,
      when: new Date(0),
    }
    const copy = r.redactDeep(value)
    expect(copy).toEqual({
      a: [REDACTION, { [`k-${REDACTION}`]: 1 }],
      n: REDACTION,
      ok: 42,
      flag: true,
      when: new Date(0),
    })
    expect(value.a[0]).toBe(SECRET)
  })

  it('keeps the error class and redacts message, stack, cause, errors[] and every own property', () => {
    const cause = new Error(`inner ${SECRET}`)
    const error = new ApiError(`outer ${SECRET}`, {
      status: 400,
      errors: [
        {
          code: 1,
          message: SECRET,
          documentation_url: `https://x/?t=${SECRET}`,
          source: { pointer: `/${SECRET}` },
        },
      ],
      attempts: 1,
    })
    Object.defineProperty(error, 'cause', { value: cause, enumerable: false })
    Object.defineProperty(error, 'hidden', { value: `h ${SECRET}`, enumerable: false })
    const copy = r.redactDeep(error)
    expect(copy).toBeInstanceOf(ApiError)
    expect(copy).toBeInstanceOf(WorkersVersionError)
    expect(types.isNativeError(copy)).toBe(true)
    expect(copy.code).toBe('API_ERROR')
    expect(copy.status).toBe(400)
    const everything = [
      inspect(copy, { depth: Infinity, showHidden: true }),
      JSON.stringify(copy),
      String(copy.stack),
    ].join('\n')
    expect(everything).not.toContain(SECRET)
    expect(everything).toContain(REDACTION)
    expect(Object.getOwnPropertyDescriptor(copy, 'hidden')?.enumerable).toBe(false)
    expect(error.message).toContain(SECRET) // the original is untouched
  })

  it('handles AggregateError members, Maps and Sets', () => {
    const aggregate = new AggregateError([new Error(SECRET)], 'many')
    const copy = r.redactDeep({
      aggregate,
      map: new Map([[SECRET, SECRET]]),
      set: new Set([SECRET]),
    })
    expect(inspect(copy, { depth: Infinity, showHidden: true })).not.toContain(SECRET)
    expect(copy.aggregate).toBeInstanceOf(AggregateError)
  })

  it('keeps cycles as cycles', () => {
    const a: Record<string, unknown> = { name: SECRET }
    a.self = a
    const copy = r.redactDeep(a)
    expect(copy.self).toBe(copy)
    expect(copy.name).toBe(REDACTION)
  })

  it('copies values nested 100,000 levels deep without a stack overflow', () => {
    let deep: Record<string, unknown> = { leaf: SECRET }
    for (let i = 0; i < 100_000; i++) deep = { next: deep }
    let copy = r.redactDeep(deep)
    let depth = 0
    while (copy.next) {
      copy = copy.next as Record<string, unknown>
      depth++
    }
    expect(depth).toBe(100_000)
    expect(copy.leaf).toBe(REDACTION)
  })

  it('reads a throwing getter as unreadable rather than failing', () => {
    const value = {
      get boom(): string {
        throw new Error('no')
      },
    }
    expect(r.redactDeep(value)).toEqual({ boom: '[unreadable]' })
  })
})

describe('redactorFor', () => {
  it('knows the token, the key, secret_text values (fromEnv included) and secret_key material', () => {
    const jwk = { kty: 'oct', k: 'jwk-private-k-value' }
    const bindings = [
      { type: 'plain_text', name: 'A', text: 'not-a-secret-value' },
      { type: 'secret_text', name: 'B', text: 'secret-text-value' },
      { type: 'secret_key', name: 'C', key_base64: 'a2V5LWJhc2U2NC12YWx1ZQ==' },
      { type: 'secret_key', name: 'D', key_jwk: jwk },
    ]
    expect(secretsInBindings(bindings)).toEqual([
      'secret-text-value',
      'a2V5LWJhc2U2NC12YWx1ZQ==',
      'jwk-private-k-value',
    ])
    const r = redactorFor({
      credentials: { apiToken: 'token-value-1', apiKey: 'key-value-2' },
      bindings,
      secrets: ['jwt-value-3'],
    })
    const text =
      'token-value-1 key-value-2 secret-text-value a2V5LWJhc2U2NC12YWx1ZQ== jwk-private-k-value jwt-value-3 not-a-secret-value'
    expect(r.redact(text)).toBe(`${Array(6).fill(REDACTION).join(' ')} not-a-secret-value`)
  })
})

describe('secrets that are short or public host names', () => {
  it('a value under 8 characters is redacted as a whole word, never inside another word or id', () => {
    const r = new Redactor(['hunter2', 'work'])
    expect(r.redact('password=hunter2&user=x')).toBe(`password=${REDACTION}&user=x`)
    expect(r.redact('"hunter2"')).toBe(`"${REDACTION}"`)
    expect(r.redact('xhunter2x hunter22')).toBe('xhunter2x hunter22')
    expect(r.redact('https://my-app.workers.dev/ workflow: work')).toBe(
      `https://my-app.workers.dev/ workflow: ${REDACTION}`,
    )
  })

  it('a value 8 characters or longer is redacted wherever it occurs, as before', () => {
    const r = new Redactor(['hunter22'])
    expect(r.redact('xhunter22x')).toBe(`x${REDACTION}x`)
  })

  it('localhost, workers.dev, cloudflare.com and loopback addresses are left in a URL host, and redacted anywhere else', () => {
    const r = new Redactor(['localhost', 'workers.dev', '127.0.0.1', 'cloudflare.com'])
    for (const url of [
      'http://abc-w.localhost:8787/',
      'http://LOCALHOST/x',
      'https://v1-app.sub.workers.dev/',
      'http://127.0.0.1:9000/client/v4',
      'https://api.cloudflare.com/client/v4',
      'http://user@localhost:1/',
    ]) {
      expect(r.redact(`see ${url} now`)).toBe(`see ${url} now`)
    }
    expect(r.redact('the host is localhost')).toBe(`the host is ${REDACTION}`)
    // Only the host: the same value in a path or query, or a host that merely starts with it, is redacted.
    expect(r.redact('https://x.example/localhost?h=127.0.0.1')).toBe(
      `https://x.example/${REDACTION}?h=${REDACTION}`,
    )
    expect(r.redact('https://localhost.evil.example/')).toBe(`https://${REDACTION}.evil.example/`)
  })

  it('a real secret in a URL host is still redacted, next to a public name too', () => {
    const r = new Redactor([SECRET, 'localhost'])
    expect(r.redact(`https://${SECRET}.workers.dev/ http://${SECRET}.localhost:1/`)).toBe(
      `https://${REDACTION}.workers.dev/ http://${REDACTION}.localhost:1/`,
    )
  })
})
