/**
 * The plugin over HTTPS, as against the real API: the emulator serves TLS with a CA made for the
 * run, which this test process trusts as NODE_EXTRA_CA_CERTS would (the plugin verifies the
 * certificate as always). Through an HTTP CONNECT proxy named by HTTPS_PROXY, every call of a full
 * deploy (assets upload session and buckets, the script upload of a Durable Object migration,
 * Create Version, the deployment, the steps after it) goes through a tunnel; NO_PROXY bypasses it;
 * proxy credentials reach the proxy and nothing else.
 */
import { execFile } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { RecordedRequest } from '../../src/emulator/index.js'
import { uploadOptions, useEmulator } from '../helpers/emulator.js'
import { tempDir } from '../helpers/fixture.js'
import {
  consoleOutput,
  expectNoCredentials,
  proxyCredentials,
  useProxies,
} from '../helpers/proxy.js'
import { rollupUpload } from '../helpers/rollup-upload.js'

const credentials = proxyCredentials('tunn3l-pa55word-c4n4ry')
const emulator = useEmulator({ tls: true, preview: false, autoCreateWorkers: true })
const startProxy = useProxies()

const SOURCE = (build: number) => `import { DurableObject } from 'cloudflare:workers'
export class Counter extends DurableObject {
  async fetch() { return Response.json({ build: ${build} }) }
}
export default { fetch: (request, env) => env.COUNTER.get(env.COUNTER.idFromName('one')).fetch(request) }
`

/** A Worker with a Durable Object class, its first migration, and two static files. */
async function project(prefix: string): Promise<string> {
  const dir = await tempDir(prefix)
  await mkdir(join(dir, 'public'))
  await writeFile(join(dir, 'public/index.html'), `<h1>${prefix}</h1>`)
  await writeFile(join(dir, 'public/app.css'), `body { content: '${prefix}' }`)
  await writeFile(join(dir, 'index.js'), SOURCE(1))
  await writeFile(
    join(dir, 'wrangler.jsonc'),
    JSON.stringify({
      name: 'ignored',
      compatibility_date: '2025-01-01',
      durable_objects: { bindings: [{ name: 'COUNTER', class_name: 'Counter' }] },
      migrations: [{ tag: 'v1', new_sqlite_classes: ['Counter'] }],
    }),
  )
  return dir
}

function deploy(dir: string, worker: string): Promise<string> {
  return rollupUpload(
    emulator(),
    dir,
    worker,
    {
      wrangler: join(dir, 'wrangler.jsonc'),
      gitAnnotations: false,
      promote: true,
      assets: { directory: join(dir, 'public') },
    },
    { input: join(dir, 'index.js') },
  )
}

/** Two deploys: the first applies the migration through the script upload, the second (new code) goes through Create Version and a deployment. */
async function fullDeploy(
  worker: string,
): Promise<{ requests: RecordedRequest[]; outputDir: string }> {
  const from = emulator().requests.length
  const dir = await project(worker)
  await deploy(dir, worker)
  await writeFile(join(dir, 'index.js'), SOURCE(2))
  await writeFile(join(dir, 'public/app.css'), 'body { content: "2" }')
  const outputDir = await deploy(dir, worker)
  return { requests: emulator().requests.slice(from), outputDir }
}

/** What a full deploy sends, as `METHOD path` without the account prefix, each kind once. */
function kinds(requests: RecordedRequest[]): string[] {
  return [
    ...new Set(
      requests.map(
        (r) => `${r.method} ${r.path.replace(`/client/v4/accounts/${emulator().accountId}`, '')}`,
      ),
    ),
  ]
}

