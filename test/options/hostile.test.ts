import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { WorkersVersionError } from '../../src/core/errors.js'
import { parseOptions } from '../../src/options/options-schema.js'
import { validateVersionConfig } from '../../src/options/validate.js'
import { readWranglerConfig } from '../../src/wrangler/index.js'

function tempConfig(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'wv-hostile-')), name)
  writeFileSync(file, text)
  return file
}

function errorOf(fn: () => unknown): WorkersVersionError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(WorkersVersionError)
    return error as WorkersVersionError
  }
  throw new Error('expected a WorkersVersionError')
}

function nestedObject(depth: number): unknown {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = { a: value }
  return value
}

describe('wrangler config nested thousands of levels deep', () => {
  test.each([
    [
      'arrays in vars',
      (n: number) => `{"name":"w","vars":{"A":${'['.repeat(n)}1${']'.repeat(n)}}}`,
    ],
    [
      'objects under an unknown key',
      (n: number) => `{"name":"w","x":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`,
    ],
  ])('%s: a clear error naming the file, never a RangeError', (_label, text) => {
    for (const depth of [5_000, 100_000]) {
      const file = tempConfig('wrangler.jsonc', text(depth))
      const error = errorOf(() => readWranglerConfig(file))
      expect(error.code).toBe('INVALID_WRANGLER_CONFIG')
      expect(error.message).toContain(`Cannot read wrangler.jsonc (${file})`)
      expect(error.message).toMatch(/1:\d+: nested more than 100 levels deep/)
    }
  })

  test('TOML too', () => {
    const file = tempConfig(
      'wrangler.toml',
      `name = "w"\n[vars]\nA = ${'['.repeat(5_000)}1${']'.repeat(5_000)}\n`,
    )
    const error = errorOf(() => readWranglerConfig(file))
    expect(error.code).toBe('INVALID_WRANGLER_CONFIG')
    expect(error.message).toContain('wrangler.toml')
  })

  test('a TOML dotted key 5,000 levels deep: the error says the key nests too deep and shows it, truncated', () => {
    const keys = Array.from({ length: 5_000 }, (_, i) => `k${i}`)
    const file = tempConfig('wrangler.toml', `name = "w"\n[vars]\n${keys.join('.')} = 1\n`)
    const error = errorOf(() => readWranglerConfig(file))
    expect(error.code).toBe('INVALID_WRANGLER_CONFIG')
    expect(error.message).toContain(
      'the key vars.k0.k1.….k96.k97.k98 (100 keys) nests more than 100 levels deep',
    )
    expect(error.message).not.toMatch(/JSON-serialisable/)
    expect(error.message.length).toBeLessThan(400)
  })

  test('a config at the limit is read', () => {
    const file = tempConfig(
      'wrangler.json',
      `{"name":"w","vars":{"A":${'['.repeat(97)}1${']'.repeat(97)}}}`,
    )
    expect(readWranglerConfig(file).version.bindings).toHaveLength(1)
  })
})

describe('objects with millions of keys', () => {
  test('300,000 vars in wrangler.json (under the size bound): refused while parsing, at the 10,001st key', () => {
    const file = tempConfig(
      'wrangler.json',
      `{"name":"w","vars":{${Array.from({ length: 300_000 }, (_, i) => `"V${i}":"x"`).join(',')}}}`,
    )
    const error = errorOf(() => readWranglerConfig(file))
    expect(error.code).toBe('INVALID_WRANGLER_CONFIG')
    expect(error.message).toMatch(
      /1:\d+: an object with more than 10,000 keys; a wrangler config never needs that/,
    )
  })

  test('half a million vars in wrangler.toml (6.9 MB): refused before parsing', () => {
    const file = tempConfig(
      'wrangler.toml',
      `name = "w"\n[vars]\n${Array.from({ length: 500_000 }, (_, i) => `V${i} = "x"`).join('\n')}\n`,
    )
    const error = errorOf(() => readWranglerConfig(file))
    expect(error.code).toBe('INVALID_WRANGLER_CONFIG')
    expect(error.message).toMatch(
      /\d,\d{3},\d{3} characters, over the 4,194,304 a wrangler config may have here/,
    )
  })

  test('200 vars in wrangler.toml: over the 128 environment variables a Worker may have', () => {
    const file = tempConfig(
      'wrangler.toml',
      `name = "w"\n[vars]\n${Array.from({ length: 200 }, (_, i) => `V${i} = "x"`).join('\n')}\n`,
    )
    const error = errorOf(() => readWranglerConfig(file))
    expect(error.message).toContain(
      "vars: 200 variables, over Cloudflare's limit of 128 environment variables per Worker",
    )
  })

  test('version.bindings: 129 vars and secrets together, or one over 5 KiB, refused without quoting a value', () => {
    const many = Array.from({ length: 100 }, (_, i) => ({
      type: 'plain_text',
      name: `V${i}`,
      text: 'x',
    }))
    const secrets = Array.from({ length: 29 }, (_, i) => ({
      type: 'secret_text',
      name: `S${i}`,
      text: 'secret-value',
    }))
    expect(
      errorOf(() => validateVersionConfig({ bindings: [...many, ...secrets] })).message,
    ).toContain('version.bindings: 129 environment variables')
    expect(
      validateVersionConfig({ bindings: [...many, ...secrets.slice(1)] }).config.bindings,
    ).toHaveLength(128)
    const big = errorOf(() =>
      validateVersionConfig({
        bindings: [
          { type: 'secret_text', name: 'BIG', text: 's'.repeat(5121) },
          { type: 'json', name: 'J', json: { a: 'j'.repeat(5200) } },
          { type: 'plain_text', name: 'OK', text: 'x'.repeat(5120) },
        ],
      }),
    )
    expect(big.message).toContain(
      `version.bindings: environment variables over Cloudflare's 5 KB limit per variable: "BIG" (5121 bytes), "J" (5208 bytes).`,
    )
    expect(big.message).not.toContain('sss')
  })
})

