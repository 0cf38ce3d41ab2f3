import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { WorkersVersionError } from '../../src/core/errors.js'
import { validateVersionConfig } from '../../src/options/validate.js'

const now = new Date('2026-01-01T00:00:00Z')

const identifier = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,12}$/)
const id = fc.string({ minLength: 1, maxLength: 24 })
const classNames = fc.uniqueArray(fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,10}$/), {
  minLength: 1,
  maxLength: 3,
})

function bindingFor(name: string): fc.Arbitrary<Record<string, unknown>> {
  const opt = <T extends Record<string, fc.Arbitrary<unknown>>>(
    model: T,
    requiredKeys: (keyof T)[],
  ) => fc.record(model, { requiredKeys: requiredKeys as never })
  return fc.oneof(
    fc.record({ type: fc.constant('plain_text'), name: fc.constant(name), text: fc.string() }),
    fc.record({ type: fc.constant('secret_text'), name: fc.constant(name), text: fc.string() }),
    fc.record({
      type: fc.constant('json'),
      name: fc.constant(name),
      json: fc.jsonValue({ maxDepth: 3 }),
    }),
    fc.record({ type: fc.constant('kv_namespace'), name: fc.constant(name), namespace_id: id }),
    fc.record({ type: fc.constant('d1'), name: fc.constant(name), database_id: id }),
    opt(
      {
        type: fc.constant('r2_bucket'),
        name: fc.constant(name),
        bucket_name: id,
        jurisdiction: fc.constantFrom('eu', 'fedramp', 'fedramp-high'),
      },
      ['type', 'name', 'bucket_name'],
    ),
    opt(
      {
        type: fc.constant('queue'),
        name: fc.constant(name),
        queue_name: id,
        delivery_delay: fc.integer({ min: 0, max: 43200 }),
      },
      ['type', 'name', 'queue_name'],
    ),
    opt(
      {
        type: fc.constant('service'),
        name: fc.constant(name),
        service: id,
        environment: id,
        entrypoint: id,
      },
      ['type', 'name', 'service'],
    ),
    opt(
      {
        type: fc.constant('durable_object_namespace'),
        name: fc.constant(name),
        class_name: id,
        script_name: id,
      },
      ['type', 'name', 'class_name'],
    ),
    fc.record({
      type: fc.constant('ratelimit'),
      name: fc.constant(name),
      namespace_id: id,
      simple: fc.record({
        limit: fc.integer({ min: 1, max: 1e6 }),
        period: fc.constantFrom(10, 60),
      }),
    }),
    opt(
      {
        type: fc.constant('inherit'),
        name: fc.constant(name),
        old_name: id,
        version_id: fc.constantFrom('latest', '5b1c8d9e'),
      },
      ['type', 'name'],
    ),
    opt({ type: fc.constant('ai'), name: fc.constant(name), staging: fc.boolean() }, [
      'type',
      'name',
    ]),
    fc.record({
      type: fc.constantFrom('version_metadata', 'browser', 'images', 'assets', 'media'),
      name: fc.constant(name),
    }),
    fc.record({ type: fc.constant('workflow'), name: fc.constant(name), workflow_name: id }),
    fc.record({ type: fc.constant('vpc_network'), name: fc.constant(name), tunnel_id: id }),
  )
}

const bindings = fc
  .uniqueArray(identifier, { maxLength: 8 })
  .chain((names) => fc.tuple(...names.map(bindingFor)))

const date = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: now, noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10))

const rule = fc.stringMatching(/^\/[a-z0-9*/]{0,30}$/)
const rules = fc
  .tuple(
    rule,
    fc.uniqueArray(
      fc.tuple(fc.boolean(), rule).map(([neg, r]) => (neg ? `!${r}` : r)),
      { maxLength: 10 },
    ),
  )
  .map(([first, rest]) => [...new Set([first, ...rest])])

const steps = fc.record(
  {
    new_classes: classNames,
    new_sqlite_classes: classNames,
    deleted_classes: classNames,
    renamed_classes: fc.array(fc.record({ from: id, to: id }), { maxLength: 2 }),
  },
  { requiredKeys: [] },
)

