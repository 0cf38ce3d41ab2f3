import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { PLUGINS } from 'miniflare'
import { describe, expect, test } from 'vitest'
import { unstable_convertConfigBindingsToStartWorkerBindings, unstable_readConfig } from 'wrangler'
import { miniflareOptionsFor } from '../../src/workerd/workerd.js'
import { BINDING_KINDS } from '../../src/options/binding-kinds.js'
import { renderEnvTypes } from '../../src/version/env-types.js'
import { validateVersionConfig } from '../../src/options/validate.js'
import { readWranglerConfig } from '../../src/wrangler/index.js'

type JsonSchema = {
  $ref?: string
  properties?: Record<string, JsonSchema>
  items?: JsonSchema
  anyOf?: JsonSchema[]
}
const require = createRequire(import.meta.url)
const configSchema = JSON.parse(
  readFileSync(
    join(dirname(require.resolve('wrangler/package.json')), 'config-schema.json'),
    'utf8',
  ),
) as { definitions: Record<string, JsonSchema> }

function deref(schema: JsonSchema | undefined): JsonSchema | undefined {
  return schema?.$ref ? configSchema.definitions[schema.$ref.split('/').pop()!] : schema
}
/** The object shapes a schema allows: itself, its array items, its `anyOf` alternatives. */
function shapes(schema: JsonSchema | undefined): JsonSchema[] {
  const s = deref(schema)
  if (!s) return []
  return [s, ...shapes(s.items), ...(s.anyOf ?? []).flatMap(shapes)]
}
/**
 * A section declares bindings when it (or a list in it, like `queues.producers`) has items with a
 * `binding`, or a `bindings` list. Sections nested in a section (`previews.kv_namespaces`) belong
 * to an environment-like block, not to a binding kind.
 */
function declaresBindings(section: JsonSchema): boolean {
  return shapes(section).some((shape) =>
    Object.entries(shape.properties ?? {}).some(
      ([key, inner]) =>
        key === 'binding' ||
        key === 'bindings' ||
        (!Object.hasOwn(environment, key) &&
          shapes(inner).some((s) => s.items && shapes(s.items).some((i) => i.properties?.binding))),
    ),
  )
}

const environment = configSchema.definitions.RawEnvironment!.properties!
const topLevel = configSchema.definitions.RawConfig!.properties!
const registrySections = new Set(
  Object.values(BINDING_KINDS).flatMap((k) => (k.wrangler ? [k.wrangler.section] : [])),
)

function tempConfig(config: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'wv-kinds-')), 'wrangler.json')
  writeFileSync(file, JSON.stringify(config))
  return file
}

