/**
 * Workers for Platforms against the emulator, cross-checked with the real `wrangler deploy
 * --dispatch-namespace` (pinned dev dependency, 4.164): one esbuild build, uploaded by the plugin
 * (`dispatchNamespace`) and by wrangler (the same built file, `no_bundle`), sends the same upload:
 * path, query, metadata and parts, apart from the documented differences below. A dispatcher Worker
 * deployed by the plugin then reaches the user Worker through its `dispatch_namespace` binding, and
 * that binding is the one wrangler sends for the same `dispatch_namespaces` config. The options a
 * namespace cannot take are refused before any request.
 *
 * Documented differences (README, "Workers for Platforms"):
 * - the plugin also reads the namespace (`GET …/dispatch/namespaces/{ns}`) beside the user Worker,
 *   so that a missing namespace is named before anything is uploaded; wrangler reads the user Worker only;
 * - the plugin sends `tags` in the upload's metadata when the `tags` option is set; wrangler 4.164
 *   sends none there;
 * - wrangler sends `compatibility_flags: []` and `bindings: []` when there are none; the plugin
 *   leaves the fields out;
 * - wrangler 4.164 adds `code_update_strategy: { mode: "deferred", max_delay: 300 }`, its default for
 *   how running Durable Objects pick up new code; the plugin sends none (as for its script upload);
 * - wrangler sends `assets.config: {}` when the assets have no settings; the plugin leaves it out.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as esbuild from 'esbuild'
import { beforeAll, describe, expect, it } from 'vitest'
import type { RecordedRequest } from '../../src/emulator/index.js'
import workersVersion from '../../src/esbuild.js'
import type { WorkersVersionOptions } from '../../src/index.js'
import { emulatorEnv, runCli } from '../helpers/deploy-command.js'
import { metadataOf, uploadOptions, useEmulator } from '../helpers/emulator.js'
import { tempDir } from '../helpers/fixture.js'
import { runWrangler } from '../helpers/wrangler.js'

const emulator = useEmulator()
const NAMESPACE = 'customers'
const DATE = '2025-01-01'

const USER = `export default {
  fetch(request) { return new Response('user Worker says hi to ' + new URL(request.url).pathname) },
}
`
const DISPATCHER = `export default {
  async fetch(request, env) {
    const name = new URL(request.url).searchParams.get('customer')
    return env.DISPATCHER.get(name).fetch(request)
  },
}
`

let dir = ''
beforeAll(async () => {
  dir = await tempDir('dispatch-namespace')
  await writeFile(join(dir, 'user.js'), USER)
  await writeFile(join(dir, 'dispatcher.js'), DISPATCHER)
  await mkdir(join(dir, 'public'))
  await writeFile(join(dir, 'public/hello.txt'), 'a static asset of the user Worker')
  const created = await api('POST', '/workers/dispatch/namespaces', { name: NAMESPACE })
  expect(created.status).toBe(200)
})

function api(method: string, path: string, body?: unknown) {
  const e = emulator()
  return fetch(`${e.url}/accounts/${e.accountId}${path}`, {
    method,
    headers: { authorization: `Bearer ${e.token}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
}

/** An esbuild build of `entry` in `dir` with the plugin; resolves with its output directory. */
async function build(entry: string, options: WorkersVersionOptions, outName = entry) {
  const outputDir = join(dir, `.workers-version-${outName}`)
  await esbuild.build({
    entryPoints: { [outName]: join(dir, `${entry}.js`) },
    bundle: true,
    format: 'esm',
    outdir: join(dir, 'dist'),
    logLevel: 'silent',
    plugins: [workersVersion({ outputDir, ...options })],
  })
  return outputDir
}

const ofWorker = (name: string) => (r: RecordedRequest) =>
  r.path.endsWith(`/dispatch/namespaces/${NAMESPACE}/scripts/${name}`)

/** Each part of a multipart request as sent: name, file name, content type, text. */
async function partsOf(request: RecordedRequest) {
  const raw = request.body as string
  const boundary = /^--([^\r\n]+)/.exec(raw)?.[1]
  const form = await new Response(raw, {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  }).formData()
  return Promise.all(
    [...form.entries()]
      .filter(([name]) => name !== 'metadata')
      .map(async ([name, value]) => {
        const file = value as File
        return { name, file: file.name, type: file.type, text: await file.text() }
      }),
  )
}

