import { execFileSync } from 'node:child_process'
import { cp, readFile } from 'node:fs/promises'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { REDACTION } from '../../src/core/redact.js'
import rollupPlugin from '../../src/rollup.js'
import { TEST_ROOT, WORKER_FIXTURE, tempDir } from '../helpers/fixture.js'
import { uploadOptions, useEmulator } from '../helpers/emulator.js'
import { deployViteApp } from '../helpers/vite-app.js'

// request.json after an upload is the request: the bytes the API received, with the value of
// each secret shown as the one placeholder. A recording proxy in front of the emulator keeps the
// bytes as they arrived (the emulator itself keeps the parsed body).
// Plain http: the recording proxy in front of the emulator forwards with node:http.
const emulator = useEmulator({ tls: false })
const SECRET = 'kept-secret-value-3f9a"quoted"\\backslash'
const COMMIT_SUBJECT = 'Ship the request body as written'

afterEach(() => {
  vi.unstubAllEnvs()
})

/** Create Version bodies by Worker, exactly as they were sent. */
const received = new Map<string, string[]>()
let proxy: Server
let proxyUrl: string

beforeAll(async () => {
  const target = new URL(emulator().url)
  proxy = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.on('end', () => {
      const body = Buffer.concat(chunks)
      const worker = /\/workers\/workers\/([^/]+)\/versions$/.exec(incoming.url ?? '')?.[1]
      if (incoming.method === 'POST' && worker)
        received.set(worker, [...(received.get(worker) ?? []), body.toString('utf8')])
      const forwarded = request(
        {
          host: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: target.host },
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(outgoing)
        },
      )
      forwarded.on('error', () => outgoing.destroy())
      forwarded.end(body)
    })
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}${target.pathname}`
})

afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve))
})

/** Makes `dir` a git work tree of its own with one commit, so the version takes its tag and message from it. */
function commitAll(dir: string): string {
  const git = (...args: string[]) =>
    execFileSync('git', [
      '-C',
      dir,
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@example.com',
      ...args,
    ]).toString()
  git('init', '-q')
  git('add', '.')
  git('commit', '-q', '-m', COMMIT_SUBJECT)
  return git('rev-parse', '--short', 'HEAD').trim()
}

/**
 * request.json against the last body the API received for `worker`, with the secret's JSON text
 * and the assets' completion token shown as the placeholder.
 */
async function expectRequestJsonIsTheRequest(
  requestFile: string,
  worker: string,
): Promise<unknown> {
  const sent = received.get(worker)?.at(-1)
  expect(sent, `a Create Version request for ${worker}`).toBeDefined()
  const written = await readFile(requestFile, 'utf8')
  const jwt = (JSON.parse(sent!) as { assets?: { jwt?: string } }).assets?.jwt
  let shown = sent!.replaceAll(JSON.stringify(SECRET).slice(1, -1), REDACTION)
  if (jwt !== undefined) {
    expect(written).not.toContain(jwt)
    shown = shown.replace(JSON.stringify(jwt), JSON.stringify(REDACTION))
  }
  expect(written).toBe(shown)
  return JSON.parse(written)
}

describe('request.json is the body the API received', () => {
  it('for a Rollup Worker: a secret set from the environment, then kept, with git annotations', async () => {
    const root = await tempDir('request-rollup')
    await cp(WORKER_FIXTURE, root, { recursive: true })
    const sha = commitAll(root)
    const build = async (extra: Record<string, unknown>) => {
      const bundle = await rollup({
        input: join(root, 'src/index.js'),
        plugins: [
          rollupPlugin({
            ...uploadOptions(emulator(), 'request-rollup', { root, apiBaseUrl: proxyUrl }),
            ...extra,
          } as never),
        ],
      })
      await bundle.write({ dir: join(root, 'dist'), format: 'es', sourcemap: true })
      await bundle.close()
    }
    vi.stubEnv('API_KEY', SECRET)
    await build({ secrets: { fromEnv: ['API_KEY'] } })
    const first = (await expectRequestJsonIsTheRequest(
      join(root, '.workers-version/request.json'),
      'request-rollup',
    )) as { bindings: unknown[] }
    expect(first.bindings).toEqual([{ type: 'secret_text', name: 'API_KEY', text: REDACTION }])

    await build({})
    const second = (await expectRequestJsonIsTheRequest(
      join(root, '.workers-version/request.json'),
      'request-rollup',
    )) as {
      bindings: unknown[]
      annotations: Record<string, string>
    }
    expect(second.bindings).toEqual([{ type: 'inherit', name: 'API_KEY' }])
    expect(second.annotations).toEqual({
      'workers/tag': expect.stringMatching(new RegExp(`^${sha}`)),
      'workers/message': COMMIT_SUBJECT,
    })
    expect(emulator().versions('request-rollup')[0]!.annotations).toMatchObject(second.annotations)
  })

  it('for a Vite full-stack app with @cloudflare/vite-plugin: assets token, kept secret and git annotations', async () => {
    const root = await tempDir('request-fullstack')
    await cp(join(TEST_ROOT, 'fixtures/vite-fullstack'), root, {
      recursive: true,
      filter: (source) => !source.includes('/dist'),
    })
    const sha = commitAll(root)
    const deploy = (extra: Record<string, unknown>) =>
      deployViteApp(
        root,
        { auxiliaryWorkers: [{ configPath: join(root, 'aux/wrangler.jsonc') }] },
        {
          ...uploadOptions(emulator(), 'unused', {
            upload: undefined,
            worker: undefined,
            version: undefined,
            apiBaseUrl: proxyUrl,
          }),
          ...extra,
        },
      )
    vi.stubEnv('API_KEY', SECRET)
    await deploy({ secrets: { fromEnv: ['API_KEY'] } })
    await expectRequestJsonIsTheRequest(join(root, '.workers-version/request.json'), 'fullstack')
    await expectRequestJsonIsTheRequest(
      join(root, '.workers-version/workers/fullstack-aux/request.json'),
      'fullstack-aux',
    )

    await deploy({})
    const main = (await expectRequestJsonIsTheRequest(
      join(root, '.workers-version/request.json'),
      'fullstack',
    )) as {
      bindings: Array<{ type: string; name: string }>
      annotations: Record<string, string>
      assets: { jwt?: string }
    }
    expect(main.bindings).toContainEqual({ type: 'inherit', name: 'API_KEY' })
    // The token was sent, and the file shows the placeholder in its place.
    expect(main.assets.jwt).toBe(REDACTION)
    expect(
      (JSON.parse(received.get('fullstack')!.at(-1)!) as { assets: { jwt: string } }).assets.jwt,
    ).toMatch(/\S{20,}/)
    expect(main.annotations).toEqual({
      'workers/tag': expect.stringMatching(new RegExp(`^${sha}`)),
      'workers/message': COMMIT_SUBJECT,
    })
    const aux = (await expectRequestJsonIsTheRequest(
      join(root, '.workers-version/workers/fullstack-aux/request.json'),
      'fullstack-aux',
    )) as {
      annotations: Record<string, string>
    }
    expect(aux.annotations['workers/message']).toBe(COMMIT_SUBJECT)
  })
})
