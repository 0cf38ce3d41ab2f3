import { describe, expect, test } from 'vitest'
import { WorkersVersionError } from '../../src/core/errors.js'
import { truncateUtf8, validateVersionConfig } from '../../src/options/validate.js'
import type { VersionConfig } from '../../src/options/version-schema.js'

const now = new Date('2026-01-01T12:00:00Z')

function errorOf(input: unknown, opts = { now }): WorkersVersionError {
  try {
    validateVersionConfig(input, opts)
  } catch (error) {
    expect(error).toBeInstanceOf(WorkersVersionError)
    return error as WorkersVersionError
  }
  throw new Error('expected the config to be rejected')
}

const b = (binding: Record<string, unknown>) => ({ bindings: [binding] })
const at0 = 'version.bindings[0]'

// [config, expected path, message fragment]
const INVALID: Array<[unknown, string, string]> = [
  [null, 'version', 'expected an object'],
  [[], 'version', 'expected an object'],
  ['x', 'version', 'expected an object'],
  [{ main_module: 'index.js' }, 'version.main_module', 'computed from the build'],
  [{ modules: [] }, 'version.modules', 'computed from the build'],
  [{ bindings: {} }, 'version.bindings', 'expected an array'],
  [{ bindings: [null] }, at0, 'expected a binding object'],
  [{ bindings: ['KV'] }, at0, 'expected a binding object'],
  [b({ name: 'X' }), `${at0}.type`, 'required'],
  [b({ type: 7, name: 'X' }), `${at0}.type`, 'expected a string'],
  [b({ type: 'kv_namespace', name: 'KV' }), `${at0}.namespace_id`, 'required for kv_namespace'],
  [
    b({ type: 'kv_namespace', name: 'KV', namespace_id: 5 }),
    `${at0}.namespace_id`,
    'expected string',
  ],
  [
    b({ type: 'kv_namespace', name: 'KV', namespace_id: '' }),
    `${at0}.namespace_id`,
    'must not be empty',
  ],
  [b({ type: 'kv_namespace', namespace_id: 'x' }), `${at0}.name`, 'required for kv_namespace'],
  [
    b({ type: 'plain_text', name: 'MY-VAR', text: 'x' }),
    `${at0}.name`,
    'valid JavaScript identifier',
  ],
  [b({ type: 'plain_text', name: '1ST', text: 'x' }), `${at0}.name`, 'valid JavaScript identifier'],
  [
    b({ type: 'plain_text', name: 'class', text: 'x' }),
    `${at0}.name`,
    'valid JavaScript identifier',
  ],
  [b({ type: 'plain_text', name: 'A', text: 1 }), `${at0}.text`, 'expected string'],
  [b({ type: 'secret_text', name: 'A' }), `${at0}.text`, 'required for secret_text'],
  [b({ type: 'json', name: 'A' }), `${at0}.json`, 'required for json'],
  [b({ type: 'd1', name: 'DB' }), `${at0}.database_id`, 'required for d1'],
  [b({ type: 'r2_bucket', name: 'R2' }), `${at0}.bucket_name`, 'required for r2_bucket'],
  [
    b({ type: 'r2_bucket', name: 'R2', bucket_name: 'b', jurisdiction: 'us' }),
    `${at0}.jurisdiction`,
    '"eu"',
  ],
  [
    b({ type: 'durable_object_namespace', name: 'DO' }),
    `${at0}.class_name`,
    'required for durable_object_namespace',
  ],
  [b({ type: 'service', name: 'S' }), `${at0}.service`, 'required for service'],
  [
    b({ type: 'service', name: 'S', service: 'x', props: [] }),
    `${at0}.props`,
    'expected an object',
  ],
  [b({ type: 'queue', name: 'Q' }), `${at0}.queue_name`, 'required for queue'],
  [
    b({ type: 'queue', name: 'Q', queue_name: 'q', delivery_delay: -1 }),
    `${at0}.delivery_delay`,
    'must be 0 or more',
  ],
  [
    b({ type: 'queue', name: 'Q', queue_name: 'q', delivery_delay: 1.5 }),
    `${at0}.delivery_delay`,
    'integer',
  ],
  [b({ type: 'analytics_engine', name: 'AE' }), `${at0}.dataset`, 'required for analytics_engine'],
  [b({ type: 'vectorize', name: 'V' }), `${at0}.index_name`, 'required for vectorize'],
  [b({ type: 'hyperdrive', name: 'H' }), `${at0}.id`, 'required for hyperdrive'],
  [b({ type: 'workflow', name: 'W' }), `${at0}.workflow_name`, 'required for workflow'],
  [
    b({ type: 'mtls_certificate', name: 'M' }),
    `${at0}.certificate_id`,
    'required for mtls_certificate',
  ],
  [
    b({ type: 'dispatch_namespace', name: 'D' }),
    `${at0}.namespace`,
    'required for dispatch_namespace',
  ],
  [
    b({ type: 'dispatch_namespace', name: 'D', namespace: 'n', outbound: { worker: {} } }),
    `${at0}.outbound.worker.service`,
    'required',
  ],
  [
    b({ type: 'ratelimit', name: 'RL', namespace_id: '1' }),
    `${at0}.simple`,
    'required for ratelimit',
  ],
  [
    b({ type: 'ratelimit', name: 'RL', namespace_id: '1', simple: { limit: 10, period: 30 } }),
    `${at0}.simple.period`,
    '10 | 60',
  ],
  [
    b({ type: 'ratelimit', name: 'RL', namespace_id: '1', simple: { limit: 0, period: 10 } }),
    `${at0}.simple.limit`,
    'positive integer',
  ],
  [
    b({
      type: 'secret_key',
      name: 'K',
      algorithm: { name: 'HMAC' },
      format: 'raw',
      usages: ['sign'],
    }),
    `${at0}.format`,
    'key_base64',
  ],
  [
    b({
      type: 'secret_key',
      name: 'K',
      algorithm: { name: 'HMAC' },
      format: 'jwk',
      usages: ['sign'],
      key_base64: 'AA',
    }),
    `${at0}.format`,
    'key_jwk',
  ],
  [
    b({ type: 'secret_key', name: 'K', algorithm: {}, format: 'der', usages: [] }),
    `${at0}.format`,
    '"raw"',
  ],
  [
    b({
      type: 'secret_key',
      name: 'K',
      algorithm: {},
      format: 'raw',
      usages: ['fly'],
      key_base64: 'A',
    }),
    `${at0}.usages[0]`,
    '"encrypt"',
  ],
  [
    b({ type: 'secrets_store_secret', name: 'S', store_id: 's' }),
    `${at0}.secret_name`,
    'required for secrets_store_secret',
  ],
  [
    b({
      type: 'send_email',
      name: 'E',
      destination_address: 'a@b.c',
      allowed_destination_addresses: ['x@y.z'],
    }),
    `${at0}.destination_address`,
    'cannot be combined',
  ],
  [
    b({ type: 'vpc_network', name: 'N' }),
    `${at0}.tunnel_id`,
    'exactly one of tunnel_id and network_id',
  ],
  [
    b({ type: 'vpc_network', name: 'N', tunnel_id: 't', network_id: 'n' }),
    `${at0}.tunnel_id`,
    'exactly one',
  ],
  [b({ type: 'vpc_service', name: 'V' }), `${at0}.service_id`, 'required for vpc_service'],
  [b({ type: 'ai', name: 'AI', staging: 'yes' }), `${at0}.staging`, 'expected boolean'],
  [b({ type: 'ai_search', name: 'S' }), `${at0}.instance_name`, 'required for ai_search'],
  [
    b({ type: 'ai_search_namespace', name: 'S' }),
    `${at0}.namespace`,
    'required for ai_search_namespace',
  ],
  [b({ type: 'artifacts', name: 'A' }), `${at0}.namespace`, 'required for artifacts'],
  [b({ type: 'flagship', name: 'F' }), `${at0}.app_id`, 'required for flagship'],
  [b({ type: 'k2', name: 'K' }), `${at0}.stream`, 'required for k2'],
  [b({ type: 'messaging', name: 'M' }), `${at0}.namespace`, 'required for messaging'],
  [b({ type: 'pipelines', name: 'P' }), `${at0}.pipeline`, 'required for pipelines'],
  [b({ type: 'wasm_module', name: 'W' }), `${at0}.part`, 'required for wasm_module'],
  [b({ type: 'text_blob', name: 'T' }), `${at0}.part`, 'required for text_blob'],
  [b({ type: 'data_blob', name: 'D' }), `${at0}.part`, 'required for data_blob'],
  [b({ type: 'inherit', name: 'I', version_id: 3 }), `${at0}.version_id`, 'expected string'],
  [b({ type: 'future_kind', name: 'bad name' }), `${at0}.name`, 'valid JavaScript identifier'],
  [
    {
      bindings: [
        { type: 'plain_text', name: 'A', text: 'x' },
        { type: 'secret_text', name: 'A', text: 'y' },
      ],
    },
    'version.bindings[1].name',
    'duplicate binding name "A" (also bindings[0])',
  ],
  [{ annotations: 'hi' }, 'version.annotations', 'expected Object'],
  [
    { annotations: { 'workers/tag': 'x'.repeat(101) } },
    'version.annotations["workers/tag"]',
    'at most 100 bytes',
  ],
  [
    { annotations: { 'workers/tag': 'é'.repeat(51) } },
    'version.annotations["workers/tag"]',
    'got 102',
  ],
  [
    { annotations: { 'workers/triggered_by': 'upload' } },
    'version.annotations["workers/triggered_by"]',
    'set by the server',
  ],
  [
    { annotations: { 'workers/message': 42 } },
    'version.annotations["workers/message"]',
    'expected string',
  ],
  [{ compatibility_date: '2025-1-1' }, 'version.compatibility_date', 'YYYY-MM-DD'],
  [{ compatibility_date: '2025-02-29' }, 'version.compatibility_date', 'not a real calendar date'],
  [{ compatibility_date: '2025-13-01' }, 'version.compatibility_date', 'not a real calendar date'],
  [
    { compatibility_date: '2026-01-02' },
    'version.compatibility_date',
    'after today (2026-01-01 in UTC)',
  ],
  [{ compatibility_date: 20250101 }, 'version.compatibility_date', 'expected string'],
  [{ compatibility_flags: 'nodejs_compat' }, 'version.compatibility_flags', 'expected Array'],
  [
    { compatibility_flags: ['nodejs_compat', 'nodejs_compat'] },
    'version.compatibility_flags',
    'duplicates',
  ],
  [{ compatibility_flags: [''] }, 'version.compatibility_flags[0]', 'must not be empty'],
  [
    { assets: { config: { html_handling: 'always' } } },
    'version.assets.config.html_handling',
    '"auto-trailing-slash"',
  ],
  [
    { assets: { config: { not_found_handling: 'spa' } } },
    'version.assets.config.not_found_handling',
    '"single-page-application"',
  ],
  [
    { assets: { config: { run_worker_first: 'yes' } } },
    'version.assets.config.run_worker_first',
    'boolean or an array',
  ],
  [
    { assets: { config: { run_worker_first: [] } } },
    'version.assets.config.run_worker_first',
    'at least 1 rule',
  ],
  [
    { assets: { config: { run_worker_first: ['api/*'] } } },
    'version.assets.config.run_worker_first[0]',
    'must start with "/" or "!/"',
  ],
  [
    { assets: { config: { run_worker_first: ['!/api/docs'] } } },
    'version.assets.config.run_worker_first',
    'at least one positive rule',
  ],
  [
    { assets: { config: { run_worker_first: ['/a', '/a'] } } },
    'version.assets.config.run_worker_first',
    'duplicate rules: ["/a"]',
  ],
  [
    { assets: { config: { run_worker_first: [`/${'a'.repeat(100)}`] } } },
    'version.assets.config.run_worker_first[0]',
    'at most 100 characters',
  ],
  [
    { assets: { config: { run_worker_first: Array.from({ length: 101 }, (_, i) => `/r${i}`) } } },
    'version.assets.config.run_worker_first',
    'at most 100 rules',
  ],
  [{ assets: { jwt: 1 } }, 'version.assets.jwt', 'expected string'],
  [{ migrations: [] }, 'version.migrations', 'expected an object'],
  [{ migrations: { new_classes: 'A' } }, 'version.migrations.new_classes', 'expected Array'],
  [
    { migrations: { renamed_classes: [{ from: 'A' }] } },
    'version.migrations.renamed_classes[0].to',
    'required',
  ],
  [
    { migrations: { transferred_classes: [{ from: 'A', to: 'B' }] } },
    'version.migrations.transferred_classes[0].from_script',
    'required',
  ],
  [{ migrations: { steps: {} } }, 'version.migrations.steps', 'expected Array'],
  [
    { migrations: { steps: [{ new_tag: 'v1' }] } },
    'version.migrations.steps[0].new_tag',
    'tags belong on `migrations`',
  ],
  [{ migrations: { new_tag: 1 } }, 'version.migrations.new_tag', 'expected string'],
  [{ exports: {}, migrations: {} }, 'version.exports', 'cannot be set together with `migrations`'],
  [{ exports: [] }, 'version.exports', 'expected an object'],
  [
    { containers: [{ class_name: 'Box' }] },
    'version.containers[0].class_name',
    'not a Durable Object class of this Worker',
  ],
  [
    {
      bindings: [
        { type: 'durable_object_namespace', name: 'B', class_name: 'Box', script_name: 'other' },
      ],
      containers: [{ class_name: 'Box' }],
    },
    'version.containers[0].class_name',
    'not a Durable Object class',
  ],
  [{ containers: [{}] }, 'version.containers[0].class_name', 'required'],
  [{ placement: 'smart' }, 'version.placement', 'expected an object'],
  [{ placement: { mode: 'fast' } }, 'version.placement.mode', 'expected "smart" or "targeted"'],
  [{ placement: {} }, 'version.placement', 'needs mode "smart"'],
  [
    { placement: { region: 'aws:us-east-1', host: 'db:5432' } },
    'version.placement',
    'set only one of region, hostname and host',
  ],
  [{ placement: { mode: 'targeted' } }, 'version.placement', 'needs region, hostname or host'],
  [{ placement: { region: 7 } }, 'version.placement.region', 'expected string'],
  [{ limits: { cpu_ms: 0 } }, 'version.limits.cpu_ms', 'positive integer'],
  [{ limits: { subrequests: 2.5 } }, 'version.limits.subrequests', 'integer'],
  [{ limits: { cpu_ms: '50' } }, 'version.limits.cpu_ms', 'expected number'],
  [{ usage_model: 'free' }, 'version.usage_model', '"standard"'],
  [{ cache_options: 1 }, 'version.cache_options', 'expected an object'],
  [{ package_dependencies: {} }, 'version.package_dependencies', 'expected Array'],
]