describe('options nested thousands of levels deep', () => {
  test.each([5_000, 100_000])(
    '%i levels in version fields give an INVALID_OPTIONS error naming the field',
    (depth) => {
      const deep = nestedObject(depth)
      const error = errorOf(() =>
        validateVersionConfig({
          bindings: [{ type: 'json', name: 'J', json: deep }],
          exports: deep,
          cache_options: deep,
        }),
      )
      expect(error.code).toBe('INVALID_OPTIONS')
      // The message says the value nests too deep, and where.
      expect(error.message).toContain(
        'version.bindings[0].json: nests more than 100 levels deep (at a.a.a.….a.a.a (100 keys)); no Worker config needs that',
      )
      expect(error.message).toContain(
        'version.exports: nests more than 100 levels deep (at a.a.a.….a.a.a (100 keys))',
      )
    },
  )

  test.each([5_000, 100_000])(
    '%i levels in a field the plugin does not know are an error naming the field, not a crash when the body is written',
    (depth) => {
      const deep = nestedObject(depth)
      const error = errorOf(() =>
        validateVersionConfig({ logpush: deep, limits: { memory: deep } }),
      )
      expect(error.message).toContain(
        'version.logpush: not a Create Version field the plugin knows',
      )
      expect(error.message).toContain('version.limits.memory: unknown field')
    },
  )

  test.each([5_000, 100_000])(
    '%i levels in top-level options give an INVALID_OPTIONS error naming the option',
    (depth) => {
      const deep = nestedObject(depth)
      const message = errorOf(() =>
        parseOptions({ network: deep, secrets: deep, assets: deep, rules: [deep] }),
      ).message
      expect(message).toContain('network.a: is not an option (known: timeouts, retries)')
      expect(message).toContain('secrets.a: is not an option (known: inherit, fromEnv)')
      expect(message).toContain(
        'assets.a: is not an option (known: directory, binding, maxFiles, concurrency, allowDotfiles)',
      )
      expect(message).toContain('rules[0].test: expected a glob')
    },
  )
})

describe('byte-order marks', () => {
  test.each(['wrangler.jsonc', 'wrangler.json', 'wrangler.toml'])(
    '%s with a BOM is read',
    (name) => {
      const text = name.endsWith('.toml')
        ? 'name = "bom-worker"\n[vars]\nA = "1"\n'
        : '{ "name": "bom-worker", "vars": { "A": "1" } }'
      const config = readWranglerConfig(tempConfig(name, `\uFEFF${text}`))
      expect(config.worker).toBe('bom-worker')
      expect(config.version.bindings).toEqual([{ name: 'A', type: 'plain_text', text: '1' }])
    },
  )

  test('a BOM-only difference keeps syntax error positions', () => {
    const error = errorOf(() =>
      readWranglerConfig(tempConfig('wrangler.jsonc', '\uFEFF{\n  "vars": { "A": }\n}\n')),
    )
    expect(error.message).toContain('2:18: ValueExpected')
  })
})

