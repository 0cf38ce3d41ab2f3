import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { describe, expect, test } from 'vitest'
import { unstable_convertConfigBindingsToStartWorkerBindings, unstable_readConfig } from 'wrangler'
import { WorkersVersionError } from '../../src/core/errors.js'
import { validateVersionConfig } from '../../src/options/validate.js'
import { findWranglerConfig, readWranglerConfig } from '../../src/wrangler/index.js'

const fixtures = new URL('./fixtures/', import.meta.url).pathname
const now = new Date('2026-01-01T00:00:00Z')

const CASES: Array<[file: string, env?: string]> = [
  ['full.jsonc'],
  ['full.jsonc', 'staging'],
  ['full.jsonc', 'production'],
  ['basic.toml'],
  ['basic.toml', 'production'],
  ['basic.toml', 'preview'],
  ['platform.toml'],
  ['platform.toml', 'eu'],
  ['spa.json'],
]

function read(file: string, env?: string) {
  const result = readWranglerConfig(join(fixtures, file), { env })
  return {
    ...result,
    ...(result.assets && {
      assets: {
        ...result.assets,
        ...(result.assets.directory && { directory: relative(fixtures, result.assets.directory) }),
      },
    }),
  }
}

function tempConfig(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'wv-wrangler-'))
  const file = join(dir, name)
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
  throw new Error('expected an error')
}

describe('fixtures', () => {
  test.each(CASES)('%s (env %s) matches its expected JSON', (file, env) => {
    const expected = JSON.parse(
      readFileSync(join(fixtures, 'expected', `${file}${env ? `.${env}` : ''}.json`), 'utf8'),
    )
    expect(read(file, env)).toEqual(expected)
  })

  test.each(CASES)('%s (env %s) passes validateVersionConfig unchanged', (file, env) => {
    const { version } = read(file, env)
    const { config } = validateVersionConfig(version, { now })
    expect(config).toEqual(version)
  })

  // wrangler itself reads the same files: the environment's name, account,
  // compatibility settings, migrations and the kind of every binding must agree.
  test.each(CASES)("%s (env %s) agrees with wrangler's own reading", (file, env) => {
    const ours = read(file, env)
    const theirs = unstable_readConfig(
      { config: join(fixtures, file), env },
      { hideWarnings: true },
    )
    expect(ours.worker).toBe(theirs.name)
    expect(ours.accountId).toBe(theirs.account_id)
    expect(ours.version.compatibility_date).toBe(theirs.compatibility_date)
    expect(ours.version.compatibility_flags ?? []).toEqual(theirs.compatibility_flags)
    expect(ours.version.limits).toEqual(theirs.limits)
    expect(ours.secrets.inherit).toEqual(theirs.secrets?.required ?? [])
    expect(ours.migrationSteps ?? []).toEqual(theirs.migrations)
    const kinds = Object.fromEntries(
      Object.entries(unstable_convertConfigBindingsToStartWorkerBindings(theirs) ?? {}).map(
        ([name, b]: [string, any]) => {
          // wrangler's internal name for the API's `pipelines`; ids it lacks become `inherit` here.
          const type = b.type === 'pipeline' ? 'pipelines' : b.type
          const missingId =
            (type === 'd1' && !b.database_id) ||
            (type === 'kv_namespace' && !b.id) ||
            (type === 'r2_bucket' && !b.bucket_name)
          return [name, missingId ? 'inherit' : type]
        },
      ),
    )
    expect(
      Object.fromEntries(
        (ours.version.bindings ?? []).map((b: { name: string; type: string }) => [b.name, b.type]),
      ),
    ).toEqual(kinds)
    expect(ours.version.assets?.config?.run_worker_first).toEqual(theirs.assets?.run_worker_first)
  })
})

describe('findWranglerConfig', () => {
  test('prefers wrangler.jsonc, then wrangler.json, then wrangler.toml', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wv-find-'))
    expect(findWranglerConfig(dir)).toBeUndefined()
    writeFileSync(join(dir, 'wrangler.toml'), 'name = "a"')
    expect(findWranglerConfig(dir)).toBe(join(dir, 'wrangler.toml'))
    writeFileSync(join(dir, 'wrangler.json'), '{}')
    expect(findWranglerConfig(dir)).toBe(join(dir, 'wrangler.json'))
    writeFileSync(join(dir, 'wrangler.jsonc'), '{}')
    expect(findWranglerConfig(dir)).toBe(join(dir, 'wrangler.jsonc'))
  })
})