const validConfig = fc.record(
  {
    annotations: fc.record(
      {
        'workers/message': fc.string({ maxLength: 200 }),
        'workers/tag': fc.string({ maxLength: 25 }),
      },
      { requiredKeys: [] },
    ),
    assets: fc.record(
      {
        jwt: id,
        config: fc.record(
          {
            html_handling: fc.constantFrom(
              'auto-trailing-slash',
              'force-trailing-slash',
              'drop-trailing-slash',
              'none',
            ),
            not_found_handling: fc.constantFrom('none', '404-page', 'single-page-application'),
            run_worker_first: fc.oneof(fc.boolean(), rules),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: [] },
    ),
    bindings,
    compatibility_date: date,
    compatibility_flags: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 30 }), {
      maxLength: 5,
    }),
    limits: fc.record(
      {
        cpu_ms: fc.integer({ min: 1, max: 300000 }),
        subrequests: fc.integer({ min: 1, max: 10000 }),
      },
      { requiredKeys: [] },
    ),
    migrations: fc.oneof(
      fc
        .tuple(fc.record({ old_tag: id, new_tag: id }, { requiredKeys: [] }), steps)
        .map(([tags, step]) => ({ ...tags, ...step })),
      fc.record({ new_tag: id, steps: fc.array(steps, { maxLength: 3 }) }),
    ),
    placement: fc.oneof(
      fc.constant({ mode: 'smart' }),
      fc.record({ region: id }),
      fc.record({ hostname: id }),
      fc.record({ host: id }),
      fc.record({ mode: fc.constant('targeted'), region: id }),
    ),
    cache_options: fc.record({ enabled: fc.boolean() }),
  },
  { requiredKeys: [] },
)

type Corruption = (config: Record<string, unknown>) => Record<string, unknown>
const corruptions: fc.Arbitrary<Corruption> = fc.constantFrom<Corruption>(
  (c) => ({ ...c, compatibility_date: '2025-02-30' }),
  (c) => ({ ...c, compatibility_date: '2099-01-01' }),
  (c) => ({ ...c, compatibility_date: 20250101 }),
  (c) => ({ ...c, compatibility_flags: ['a', 'a'] }),
  (c) => ({
    ...c,
    bindings: [
      ...((c.bindings as unknown[]) ?? []),
      { type: 'kv_namespace', name: 'KV_MISSING_ID' },
    ],
  }),
  (c) => ({
    ...c,
    bindings: [
      { type: 'plain_text', name: 'DUP', text: '' },
      { type: 'json', name: 'DUP', json: 1 },
    ],
  }),
  (c) => ({ ...c, bindings: [{ type: 'plain_text', name: 'not-an-identifier', text: '' }] }),
  (c) => ({ ...c, bindings: 'KV' }),
  (c) => ({ ...c, limits: { cpu_ms: 0 } }),
  (c) => ({ ...c, limits: { subrequests: 1.5 } }),
  (c) => ({ ...c, placement: { mode: 'anywhere' } }),
  (c) => ({ ...c, placement: { region: 'a', host: 'b' } }),
  (c) => ({ ...c, annotations: { 'workers/triggered_by': 'upload' } }),
  (c) => ({ ...c, annotations: { 'workers/tag': 'x'.repeat(101) } }),
  (c) => ({ ...c, assets: { config: { run_worker_first: [] } } }),
  (c) => ({ ...c, assets: { config: { run_worker_first: ['!/only-negative'] } } }),
  (c) => ({ ...c, main_module: 'index.js' }),
  (c) => ({ ...c, containers: [{ class_name: 'NotADurableObjectClass123' }] }),
  (c) => ({ ...c, migrations: { steps: [{ new_tag: 'v1' }] } }),
  (c) => ({ ...c, migrations: { new_classes: 'A' } }),
  (c) => ({ ...c, exports: {}, migrations: {} }),
  (c) => ({ ...c, usage_model: 'free' }),
)

/** Runs the validator and returns what it threw, or undefined; any other throw fails the property. */
function outcome(input: unknown): WorkersVersionError | undefined {
  try {
    validateVersionConfig(input, { now })
    return undefined
  } catch (error) {
    if (!(error instanceof WorkersVersionError)) throw error
    return error
  }
}