describe('a user Worker in a dispatch namespace', () => {
  it('is uploaded as wrangler deploy --dispatch-namespace uploads it, and a dispatcher deployed by the plugin serves it', async () => {
    const e = emulator()
    const tags = ['plan-free', 'customer:a']
    const pluginDir = await build(
      'user',
      {
        ...uploadOptions(e, 'by-plugin'),
        version: { compatibility_date: DATE },
        gitAnnotations: false,
        dispatchNamespace: NAMESPACE,
        tags,
        root: dir,
        assets: { directory: 'public' },
      },
      'user',
    )
    // wrangler uploads the very file esbuild wrote, unbundled: the parts are the same bytes.
    const config = join(dir, 'wrangler-user.json')
    await writeFile(
      config,
      JSON.stringify({
        name: 'by-wrangler',
        main: 'dist/user.js',
        no_bundle: true,
        compatibility_date: DATE,
        assets: { directory: 'public' },
      }),
    )
    const out = await runWrangler(
      e,
      ['deploy', '--config', config, '--dispatch-namespace', NAMESPACE],
      dir,
    )
    expect(out).toContain(NAMESPACE)

    const [byPlugin, byWrangler] = ['by-plugin', 'by-wrangler'].map((name) =>
      e.requests.filter(ofWorker(name)),
    )
    // Both read the user Worker first (absent: 10092), then send one PUT, answered 200; nothing goes to the versions API.
    expect(byPlugin!.map((r) => [r.method, r.status])).toEqual([
      ['GET', 404],
      ['PUT', 200],
    ])
    expect(byWrangler!.map((r) => [r.method, r.status])).toEqual([
      ['GET', 404],
      ['PUT', 200],
    ])
    expect(
      e.requests.some((r) => r.path.includes('/versions') || r.path.includes('/deployments')),
    ).toBe(false)
    // The static assets open their session in the namespace, with the same manifest.
    const sessions = ['by-plugin', 'by-wrangler'].map((name) =>
      e.requests.filter((r) =>
        r.path.endsWith(`/dispatch/namespaces/${NAMESPACE}/scripts/${name}/assets-upload-session`),
      ),
    )
    expect(sessions.map((list) => list.map((r) => [r.method, r.status]))).toEqual([
      [['POST', 200]],
      [['POST', 200]],
    ])
    expect(sessions[0]![0]!.body).toEqual(sessions[1]![0]!.body)
    const [pluginPut, wranglerPut] = [byPlugin![1]!, byWrangler![1]!]
    expect(pluginPut.query).toEqual({ excludeScript: 'true', bindings_inherit: 'strict' })
    expect(pluginPut.query).toEqual(wranglerPut.query)
    const pluginMetadata = await metadataOf(pluginPut)
    const {
      compatibility_flags: flags,
      bindings,
      code_update_strategy: strategy,
      ...wranglerMetadata
    } = await metadataOf(wranglerPut)
    expect([flags, bindings, strategy]).toEqual([[], [], { mode: 'deferred', max_delay: 300 }])
    const { tags: sentTags, ...rest } = pluginMetadata
    expect(sentTags).toEqual(tags)
    // Each upload carries its own session's completion token; wrangler adds an empty `config`.
    const {
      jwt,
      config: assetsConfig,
      ...wranglerAssets
    } = wranglerMetadata.assets as Record<string, unknown>
    expect([typeof jwt, assetsConfig]).toEqual(['string', {}])
    const { jwt: pluginJwt, ...pluginAssets } = rest.assets as Record<string, unknown>
    expect(typeof pluginJwt).toBe('string')
    expect({ ...rest, assets: pluginAssets }).toEqual({
      ...wranglerMetadata,
      assets: wranglerAssets,
    })
    expect(pluginMetadata.keep_bindings).toEqual(['secret_text', 'secret_key'])
    expect(await partsOf(pluginPut)).toEqual(await partsOf(wranglerPut))
    // The plugin's only other read: the namespace, so that a missing one is named before any upload.
    const namespaceReads = e.requests.filter((r) =>
      r.path.endsWith(`/dispatch/namespaces/${NAMESPACE}`),
    )
    expect(namespaceReads.map((r) => [r.method, r.status])).toEqual([['GET', 200]])

    // request.json holds the metadata as sent (written before the PUT), and result.json the version.
    const request = JSON.parse(await readFile(join(pluginDir, 'request.json'), 'utf8'))
    // The assets' completion token is a credential of the upload: not written to disk.
    expect(request.metadata.assets.jwt).not.toBe(pluginJwt)
    expect(request.metadata).toEqual({
      ...pluginMetadata,
      assets: { ...pluginAssets, jwt: request.metadata.assets.jwt },
    })
    expect(request.parts.map((p: { name: string }) => p.name)).toEqual(['user.js'])
    const result = JSON.parse(await readFile(join(pluginDir, 'result.json'), 'utf8'))
    expect(result.result).toMatchObject({
      worker: 'by-plugin',
      dispatch_namespace: NAMESPACE,
      tags,
    })

    // The dispatcher: a Worker of the account with the namespace's binding, from a wrangler config.
    const dispatcherConfig = join(dir, 'wrangler-dispatcher.json')
    await writeFile(
      dispatcherConfig,
      JSON.stringify({
        name: 'dispatcher',
        main: 'dispatcher.js',
        compatibility_date: DATE,
        dispatch_namespaces: [{ binding: 'DISPATCHER', namespace: NAMESPACE }],
      }),
    )
    let urls: unknown
    await build('dispatcher', {
      ...uploadOptions(e, 'dispatcher'),
      wrangler: dispatcherConfig,
      version: { compatibility_date: DATE },
      gitAnnotations: false,
      promote: true,
      createWorker: true,
      onVersion: (v) => {
        urls = v.urls
      },
    })
    const url = (urls as string[])[0]!
    const answer = await fetch(`${url}hello?customer=by-plugin`)
    expect(await answer.text()).toBe('user Worker says hi to /hello')
    // wrangler's upload of the same file serves too.
    const other = await fetch(`${url}there?customer=by-wrangler`)
    expect(await other.text()).toBe('user Worker says hi to /there')
  })

  it('sends the dispatcher binding wrangler sends for the same dispatch_namespaces config, outbound Worker and parameters included', async () => {
    const e = emulator()
    const binding = {
      binding: 'DISPATCHER',
      namespace: NAMESPACE,
      outbound: {
        service: 'outbound-filter',
        environment: 'production',
        parameters: ['customer_id', 'plan'],
      },
    }
    const config = join(dir, 'wrangler-outbound.json')
    const write = (name: string) =>
      writeFile(
        config,
        JSON.stringify({
          name,
          main: 'dispatcher.js',
          compatibility_date: DATE,
          workers_dev: false,
          dispatch_namespaces: [binding],
        }),
      )
    await write('outbound-by-wrangler')
    await runWrangler(e, ['deploy', '--config', config], dir).catch(() => undefined)
    const wranglerPut = e.requests.find(
      (r) => r.method === 'PUT' && r.path.endsWith('/workers/scripts/outbound-by-wrangler'),
    )
    expect(wranglerPut?.status).toBe(200)
    const wranglerBindings = (await metadataOf(wranglerPut!)).bindings

    await write('outbound-by-plugin')
    const outputDir = await build(
      'dispatcher',
      {
        ...uploadOptions(e, 'outbound-by-plugin'),
        upload: false,
        wrangler: config,
      },
      'outbound',
    )
    const request = JSON.parse(await readFile(join(outputDir, 'request.json'), 'utf8'))
    expect(request.bindings).toEqual(wranglerBindings)
    expect(request.bindings).toEqual([
      {
        name: 'DISPATCHER',
        type: 'dispatch_namespace',
        namespace: NAMESPACE,
        outbound: {
          worker: { service: 'outbound-filter', environment: 'production' },
          params: [{ name: 'customer_id' }, { name: 'plan' }],
        },
      },
    ])
  })
})