describe('__proto__ in wrangler.jsonc is data, never config', () => {
  test('it neither renames the Worker nor injects vars', () => {
    const file = tempConfig(
      'wrangler.jsonc',
      '{ "name": "good-worker", "__proto__": { "name": "evil-worker", "vars": { "INJECTED": "yes" } } }',
    )
    const config = readWranglerConfig(file)
    expect(config.worker).toBe('good-worker')
    expect(config.version.bindings).toBeUndefined()
    expect(config.warnings).toContain('__proto__: unknown wrangler config key; ignored')
  })

  test('without a name of its own the Worker stays unnamed', () => {
    const config = readWranglerConfig(
      tempConfig(
        'wrangler.json',
        '{"__proto__": {"name": "evil-worker", "vars": {"X": "1"}, "account_id": "a"}}',
      ),
    )
    expect(config.worker).toBeUndefined()
    expect(config.accountId).toBeUndefined()
    expect(config.version).toEqual({})
  })

  test('nested __proto__ keys change nothing either', () => {
    const file = tempConfig(
      'wrangler.jsonc',
      '{"name":"w","env":{"staging":{"__proto__":{"name":"evil","vars":{"X":"1"}}}},"kv_namespaces":[{"__proto__":{"binding":"KV","id":"x"}}]}',
    )
    expect(errorOf(() => readWranglerConfig(file)).message).toContain(
      'kv_namespaces[0].binding: required',
    )
    const staging = readWranglerConfig(
      tempConfig(
        'wrangler.jsonc',
        '{"name":"w","env":{"staging":{"__proto__":{"name":"evil","vars":{"X":"1"}}}}}',
      ),
      { env: 'staging' },
    )
    expect(staging.worker).toBe('w-staging')
    expect(staging.version.bindings).toBeUndefined()
    expect(({} as Record<string, unknown>).name).toBeUndefined()
  })
})

describe('vars an environment drops', () => {
  test('warns, as wrangler does, that top-level vars are not inherited into the env', () => {
    const file = tempConfig(
      'wrangler.jsonc',
      '{"name":"w","vars":{"GREETING":"hi"},"env":{"staging":{"kv_namespaces":[{"binding":"KV","id":"k"}]}}}',
    )
    const config = readWranglerConfig(file, { env: 'staging' })
    expect(config.version.bindings).toEqual([
      { name: 'KV', type: 'kv_namespace', namespace_id: 'k' },
    ])
    expect(config.warnings).toContain(
      '"vars" exists at the top level but not in env.staging; environments do not inherit it, so it is not used',
    )
  })

  test('no warning when the env redeclares them', () => {
    const file = tempConfig(
      'wrangler.jsonc',
      '{"name":"w","vars":{"GREETING":"hi"},"env":{"staging":{"vars":{"GREETING":"hey"}}}}',
    )
    expect(readWranglerConfig(file, { env: 'staging' }).warnings).toEqual([])
  })
})

describe('secrets are never echoed by validation', () => {
  const CANARY = 'canary-secret-8c1f0e'
  test.each([
    [
      { type: 'secret_text', name: 'S', text: 12345678 },
      'version.bindings[0].text: expected string, got number',
      '12345678',
    ],
    [
      { type: 'secret_text', name: 'S', text: [CANARY] },
      'version.bindings[0].text: expected string, got an array',
      CANARY,
    ],
    [
      { type: 'secret_text', name: 'S', text: { value: CANARY } },
      'version.bindings[0].text: expected string, got an object',
      CANARY,
    ],
    [
      {
        type: 'secret_key',
        name: 'K',
        algorithm: {},
        format: 'raw',
        usages: [],
        key_base64: 424242,
      },
      'version.bindings[0].key_base64: expected string, got number',
      '424242',
    ],
    [
      {
        type: 'secret_key',
        name: 'K',
        algorithm: {},
        format: 'jwk',
        usages: [],
        key_jwk: [CANARY],
      },
      'version.bindings[0].key_jwk: expected an object, got an array',
      CANARY,
    ],
  ])('%j', (binding, line, secret) => {
    const message = errorOf(() =>
      validateVersionConfig({ bindings: [binding, { type: 'kv_namespace', name: 'KV' }] }),
    ).message
    expect(message).toContain(line)
    expect(message).not.toContain(secret)
  })

  test('an unknown field of a secret binding is named, never its value', () => {
    const message = errorOf(() =>
      validateVersionConfig({
        bindings: [{ type: 'secret_text', name: 'S', text: CANARY, txet: CANARY }],
      }),
    ).message
    expect(message).toContain(
      'version.bindings[0].txet: unknown field for secret_text; did you mean `text`?',
    )
    expect(message).not.toContain(CANARY)
  })
})
