import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { createBuilder } from 'vite'
import { afterEach, describe, expect, it, vi } from 'vitest'
import rollupPlugin from '../../src/rollup.js'
import vitePlugin from '../../src/vite.js'
import { EXPECTED_RESPONSE, TEST_ROOT, WORKER_FIXTURE, tempDir } from '../helpers/fixture.js'
import { posts, uploadOptions, useEmulator } from '../helpers/emulator.js'
import { rollupUpload } from '../helpers/rollup-upload.js'

const emulator = useEmulator({ autoCreateWorkers: true })
// Faults hit the Create Version request, not the look-ups and the Worker creation around it.
const VERSIONS = /\/workers\/workers\/[^/]+\/versions$/

function logged() {
  const log = vi.spyOn(console, 'log')
  const warn = vi.spyOn(console, 'warn')
  return () => [...log.mock.calls, ...warn.mock.calls].map((args) => args.join(' ')).join('\n')
}

afterEach(() => {
  vi.restoreAllMocks()
  emulator().clearFaults()
})

async function rollupBuild(worker: string, extra: Record<string, unknown> = {}) {
  const dir = await tempDir('upload')
  return { dir, outputDir: await rollupUpload(emulator(), dir, worker, extra, { sourcemap: true }) }
}

describe('creating the version', () => {
  it('uploads from Rollup with upload: true, prints and writes the result, and the version runs', async () => {
    const output = logged()
    const githubOutput = join(await tempDir('gh'), 'output')
    vi.stubEnv('GITHUB_OUTPUT', githubOutput)
    const onVersion = vi.fn()
    const { outputDir } = await rollupBuild('rollup-ok', { onVersion })
    vi.unstubAllEnvs()

    const [stored] = emulator().versions('rollup-ok')
    expect(emulator().versions('rollup-ok')).toHaveLength(1)
    const result = JSON.parse(await readFile(join(outputDir, 'result.json'), 'utf8'))
    expect(result).toMatchObject({
      account_id: emulator().accountId,
      worker: 'rollup-ok',
      result: { id: stored!.id, number: 1 },
    })
    expect(onVersion).toHaveBeenCalledWith(expect.objectContaining({ id: stored!.id }))
    const text = output()
    expect(text).toContain(`version id: ${stored!.id}`)
    expect(text).toContain(`preview URL: ${stored!.urls[0]}`)
    expect(text).toMatch(/startup time: \d+ ms/)
    expect(await readFile(githubOutput, 'utf8')).toBe(
      `version-id=${stored!.id}\nversion-number=1\npreview-url=${stored!.urls[0]}\n`,
    )
    // The upload is exactly request.json, plus nothing: same modules, same fields.
    const request = JSON.parse(await readFile(join(outputDir, 'request.json'), 'utf8'))
    expect(stored!.request).toEqual(request)
    const response = await fetch(stored!.urls[0]!)
    expect(await response.json()).toEqual(EXPECTED_RESPONSE)
  })

  it('uploads from `vite build --mode deploy`, and not in another mode', async () => {
    for (const mode of ['production', 'deploy']) {
      const dir = await tempDir('vite-deploy')
      const builder = await createBuilder(
        {
          root: WORKER_FIXTURE,
          configFile: false,
          logLevel: 'silent',
          mode,
          build: { ssr: 'src/index.js', outDir: join(dir, 'dist') },
          plugins: [
            vitePlugin({
              outputDir: join(dir, 'out'),
              ...uploadOptions(emulator(), 'vite-mode'),
              upload: undefined,
            }),
          ],
        },
        null,
      )
      await builder.buildApp()
    }
    expect(posts(emulator(), 'vite-mode')).toHaveLength(1)
  })

  it('makes exactly one POST in a multi-environment Vite app build', async () => {
    const dir = await tempDir('vite-multi')
    const builder = await createBuilder({
      root: WORKER_FIXTURE,
      configFile: false,
      logLevel: 'silent',
      mode: 'deploy',
      builder: {},
      environments: {
        client: {
          build: {
            outDir: join(dir, 'client'),
            rollupOptions: { input: join(TEST_ROOT, 'fixtures/vite-app/client.js') },
          },
        },
        ssr: { build: { outDir: join(dir, 'worker'), rollupOptions: { input: 'src/index.js' } } },
      },
      plugins: [
        vitePlugin({
          outputDir: join(dir, 'out'),
          ...uploadOptions(emulator(), 'vite-multi'),
          upload: undefined,
        }),
      ],
    })
    await builder.buildApp()
    expect(posts(emulator(), 'vite-multi')).toHaveLength(1)
    expect(emulator().versions('vite-multi')).toHaveLength(1)
  })
})