it('sends the Durable Object migrations the user Worker has not applied, from its tag', async () => {
  const e = emulator()
  await writeFile(
    join(dir, 'counter.js'),
    `import { DurableObject } from 'cloudflare:workers'
export class Counter extends DurableObject {}
export class Tally extends DurableObject {}
export default { fetch() { return new Response('counted') } }
`,
  )
  const steps = [
    { tag: 'v1', new_sqlite_classes: ['Counter'] },
    { tag: 'v2', new_sqlite_classes: ['Tally'] },
  ]
  const config = join(dir, 'wrangler-counter.json')
  const upload = async (migrations: unknown[]) => {
    await writeFile(
      config,
      JSON.stringify({
        name: 'counter',
        compatibility_date: DATE,
        durable_objects: { bindings: [{ name: 'COUNTER', class_name: 'Counter' }] },
        migrations,
      }),
    )
    await esbuild.build({
      entryPoints: [join(dir, 'counter.js')],
      bundle: true,
      format: 'esm',
      external: ['cloudflare:*'],
      outdir: join(dir, 'dist-counter'),
      logLevel: 'silent',
      plugins: [
        workersVersion({
          ...uploadOptions(e, 'counter'),
          outputDir: join(dir, '.workers-version-counter'),
          wrangler: config,
          version: { compatibility_date: DATE },
          gitAnnotations: false,
          dispatchNamespace: NAMESPACE,
        }),
      ],
    })
  }
  await upload(steps.slice(0, 1))
  await upload(steps)
  const puts = e.requests.filter((r) => r.method === 'PUT' && ofWorker('counter')(r))
  expect(puts.map((r) => r.status)).toEqual([200, 200])
  const [first, second] = await Promise.all(puts.map((r) => metadataOf(r)))
  expect(first!.migrations).toEqual({ new_tag: 'v1', steps: [{ new_sqlite_classes: ['Counter'] }] })
  expect(second!.migrations).toEqual({
    old_tag: 'v1',
    new_tag: 'v2',
    steps: [{ new_sqlite_classes: ['Tally'] }],
  })
})