describe('invalid configurations', () => {
  test('the table is large enough', () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(60)
  })
  test.each(INVALID.map(([config, path, fragment], i) => [i, path, fragment, config] as const))(
    '#%i %s: %s',
    (_i, path, fragment, config) => {
      const error = errorOf(config)
      expect(error.code).toBe('INVALID_OPTIONS')
      const line = error.message.split('\n').find((l) => l.includes(`${path}: `))
      expect(line, error.message).toBeDefined()
      expect(line).toContain(fragment)
    },
  )
})

describe('every problem in one error', () => {
  test('lists all problems with their paths', () => {
    const error = errorOf({
      bindings: [
        { type: 'kv_namespace', name: 'KV' },
        { type: 'd1', name: 'KV', database_id: 'x' },
      ],
      compatibility_date: 'soon',
      limits: { cpu_ms: -1 },
    })
    expect(error.message).toMatch(/4 problems/)
    expect(error.message).toContain('version.bindings[0].namespace_id: required for kv_namespace')
    expect(error.message).toContain('version.bindings[1].name: duplicate binding name "KV"')
    expect(error.message).toContain('version.compatibility_date: must be YYYY-MM-DD')
    expect(error.message).toContain('version.limits.cpu_ms: must be a positive integer')
  })

  test('uses the given root path', () => {
    const error = errorOf({ limits: { cpu_ms: 0 } }, { now, path: 'options.version' } as never)
    expect(error.message).toContain('options.version.limits.cpu_ms')
  })

  test('caps very long lists', () => {
    const bindings = Array.from({ length: 300 }, () => ({ type: 'kv_namespace', name: 'KV' }))
    const error = errorOf({ bindings })
    expect(error.message).toContain('… and ')
    expect(error.message.split('\n').length).toBeLessThan(110)
  })
})