describe('readWranglerConfig', () => {
  test('JSONC syntax errors carry line:column', () => {
    const file = tempConfig(
      'wrangler.jsonc',
      '{\n  // comment\n  "name": "x",\n  "vars": { "A": }\n}\n',
    )
    const error = errorOf(() => readWranglerConfig(file))
    expect(error.code).toBe('INVALID_WRANGLER_CONFIG')
    expect(error.message).toContain('4:18: ValueExpected')
  })

  test('TOML syntax errors carry line:column', () => {
    const file = tempConfig('wrangler.toml', 'name = "x"\n\n[vars\nA = 1\n')
    const error = errorOf(() => readWranglerConfig(file))
    expect(error.code).toBe('INVALID_WRANGLER_CONFIG')
    expect(error.message).toMatch(/ 3:\d+: /)
  })

  test('a config that is not an object is rejected', () => {
    expect(errorOf(() => readWranglerConfig(tempConfig('wrangler.json', '[1]'))).message).toContain(
      'must be an object',
    )
  })

  test('a missing file is reported', () => {
    expect(errorOf(() => readWranglerConfig('/nonexistent/wrangler.toml')).code).toBe(
      'INVALID_WRANGLER_CONFIG',
    )
  })

  test('an unknown environment is an error when others exist', () => {
    const error = errorOf(() => readWranglerConfig(join(fixtures, 'full.jsonc'), { env: 'qa' }))
    expect(error.message).toContain(
      'no environment "qa"; the configured environments are "staging", "production"',
    )
  })

  test('without env sections an environment uses the top level, named <name>-<env>', () => {
    const result = readWranglerConfig(join(fixtures, 'spa.json'), { env: 'preview' })
    expect(result.worker).toBe('docs-site-preview')
    expect(result.warnings[0]).toContain('no [env.preview] section')
    expect(result.version.assets?.config?.html_handling).toBe('drop-trailing-slash')
  })

  test('sections of the wrong shape are all reported with their paths', () => {
    const file = tempConfig(
      'wrangler.json',
      JSON.stringify({
        kv_namespaces: { binding: 'KV' },
        d1_databases: [{ database_id: 'x' }],
        durable_objects: [],
        env: { staging: { r2_buckets: ['b'] } },
        migrations: [{ new_classes: ['A'] }],
      }),
    )
    const message = errorOf(() => readWranglerConfig(file, { env: 'staging' })).message
    expect(message).toContain('env.staging.r2_buckets[0]: expected an object')
    const top = errorOf(() => readWranglerConfig(file)).message
    expect(top).toContain('kv_namespaces: expected an array')
    expect(top).toContain('d1_databases[0].binding: required')
    expect(top).toContain('durable_objects: expected an object')
    expect(top).toContain('migrations[0].tag: required')
  })

  test('unsafe bindings and worker loaders are sent as wrangler sends them', () => {
    const file = tempConfig(
      'wrangler.json',
      JSON.stringify({
        name: 'w',
        unsafe: {
          bindings: [
            { name: 'RL', type: 'ratelimit', namespace_id: '7', simple: { limit: 1, period: 10 } },
          ],
          metadata: { x: 1 },
        },
        worker_loaders: [{ binding: 'LOADER' }],
        __proto__: 1,
      }),
    )
    const result = readWranglerConfig(file)
    expect(result.version.bindings).toEqual([
      { name: 'LOADER', type: 'worker_loader' },
      { name: 'RL', type: 'ratelimit', namespace_id: '7', simple: { limit: 1, period: 10 } },
    ])
    expect(result.warnings).toContain(
      'unsafe.metadata: raw metadata overrides are not applied to the version body',
    )
  })

  test('placement follows wrangler: hint means smart, region/host/hostname are targeted, off sends nothing', () => {
    const placement = (p: unknown) =>
      readWranglerConfig(tempConfig('wrangler.json', JSON.stringify({ placement: p }))).version
        .placement
    expect(placement({ mode: 'smart', hint: 'wnam' })).toEqual({ mode: 'smart', hint: 'wnam' })
    expect(placement({ host: 'db:5432' })).toEqual({ mode: 'targeted', host: 'db:5432' })
    expect(placement({ hostname: 'db.example.com' })).toEqual({
      mode: 'targeted',
      hostname: 'db.example.com',
    })
    expect(placement({ mode: 'off' })).toBeUndefined()
  })
})