describe('network faults', () => {
  it('honours Retry-After on 429, then succeeds', async () => {
    emulator().injectFaults({
      kind: 'status',
      status: 429,
      retryAfter: 1,
      match: { method: 'POST', path: VERSIONS },
    })
    const output = logged()
    const started = Date.now()
    await rollupBuild('f-429')
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
    expect(posts(emulator(), 'f-429')).toHaveLength(2)
    expect(emulator().versions('f-429')).toHaveLength(1)
    expect(output()).toMatch(/succeeded after 2 attempts \(the last failure: HTTP 429/)
  })

  it('retries 503 twice, then succeeds with one version', async () => {
    emulator().injectFaults(
      { kind: 'status', status: 503, match: { method: 'POST', path: VERSIONS } },
      { kind: 'status', status: 503, match: { method: 'POST', path: VERSIONS } },
    )
    await rollupBuild('f-503')
    expect(posts(emulator(), 'f-503')).toHaveLength(3)
    expect(emulator().versions('f-503')).toHaveLength(1)
  })

  it('finds the version when the response was lost after it was stored: exactly one exists', async () => {
    emulator().injectFaults({ kind: 'lose-response', match: { method: 'POST', path: VERSIONS } })
    const output = logged()
    const { outputDir } = await rollupBuild('f-lost')
    expect(emulator().versions('f-lost')).toHaveLength(1)
    expect(posts(emulator(), 'f-lost')).toHaveLength(1)
    const result = JSON.parse(await readFile(join(outputDir, 'result.json'), 'utf8'))
    expect(result.result.id).toBe(emulator().versions('f-lost')[0]!.id)
    expect(output()).toMatch(/recovered/i)
  })

  it('gives up on a persistent 500 after the configured attempts and fails the build, keeping request.json', async () => {
    const fault = {
      kind: 'status',
      status: 500,
      match: { method: 'POST', path: VERSIONS },
    } as const
    emulator().injectFaults(fault, fault, fault, fault)
    let outputDir = ''
    const failing = tempDir('f-500').then(async (dir) => {
      outputDir = join(dir, 'out')
      const bundle = await rollup({
        input: join(WORKER_FIXTURE, 'src/index.js'),
        logLevel: 'silent',
        plugins: [rollupPlugin({ outputDir, ...uploadOptions(emulator(), 'f-500') } as never)],
      })
      try {
        await bundle.write({ dir: join(dir, 'dist'), format: 'es' })
      } finally {
        await bundle.close()
      }
    })
    await expect(failing).rejects.toThrow(/after 3 attempts/)
    expect(posts(emulator(), 'f-500')).toHaveLength(3)
    expect(emulator().versions('f-500')).toHaveLength(0)
    expect(JSON.parse(await readFile(join(outputDir, 'request.json'), 'utf8')).main_module).toBe(
      'index.js',
    )
  })

  it('names the binding a 400 points at', async () => {
    emulator().injectFaults({
      kind: 'status',
      status: 400,
      match: { method: 'POST', path: VERSIONS },
      body: {
        success: false,
        errors: [
          {
            code: 10021,
            message: 'KV namespace not found',
            source: { pointer: '/bindings/1/namespace_id' },
          },
        ],
        messages: [],
        result: null,
      },
    })
    const bindings = [
      { type: 'plain_text', name: 'GREETING', text: 'hi' },
      { type: 'kv_namespace', name: 'CACHE', namespace_id: 'abc' },
    ]
    await expect(
      rollupBuild('f-400', {
        version: {
          compatibility_date: '2025-01-01',
          compatibility_flags: ['nodejs_compat'],
          bindings,
        },
      }),
    ).rejects.toThrow(
      /KV namespace not found \[code 10021\][\s\S]*binding "CACHE" \(kv_namespace\), field namespace_id/,
    )
    expect(posts(emulator(), 'f-400')).toHaveLength(1)
  })

  it('explains an invalid token', async () => {
    await expect(rollupBuild('f-auth', { apiToken: 'not-the-token' })).rejects.toThrow(
      /\[code 10000\][\s\S]*CLOUDFLARE_API_TOKEN/,
    )
  })

  it('times out on a server that never answers and fails the build', async () => {
    emulator().injectFaults(
      { kind: 'slow', delayMs: 1e9, match: { method: 'POST', path: VERSIONS } },
      { kind: 'slow', delayMs: 1e9, match: { method: 'POST', path: VERSIONS } },
    )
    const started = Date.now()
    await expect(
      rollupBuild('f-hang', {
        network: {
          timeouts: { headersMs: 1000, deadlineMs: 3000 },
          retries: { attempts: 2, baseDelayMs: 10 },
        },
      }),
    ).rejects.toThrow(/time|deadline/i)
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})

describe('checked before the build does any work', () => {
  it('reports a missing credential with the options and variables (the account id is looked up from it)', async () => {
    vi.stubEnv('CLOUDFLARE_API_TOKEN', '')
    vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', '')
    const plugin = rollupPlugin({ worker: 'w', upload: true })
    const transform = vi.fn()
    await expect(
      rollup({
        input: join(WORKER_FIXTURE, 'src/index.js'),
        plugins: [plugin, { name: 'spy', transform }],
      }),
    ).rejects.toThrow(
      /missing:\n {2}- a credential: set the `apiToken` option or CLOUDFLARE_API_TOKEN/,
    )
    expect(transform).not.toHaveBeenCalled()
    vi.unstubAllEnvs()
  })

  it('refuses a plain-http API URL that is not loopback', async () => {
    const plugin = rollupPlugin({
      worker: 'w',
      upload: true,
      apiToken: 't',
      accountId: 'a',
      apiBaseUrl: 'http://api.example.com/client/v4',
    })
    await expect(
      rollup({ input: join(WORKER_FIXTURE, 'src/index.js'), plugins: [plugin] }),
    ).rejects.toThrow(/https/)
  })
})