const VALID: VersionConfig = {
  annotations: { 'workers/message': 'Fix checkout', 'workers/tag': 'v1.2.3' },
  assets: {
    jwt: 'jwt-token',
    config: {
      html_handling: 'none',
      not_found_handling: '404-page',
      run_worker_first: ['/api/*', '!/api/docs'],
    },
  },
  bindings: [
    { type: 'plain_text', name: 'MODE', text: 'prod' },
    { type: 'json', name: 'FLAGS', json: { a: [1, 2, { b: null }] } },
    { type: 'kv_namespace', name: 'KV', namespace_id: 'abc' },
    { type: 'd1', name: 'DB', id: 'old-style-id' },
    { type: 'durable_object_namespace', name: 'ROOMS', class_name: 'Room' },
    { type: 'ratelimit', name: 'RL', namespace_id: '1001', simple: { limit: 10, period: 60 } },
    {
      type: 'secret_key',
      name: 'KEY',
      algorithm: { name: 'HMAC', hash: 'SHA-256' },
      format: 'jwk',
      usages: ['sign', 'verify'],
      key_jwk: { kty: 'oct' },
    },
    { type: 'vpc_network', name: 'NET', network_id: 'n-1' },
    { type: 'inherit', name: 'API_TOKEN' },
    {
      type: 'dispatch_namespace',
      name: 'DISPATCH',
      namespace: 'ns',
      outbound: { worker: { service: 'out', environment: 'prod' }, params: [{ name: 'p' }] },
    },
    { type: 'ai', name: 'AI', staging: false },
    { type: 'version_metadata', name: 'META' },
    { type: 'ñame_kind_of_the_future', name: 'FUTURE', anything: [1] },
    { type: 'plain_text', name: 'ünïcode_$', text: '' },
  ],
  compatibility_date: '2026-01-01',
  compatibility_flags: ['nodejs_compat'],
  containers: [{ class_name: 'Room' }, { class_name: 'Sandbox' }],
  limits: { cpu_ms: 50, subrequests: 1000 },
  migrations: {
    old_tag: 'v1',
    new_tag: 'v3',
    steps: [{ new_sqlite_classes: ['Sandbox'] }, { renamed_classes: [{ from: 'A', to: 'B' }] }],
  },
  placement: { mode: 'targeted', region: 'aws:us-east-1' },
  cache_options: { enabled: true },
  package_dependencies: [{ name: 'x' }],
}