describe('deploy settings (applied by a promote to 100%)', () => {
  const settings = (config: Record<string, unknown>, env?: string) =>
    readWranglerConfig(tempConfig('wrangler.json', JSON.stringify({ name: 'w', ...config })), {
      env,
    }).deploy

  test('reads routes, crons, workers.dev, Preview URLs, script settings, consumers and the Workflows this Worker defines', () => {
    const read = settings({
      route: 'example.com/*',
      triggers: { crons: [] },
      workers_dev: false,
      preview_urls: true,
      observability: { enabled: true },
      logpush: false,
      tail_consumers: [{ service: 'tail', environment: 'production' }],
      queues: {
        producers: [{ binding: 'Q', queue: 'jobs' }],
        consumers: [{ queue: 'jobs', retry_delay: 30 }],
      },
      workflows: [
        { binding: 'MINE', name: 'mine', class_name: 'Mine' },
        { binding: 'THEIRS', name: 'theirs', class_name: 'Theirs', script_name: 'other' },
      ],
    })
    expect(read).toEqual({
      routes: [{ pattern: 'example.com/*' }],
      crons: [],
      workersDev: false,
      previewUrls: true,
      observability: { enabled: true },
      logpush: false,
      tailConsumers: [{ service: 'tail', environment: 'production' }],
      queueConsumers: [{ queue: 'jobs', retry_delay: 30 }],
      // A Workflow of another script is only a binding here: its own Worker's deploy creates it.
      workflows: [{ name: 'mine', class_name: 'Mine' }],
    })
    // None of them is reported as "not sent" any more.
    expect(
      readWranglerConfig(
        tempConfig(
          'wrangler.json',
          JSON.stringify({
            name: 'w',
            routes: ['a.example.com/*'],
            triggers: { crons: ['0 * * * *'] },
          }),
        ),
      ).warnings,
    ).toEqual([])
  })

  test('an environment inherits routes and triggers but not tail_consumers, as in wrangler', () => {
    const read = settings(
      {
        routes: ['example.com/*'],
        tail_consumers: [{ service: 'tail' }],
        env: { staging: { workers_dev: true } },
      },
      'staging',
    )
    expect(read).toMatchObject({ routes: [{ pattern: 'example.com/*' }], workersDev: true })
    expect(read.tailConsumers).toBeUndefined()
  })

  test('every setting of the wrong shape is an error naming its key', () => {
    const message = errorOf(() =>
      settings({
        routes: [{ pattern: 'app.example.com/*', custom_domain: true }, { pattern: '*/api' }, 42],
        triggers: { crons: '0 * * * *' },
        workers_dev: 'yes',
        observability: true,
        tail_consumers: ['tail'],
        queues: { consumers: [{ queue: 'jobs', max_batch_size: '10' }, {}] },
        workflows: [{ binding: 'F', name: 'f' }],
      }),
    ).message
    for (const part of [
      'routes[0].pattern: a Custom Domain is a hostname',
      'routes[1].pattern: a pattern without a host needs the zone',
      'routes[2]: expected a route pattern',
      'triggers.crons: expected an array of cron expressions',
      'workers_dev: expected true or false',
      'observability: expected an object',
      'tail_consumers: expected an array of { "service": "<Worker name>" }',
      'queues.consumers[0].max_batch_size: expected a number',
      'queues.consumers[1].queue: required',
      'workflows[0]: a Workflow this Worker defines needs "name" and "class_name"',
    ]) {
      expect(message).toContain(part)
    }
    expect(errorOf(() => settings({ route: 'a.example.com/*', routes: [] })).message).toContain(
      'route: set either `route` or `routes`, not both',
    )
  })
})
