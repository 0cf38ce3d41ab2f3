import { describe, expect, it } from 'vitest'
import { describePointer } from '../../src/api/pointers.js'
import { formatApiErrors } from '../../src/api/errors.js'

const body = {
  main_module: 'index.js',
  bindings: [
    { type: 'plain_text', name: 'GREETING', text: 'hi' },
    { type: 'kv_namespace', name: 'KV', namespace_id: 'nope' },
  ],
  modules: [
    { name: 'index.js', content_type: 'application/javascript+module', content_base64: '' },
    { name: 'a/b~c.wasm', content_type: 'application/wasm', content_base64: '' },
  ],
  assets: { config: { html_handling: 'none' } },
}

describe('describePointer', () => {
  it('names bindings and modules by name, with the field', () => {
    expect(describePointer(body, '/bindings/1')).toBe('binding "KV" (kv_namespace)')
    expect(describePointer(body, '/bindings/1/namespace_id')).toBe(
      'binding "KV" (kv_namespace), field namespace_id',
    )
    expect(describePointer(body, '/modules/1')).toBe('module "a/b~c.wasm" (application/wasm)')
    expect(describePointer(body, '/modules/0/content_type')).toBe(
      'module "index.js" (application/javascript+module), field content_type',
    )
  })

  it('names other fields by their path and unescapes ~0 / ~1', () => {
    expect(describePointer(body, '/assets/config/html_handling')).toBe(
      'field assets.config.html_handling',
    )
    expect(describePointer({ 'a/b': { 'c~d': 1 } }, '/a~1b/c~0d')).toBe('field a/b.c~d')
  })

  it('returns undefined for pointers that do not resolve, so the raw pointer is shown', () => {
    expect(describePointer(body, '/bindings/7')).toBeUndefined()
    expect(describePointer(body, '/bindings/x')).toBeUndefined()
    expect(describePointer(body, '/nope')).toBeUndefined()
    expect(describePointer(body, 'bindings/1')).toBeUndefined()
    expect(describePointer(body, '')).toBeUndefined()
  })
})

describe('formatApiErrors', () => {
  const worker = 'my-worker'
  it('prints one line per error with code, location, docs link and one hint per problem', () => {
    const lines = formatApiErrors(
      [
        {
          code: 10021,
          message: 'Invalid namespace id',
          documentation_url: 'https://docs.example/kv',
          source: { pointer: '/bindings/1/namespace_id' },
        },
        { code: 10021, message: 'Also bad', source: { pointer: '/bindings/9' } },
      ],
      { worker, describe: (p) => describePointer(body, p) },
    )
    expect(lines).toEqual([
      '- Invalid namespace id [code 10021] at binding "KV" (kv_namespace), field namespace_id',
      '  see https://docs.example/kv',
      '- Also bad [code 10021] at /bindings/9',
      'hint: the request failed validation: fix the field named above.',
    ])
  })

  it.each([
    [10000, 'Authentication error', /CLOUDFLARE_API_TOKEN.*Workers Scripts Write/],
    [9106, 'Missing X-Auth-Key', /CLOUDFLARE_API_TOKEN/],
    [7003, 'Could not route', /CLOUDFLARE_ACCOUNT_ID/],
    [10007, 'workers.api.error.script_not_found', /"my-worker" does not exist.*wrangler/],
    [10021, 'Script startup exceeded CPU time limit.', /top-level work at module scope/],
    [10027, 'Script too large', /64 MiB.*source maps/],
    [10013, 'An unknown error occurred', /transient.*retry later/],
    [971, 'Please wait and consider throttling', /transient/],
  ])('code %i gets a next-step hint', (code, message, hint) => {
    const lines = formatApiErrors([{ code, message }], { worker })
    expect(lines[0]).toBe(`- ${message} [code ${code}]`)
    expect(lines.at(-1)).toMatch(hint)
  })

  it('survives a describe callback that throws', () => {
    const lines = formatApiErrors([{ code: 1, message: 'x', source: { pointer: '/a' } }], {
      worker,
      describe: () => {
        throw new Error('bug')
      },
    })
    expect(lines).toEqual(['- x [code 1] at /a'])
  })
})