describe('valid configurations', () => {
  test('round-trip unchanged, in the same key order', () => {
    const { config, warnings } = validateVersionConfig(VALID, { now })
    expect(config).toStrictEqual(VALID)
    expect(JSON.stringify(config)).toBe(JSON.stringify(VALID))
    expect(warnings).toEqual([
      'version.bindings[12].type: unknown binding type "ñame_kind_of_the_future"; passed through unchanged',
    ])
  })

  test('does not mutate the input', () => {
    const input = { annotations: { 'workers/message': 'a'.repeat(2000) } }
    const copy = structuredClone(input)
    validateVersionConfig(input, { now })
    expect(input).toEqual(copy)
  })

  test('an empty config is valid', () => {
    expect(validateVersionConfig({}, { now })).toEqual({ config: {}, warnings: [] })
  })

  test('today (UTC) is a valid compatibility date', () => {
    const late = new Date('2026-03-01T23:59:59Z')
    expect(
      validateVersionConfig({ compatibility_date: '2026-03-01' }, { now: late }).config
        .compatibility_date,
    ).toBe('2026-03-01')
  })

  test('placement variants', () => {
    for (const placement of [
      { mode: 'smart' },
      { mode: 'smart', hint: 'wnam' },
      { region: 'gcp:europe-west1' },
      { hostname: 'db.example.com' },
      { host: 'db.example.com:5432' },
      { mode: 'targeted', host: 'h:1' },
    ]) {
      expect(validateVersionConfig({ placement }, { now }).config.placement).toEqual(placement)
    }
  })

  test('single-step migrations and containers created by them', () => {
    const config = {
      migrations: { new_tag: 'v1', new_classes: ['Box'] },
      containers: [{ class_name: 'Box' }],
    }
    expect(validateVersionConfig(config, { now }).config).toEqual(config)
  })

  test('run_worker_first accepts booleans', () => {
    expect(
      validateVersionConfig({ assets: { config: { run_worker_first: false } } }, { now }).warnings,
    ).toEqual([])
  })
})