it('a dry run writes the namespace upload as it would be sent, and sends nothing', async () => {
  const before = emulator().requests.length
  const outputDir = await build(
    'user',
    {
      ...uploadOptions(emulator(), 'dry'),
      upload: false,
      version: { compatibility_date: DATE },
      gitAnnotations: false,
      dispatchNamespace: NAMESPACE,
      tags: ['plan-pro'],
    },
    'dry',
  )
  const request = JSON.parse(await readFile(join(outputDir, 'request.json'), 'utf8'))
  expect(request).toEqual({
    metadata: {
      main_module: 'dry.js',
      compatibility_date: DATE,
      keep_bindings: ['secret_text', 'secret_key'],
      tags: ['plan-pro'],
    },
    parts: [
      { name: 'dry.js', content_type: 'application/javascript+module', bytes: expect.any(Number) },
    ],
  })
  expect(emulator().requests.length).toBe(before)
})

describe('what a dispatch namespace refuses, before any request', () => {
  async function refused(options: WorkersVersionOptions, message: RegExp) {
    const before = emulator().requests.length
    await expect(
      build('user', { ...uploadOptions(emulator(), 'refused'), ...options }, 'refused'),
    ).rejects.toThrow(message)
    expect(emulator().requests.length).toBe(before)
  }

  it('refuses promote and preview with a namespace, saying why', async () => {
    await refused(
      { dispatchNamespace: NAMESPACE, promote: true },
      /`promote: true` cannot be set with `dispatchNamespace`: a user Worker in a dispatch namespace has no versions, deployments or Previews/,
    )
    await refused(
      { dispatchNamespace: NAMESPACE, promote: 10 },
      /`promote: 10` cannot be set with `dispatchNamespace`/,
    )
    await refused(
      { dispatchNamespace: NAMESPACE, preview: 'pr-1' },
      /`preview: "pr-1"` cannot be set with `dispatchNamespace`/,
    )
  })

  it('refuses bad tags and tags without a namespace', async () => {
    await refused(
      { dispatchNamespace: NAMESPACE, tags: ['a,b', '', 'x&y'] },
      /Invalid `tags`:\n {2}- tags\[0\] "a,b" contains `,` or `&`[^\n]*\n {2}- tags\[1\] "" is empty\n {2}- tags\[2\] "x&y" contains/,
    )
    await refused(
      { dispatchNamespace: NAMESPACE, tags: ['1', '2', '3', '4', '5', '6', '7', '8', '9'] },
      /9 tags; Cloudflare allows at most 8 per user Worker/,
    )
    await refused({ tags: ['a'] }, /`tags` are a user Worker's .*set `dispatchNamespace`/)
    await refused(
      { dispatchNamespace: 'a/b' },
      /`dispatchNamespace` "a\/b" is not a namespace name/,
    )
  })

  it('names a namespace that does not exist, and uploads nothing', async () => {
    const e = emulator()
    await expect(
      build('user', { ...uploadOptions(e, 'lost'), dispatchNamespace: 'nowhere' }, 'lost'),
    ).rejects.toThrow(
      /Dispatch namespace "nowhere" does not exist in account \S+: nothing was uploaded/,
    )
    expect(e.requests.filter((r) => r.path.includes('/nowhere') && r.method !== 'GET')).toEqual([])
  })
})

describe('the deploy command with --dispatch-namespace', () => {
  it("bundles the config's main and uploads it as a user Worker; --promote with it is a usage error", async () => {
    const e = emulator()
    await writeFile(
      join(dir, 'wrangler.json'),
      JSON.stringify({ name: 'by-command', main: 'user.js', compatibility_date: DATE }),
    )
    const env = emulatorEnv(e)
    const refusedRun = await runCli(
      ['deploy', '--dispatch-namespace', NAMESPACE, '--promote'],
      dir,
      env,
    )
    expect([refusedRun.code, refusedRun.stderr]).toEqual([
      2,
      expect.stringContaining('--dispatch-namespace cannot be combined with --promote'),
    ])
    const run = await runCli(['deploy', '--dispatch-namespace', NAMESPACE], dir, env)
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout + run.stderr).toContain(
      `user Worker by-command in dispatch namespace ${NAMESPACE}`,
    )
    const put = e.requests.find((r) => r.method === 'PUT' && ofWorker('by-command')(r))
    expect(put?.status).toBe(200)
    expect((await partsOf(put!))[0]?.name).toBe('user.js')
  })
})