function expectFullDeploy(requests: RecordedRequest[], worker: string): void {
  const sent = kinds(requests)
  for (const call of [
    `POST /workers/scripts/${worker}/assets-upload-session`,
    'POST /workers/assets/upload',
    `PUT /workers/scripts/${worker}`,
    `POST /workers/workers/${worker}/versions`,
    `POST /workers/scripts/${worker}/deployments`,
    `PATCH /workers/scripts/${worker}/script-settings`,
  ]) {
    expect(sent).toContain(call)
  }
  // Reads of what does not exist yet (the Worker, its settings) answer 404; nothing else fails.
  expect(
    requests
      .filter((r) => r.status >= 300 && !(r.method === 'GET' && r.status === 404))
      .map((r) => `${r.status} ${r.method} ${r.path}`),
  ).toEqual([])
  expect(emulator().worker(worker)?.migration_tag).toBe('v1')
  const [latest, first] = emulator().versions(worker)
  expect(first).toBeDefined()
  expect(emulator().deployments(worker)[0]!.versions).toEqual([
    { version_id: latest!.id, percentage: 100 },
  ])
  expect(Object.keys(latest!.assetsManifest ?? {}).sort()).toEqual(['/app.css', '/index.html'])
}

/**
 * A deploy of `dir` by the built plugin in a Node process of its own, which trusts the emulator's
 * CA through NODE_EXTRA_CA_CERTS as a user would. Nothing else loads undici there: in this test
 * process the test set-up loads undici's index, which hides what the plugin's own modules lack.
 */