describe('warnings and normalisations', () => {
  test('workers/message over 1000 bytes is truncated at a character boundary', () => {
    const message = 'a' + '€'.repeat(400) // 1 + 1200 bytes
    const { config, warnings } = validateVersionConfig(
      { annotations: { 'workers/message': message, 'workers/tag': 't' } },
      { now },
    )
    const truncated = config.annotations!['workers/message']!
    expect(Buffer.byteLength(truncated)).toBe(1000)
    expect(truncated).toBe('a' + '€'.repeat(333))
    expect(Object.keys(config.annotations!)).toEqual(['workers/message', 'workers/tag'])
    expect(warnings[0]).toMatch(
      /version\.annotations\["workers\/message"\]: is 1201 bytes; truncated to 1000/,
    )
  })

  test('truncateUtf8 keeps surrogate pairs whole', () => {
    expect(truncateUtf8('😀😀', 7)).toBe('😀')
    expect(truncateUtf8('abc', 10)).toBe('abc')
  })

  test('usage_model is deprecated', () => {
    expect(validateVersionConfig({ usage_model: 'standard' }, { now }).warnings).toEqual([
      'version.usage_model: is deprecated and has no effect; remove it',
    ])
  })

  test('unknown fields are errors with their path, naming the field meant when one is close', () => {
    const input = {
      logpush: true,
      compatability_date: '2025-01-01',
      limits: { cpu_ms: 10, memory: 1 },
      bindings: [
        { type: 'kv_namespace', name: 'K', namespace_id: 'x', raw: true, namespaceid: 'y' },
      ],
    }
    const message = errorOf(input).message
    expect(message.split('\n').slice(1)).toEqual([
      '  - version.logpush: not a Create Version field the plugin knows',
      '  - version.compatability_date: not a Create Version field the plugin knows; did you mean `compatibility_date`?',
      '  - version.limits.memory: unknown field',
      '  - version.bindings[0].raw: unknown field for kv_namespace',
      '  - version.bindings[0].namespaceid: unknown field for kv_namespace; did you mean `namespace_id`?',
    ])
  })

  test('an unknown binding type passes through', () => {
    const binding = { type: 'quantum_entangler', name: 'Q', qubits: 3 }
    const { config, warnings } = validateVersionConfig({ bindings: [binding] }, { now })
    expect(config.bindings).toEqual([binding])
    expect(warnings[0]).toContain('unknown binding type "quantum_entangler"')
  })
})