describe('the registry against wrangler 4', () => {
  test("every binding section in wrangler's config schema is in the registry", () => {
    const bindingSections = Object.entries(environment)
      .filter(([, schema]) => declaresBindings(schema))
      .map(([key]) => key)
    // The heuristic must see the usual sections, or it proves nothing.
    expect(bindingSections).toEqual(
      expect.arrayContaining([
        'kv_namespaces',
        'durable_objects',
        'queues',
        'ai',
        'stream',
        'worker_loaders',
        'unsafe_hello_world',
        'logfwdr',
      ]),
    )
    expect(bindingSections.filter((key) => !registrySections.has(key) && key !== 'unsafe')).toEqual(
      [],
    )
    // Sections keyed by `name`, and vars, are binding sections the heuristic cannot see.
    for (const key of ['vars', 'send_email', 'ratelimits']) expect(registrySections).toContain(key)
  })

  test('every key wrangler knows is either mapped or explained, never "unknown"', () => {
    const keys = new Set([...Object.keys(topLevel), ...Object.keys(environment)])
    expect(keys.size).toBeGreaterThan(70)
    const unknown = [...keys].filter((key) => {
      try {
        return readWranglerConfig(tempConfig({ [key]: {} })).warnings.some((w) =>
          w.includes('unknown wrangler config key'),
        )
      } catch {
        return false // a section of the wrong shape: known, and checked
      }
    })
    expect(unknown).toEqual([])
  })

  test('stream, worker_loaders, unsafe_hello_world and logfwdr import as wrangler sends them, with no "unknown binding type"', () => {
    const config = {
      name: 'w',
      compatibility_date: '2025-06-01',
      stream: { binding: 'VIDEOS' },
      worker_loaders: [{ binding: 'LOADER' }],
      unsafe_hello_world: [{ binding: 'HELLO', enable_timer: true }],
      logfwdr: { bindings: [{ name: 'LOGS', destination: 'dest' }] },
    }
    const file = tempConfig(config)
    const ours = readWranglerConfig(file)
    expect(ours.version.bindings).toEqual([
      { name: 'HELLO', type: 'unsafe_hello_world', enable_timer: true },
      { name: 'LOADER', type: 'worker_loader' },
      { name: 'LOGS', type: 'logfwdr', destination: 'dest' },
      { name: 'VIDEOS', type: 'stream' },
    ])
    const { warnings } = validateVersionConfig(ours.version, {
      now: new Date('2026-01-01T00:00:00Z'),
    })
    expect(warnings).toEqual([])
    const theirs =
      unstable_convertConfigBindingsToStartWorkerBindings(
        unstable_readConfig({ config: file }, { hideWarnings: true }),
      ) ?? {}
    for (const binding of ours.version.bindings!) {
      if (binding.type !== 'logfwdr')
        expect((theirs as Record<string, { type: string }>)[binding.name]?.type).toBe(binding.type)
    }
    expect(renderEnvTypes(ours.version.bindings)).toContain(
      '  HELLO: HelloWorldBinding;\n  LOADER: WorkerLoader;\n  LOGS: unknown;\n  VIDEOS: StreamBinding;\n',
    )
  })
})

describe('the registry against Miniflare and the emulator', () => {
  test('every Miniflare option the registry names exists in Miniflare', () => {
    const core = [
      'bindings',
      'wasmBindings',
      'textBlobBindings',
      'dataBlobBindings',
      'serviceBindings',
    ]
    const options = new Set([
      ...core,
      ...Object.values(PLUGINS).flatMap((plugin) =>
        Object.keys((plugin.options as { shape?: object }).shape ?? {}),
      ),
    ])
    const named = Object.values(BINDING_KINDS).flatMap((k) => (k.miniflare ? [k.miniflare] : []))
    expect(named.filter((option) => !options.has(option))).toEqual([])
  })

  // The emulator keeps its own table on purpose (it stands in for Cloudflare); the two must still agree.
  test('the emulator maps each kind it runs to the Miniflare option the registry names', async () => {
    const body = {
      main_module: 'index.js',
      modules: [
        { name: 'index.js', content_type: 'application/javascript+module', content_base64: '' },
      ],
    }
    const fields = {
      text: 't',
      json: 1,
      namespace_id: 'n',
      bucket_name: 'b',
      database_id: 'd',
      class_name: 'C',
      service: 's',
      queue_name: 'q',
    }
    const base = Object.keys(await miniflareOptionsFor(body as never))
    const mapped: string[] = []
    for (const [type, kind] of Object.entries(BINDING_KINDS)) {
      const options = await miniflareOptionsFor({
        ...body,
        bindings: [{ type, name: 'B', ...fields }],
      } as never)
      const added = Object.keys(options).filter((key) => !base.includes(key))
      if (added.length === 0) continue
      mapped.push(type)
      expect([type, added]).toEqual([type, [kind.miniflare]])
    }
    expect(mapped).toEqual(
      expect.arrayContaining([
        'plain_text',
        'json',
        'kv_namespace',
        'r2_bucket',
        'd1',
        'durable_object_namespace',
        'service',
        'queue',
        'version_metadata',
        'secret_text',
      ]),
    )
  })
})