describe('properties', () => {
  test('a valid config round-trips unchanged', () => {
    fc.assert(
      fc.property(validConfig, (config) => {
        const result = validateVersionConfig(config, { now })
        expect(result.config).toStrictEqual(config)
        expect(Object.keys(result.config)).toEqual(Object.keys(config))
      }),
      { numRuns: 400 },
    )
  })

  test('an invalid config is rejected with a WorkersVersionError naming a version. path', () => {
    fc.assert(
      fc.property(validConfig, corruptions, (config, corrupt) => {
        const error = outcome(corrupt(config))
        expect(error).toBeInstanceOf(WorkersVersionError)
        expect(error!.code).toBe('INVALID_OPTIONS')
        expect(error!.message).toMatch(/^ {2}- version[.[:]/m)
      }),
      { numRuns: 400 },
    )
  })

  test('anything() never throws anything but WorkersVersionError', () => {
    const hostileKey = fc.oneof(
      fc.string(),
      fc.constantFrom(
        '__proto__',
        'constructor',
        'prototype',
        'toString',
        'hasOwnProperty',
        'type',
        'name',
        'bindings',
        'steps',
        'mode',
        'json',
      ),
    )
    const anything = fc.anything({
      key: hostileKey,
      withNullPrototype: true,
      withBigInt: true,
      withMap: true,
      withSet: true,
      withDate: true,
      withTypedArray: true,
      withSparseArray: true,
      withBoxedValues: true,
      maxDepth: 4,
    })
    fc.assert(
      fc.property(anything, (input) => {
        outcome(input)
      }),
      { numRuns: 1000 },
    )
  })

  test('junk in every known field never crashes', () => {
    const junk = fc.anything({
      key: fc.constantFrom(
        '__proto__',
        'constructor',
        'type',
        'name',
        'class_name',
        'steps',
        'mode',
        'region',
      ),
      withNullPrototype: true,
      withBigInt: true,
      maxDepth: 3,
    })
    const fields = [
      'annotations',
      'assets',
      'bindings',
      'compatibility_date',
      'compatibility_flags',
      'containers',
      'limits',
      'migrations',
      'placement',
      'usage_model',
      'exports',
      'cache_options',
      'package_dependencies',
    ]
    const junkConfig = fc.record(Object.fromEntries(fields.map((f) => [f, junk])), {
      requiredKeys: [],
    })
    const junkBindings = fc.array(
      fc.record(
        {
          type: fc.oneof(
            fc.constantFrom(
              'kv_namespace',
              'd1',
              'secret_key',
              'send_email',
              '__proto__',
              'constructor',
              'toString',
            ),
            junk,
          ),
          name: junk,
          namespace_id: junk,
          simple: junk,
          outbound: junk,
          json: junk,
        },
        { requiredKeys: [] },
      ),
    )
    fc.assert(
      fc.property(
        junkConfig,
        junkBindings,
        (config, list) => void outcome({ ...config, bindings: list }),
      ),
      { numRuns: 1000 },
    )
  })

  test('__proto__ keys from JSON.parse are plain data', () => {
    const input = JSON.parse(
      '{"__proto__":{"compatibility_date":"1999-01-01"},"bindings":[{"__proto__":{"namespace_id":"x"},"type":"kv_namespace","name":"KV"},{"type":"__proto__","name":"constructor"},{"type":"constructor","name":"B"}],"placement":{"__proto__":{"mode":"smart"}}}',
    )
    const error = outcome(input)
    expect(error?.message).toContain('version.bindings[0].namespace_id: required for kv_namespace')
    // Own `__proto__` keys are unknown fields like any other, never a prototype.
    expect(error?.message).toContain(
      'version.__proto__: not a Create Version field the plugin knows',
    )
    expect(error?.message).toContain(
      'version.bindings[0].__proto__: unknown field for kv_namespace',
    )
    expect(error?.message).toMatch(/\(4 problems\)/)
    expect(error?.message).toContain('version.placement: needs mode "smart"')
    expect(({} as Record<string, unknown>).compatibility_date).toBeUndefined()
  })

  test('deeply nested and huge inputs are handled', () => {
    let deep: unknown = 'leaf'
    for (let i = 0; i < 100_000; i++) deep = [deep]
    const huge = 'x'.repeat(5_000_000)
    const error = outcome({
      bindings: [
        { type: 'json', name: 'DEEP', json: deep },
        { type: huge, name: huge },
      ],
      exports: { deep },
      annotations: { 'workers/message': huge, 'workers/tag': huge },
      [huge]: deep,
    })
    expect(error?.message).toContain(
      'version.bindings[0].json: nests more than 100 levels deep (at [0][0][0].…[0][0][0] (100 keys))',
    )
    expect(error!.message.length).toBeLessThan(5000)
  })

  test('throwing getters are reported, not propagated', () => {
    const input = Object.defineProperty({}, 'bindings', {
      enumerable: true,
      get: () => {
        throw new Error('boom')
      },
    })
    expect(outcome(input)?.message).toContain('version: could not be read (boom)')
  })
})