async function deployInChild(
  dir: string,
  worker: string,
  env: Record<string, string>,
): Promise<string> {
  const script = join(dir, 'deploy.mjs')
  const plugin = pathToFileURL(resolve(import.meta.dirname, '../../dist/rollup.js')).href
  await writeFile(
    script,
    `import { rollup } from 'rollup'
import plugin from ${JSON.stringify(plugin)}
const options = JSON.parse(process.argv[2])
const bundle = await rollup({ input: ${JSON.stringify(join(dir, 'index.js'))}, external: (id) => id.startsWith('cloudflare:'), logLevel: 'silent', plugins: [plugin(options)] })
try { await bundle.write({ dir: ${JSON.stringify(join(dir, 'dist'))}, format: 'es' }) } finally { await bundle.close() }
`,
  )
  const options = {
    ...uploadOptions(emulator(), worker),
    outputDir: join(dir, '.workers-version'),
    version: undefined,
    wrangler: join(dir, 'wrangler.jsonc'),
    gitAnnotations: false,
    promote: true,
    assets: { directory: join(dir, 'public') },
  }
  return new Promise((resolveOutput, reject) => {
    const childEnv = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      NODE_EXTRA_CA_CERTS: emulator().tls!.caFile,
      ...env,
    }
    execFile(
      process.execPath,
      [script, JSON.stringify(options)],
      { cwd: dir, env: childEnv },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${stdout}\n${stderr}`))
        else resolveOutput(`${stdout}\n${stderr}`)
      },
    )
  })
}

describe('HTTPS', () => {
  it('the emulator serves TLS and the plugin verifies it', () => {
    expect(emulator().url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/client\/v4$/)
  })

  it('through a CONNECT proxy (HTTPS_PROXY): every call of a full deploy goes through a tunnel to the emulator', async () => {
    const proxy = await startProxy({ variable: 'HTTPS_PROXY' })
    const { requests } = await fullDeploy('tunnelled')
    expectFullDeploy(requests, 'tunnelled')
    const { port } = new URL(emulator().origin)
    expect(proxy.calls.length).toBeGreaterThan(0)
    expect(proxy.calls.every((c) => c.line === `CONNECT 127.0.0.1:${port}`)).toBe(true)
    // Each request reached the emulator on a connection the proxy opened: none went around it.
    const tunnelPorts = new Set(proxy.tunnelPorts)
    expect(requests.filter((r) => !tunnelPorts.has(r.remotePort))).toEqual([])
  })

  it('through a CONNECT proxy with credentials, in a process of its own that trusts the CA through NODE_EXTRA_CA_CERTS: the script upload, assets, version and deployment all go through tunnels', async () => {
    const proxy = await startProxy({ requireAuthorization: credentials.authorization })
    const from = emulator().requests.length
    const dir = await project('child-tunnel')
    const env = { HTTPS_PROXY: credentials.url(proxy), NO_PROXY: '' }
    const first = await deployInChild(dir, 'child-tunnel', env)
    await writeFile(join(dir, 'index.js'), SOURCE(2))
    await writeFile(join(dir, 'public/app.css'), 'body { content: "2" }')
    const second = await deployInChild(dir, 'child-tunnel', env)
    const requests = emulator().requests.slice(from)
    expectFullDeploy(requests, 'child-tunnel')
    expect(proxy.calls.every((c) => c.authorization === credentials.authorization)).toBe(true)
    const tunnelPorts = new Set(proxy.tunnelPorts)
    expect(requests.filter((r) => !tunnelPorts.has(r.remotePort))).toEqual([])
    expectNoCredentials(first + second, credentials)
  })

  it('with proxy credentials, every tunnel carries them, the deploy succeeds, and no output or file shows them', async () => {
    const proxy = await startProxy({
      variable: 'HTTPS_PROXY',
      credentials,
      requireAuthorization: credentials.authorization,
    })
    const output = consoleOutput()
    const { requests, outputDir } = await fullDeploy('tunnelled-auth')
    expectFullDeploy(requests, 'tunnelled-auth')
    expect(proxy.calls.length).toBeGreaterThan(0)
    expect(proxy.calls.every((c) => c.authorization === credentials.authorization)).toBe(true)
    const files =
      (await readFile(join(outputDir, 'request.json'), 'utf8')) +
      (await readFile(join(outputDir, 'result.json'), 'utf8'))
    expectNoCredentials(output() + files, credentials)
  })

  it('a proxy that refuses the credentials (407) fails the build with an error that does not show them', async () => {
    const proxy = await startProxy({
      variable: 'HTTPS_PROXY',
      credentials,
      requireAuthorization: 'Basic something-else',
    })
    const output = consoleOutput()
    const dir = await project('refused-tunnel')
    const error = await deploy(dir, 'refused-tunnel').then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(Error)
    expect(String(error)).toMatch(/407/)
    expect(proxy.calls.length).toBeGreaterThan(0)
    expect(emulator().requests.some((r) => r.path.includes('refused-tunnel'))).toBe(false)
    const everything = [output(), String(error), inspect(error, { depth: Infinity })].join('\n')
    expectNoCredentials(everything, credentials)
  })

  it('through HTTPS_PROXY, a Worker Preview is made and deployed over tunnels too', async () => {
    const proxy = await startProxy({ variable: 'HTTPS_PROXY' })
    const from = emulator().requests.length
    await rollupUpload(emulator(), await tempDir('tunnel-preview'), 'tunnel-preview', {
      preview: 'through-a-tunnel',
      createWorker: true,
      gitAnnotations: false,
    })
    const [preview] = emulator().previews('tunnel-preview')
    expect(preview?.name).toBe('through-a-tunnel')
    expect(emulator().previewDeployments(preview!.id)).toHaveLength(1)
    const requests = emulator().requests.slice(from)
    expect(requests.some((r) => r.method === 'POST' && r.path.endsWith('/previews'))).toBe(true)
    const tunnelPorts = new Set(proxy.tunnelPorts)
    expect(requests.filter((r) => !tunnelPorts.has(r.remotePort))).toEqual([])
  })

  it('NO_PROXY=127.0.0.1 bypasses the proxy: the full deploy connects directly over TLS', async () => {
    const proxy = await startProxy({ variable: 'HTTPS_PROXY', noProxy: '127.0.0.1' })
    const { requests } = await fullDeploy('bypassing')
    expectFullDeploy(requests, 'bypassing')
    expect(proxy.calls).toEqual([])
  })
})
