// What the API would refuse only after receiving the whole body is refused before
// anything is sent: two modules named `_headers`, and a Worker over the 64 MiB limit.
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rollup, type Plugin } from 'rollup'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { validateBody } from '../../src/emulator/validate.js'
import rollupPlugin from '../../src/rollup.js'
import { posts, uploadOptions, useEmulator } from '../helpers/emulator.js'
import { readRequest, tempDir } from '../helpers/fixture.js'

const emulator = useEmulator({ preview: false, autoCreateWorkers: true })
const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
})
afterEach(() => {
  vi.restoreAllMocks()
})

const MIB = 1024 * 1024

/** A project with a one-line Worker; `files` are written relative to it. */
async function project(files: Record<string, string> = {}): Promise<string> {
  const dir = await tempDir('limits')
  dirs.push(dir)
  for (const [name, text] of Object.entries({
    'src/index.js': "export default { fetch: () => new Response('ok') }\n",
    ...files,
  })) {
    await mkdir(join(dir, name, '..'), { recursive: true })
    await writeFile(join(dir, name), text)
  }
  return dir
}

/** A bundler plugin that adds one file to the output, as a copy plugin would. */
function emits(fileName: string, source: string | Uint8Array): Plugin {
  return {
    name: 'emit',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName, source })
    },
  }
}

async function build(
  dir: string,
  options: Record<string, unknown>,
  extra: Plugin[],
): Promise<void> {
  const bundle = await rollup({
    input: join(dir, 'src/index.js'),
    logLevel: 'silent',
    plugins: [
      ...extra,
      rollupPlugin({ root: dir, outputDir: join(dir, '.workers-version'), ...options } as never),
    ],
  })
  try {
    await bundle.write({ dir: join(dir, 'dist/worker'), format: 'es' })
  } finally {
    await bundle.close()
  }
}

/** The error a build fails with (Rollup passes the plugin's error on, with its message). */
async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(outcome).toBeInstanceOf(Error)
  return outcome as Error
}

const DRY_RUN = { version: { compatibility_date: '2025-01-01' } }

describe('a module named like an assets configuration file', () => {
  it('a bundle `_headers` and an assets `_headers`: the dry run fails naming both sources', async () => {
    const dir = await project({
      'public/_headers': '/*\n  X-From: assets\n',
      'public/index.html': '<h1>hi</h1>',
    })
    const error = await failureOf(
      build(dir, { ...DRY_RUN, assets: { directory: 'public' } }, [
        emits('_headers', '/*\n  X-From: bundle\n'),
      ]),
    )
    expect(error.message).toMatch(
      /Two modules would be named "_headers": one from the bundle's output and one from the assets directory's public\/_headers/,
    )
    expect(error.message).toMatch(/rename or stop emitting the bundle's "_headers"/)
  })

  it('the same for `_redirects`, and an upload sends nothing', async () => {
    const emu = emulator()
    const dir = await project({
      'public/_redirects': '/old /new 301\n',
      'public/index.html': '<h1>hi</h1>',
    })
    const error = await failureOf(
      build(dir, { ...uploadOptions(emu, 'dup-redirects'), assets: { directory: 'public' } }, [
        emits('_redirects', '/a /b\n'),
      ]),
    )
    expect(error.message).toMatch(/Two modules would be named "_redirects"/)
    expect(posts(emu, 'dup-redirects')).toEqual([])
    expect(emu.requests.filter((r) => r.path.includes('assets-upload-session'))).toEqual([])
  })

  it('without a bundle file of that name the assets `_headers` travels as its module', async () => {
    const dir = await project({
      'public/_headers': '/*\n  X-From: assets\n',
      'public/index.html': '<h1>hi</h1>',
    })
    await build(dir, { ...DRY_RUN, assets: { directory: 'public' } }, [])
    const body = await readRequest(join(dir, '.workers-version'))
    expect(
      body.modules
        .filter((m) => m.name === '_headers')
        .map((m) => Buffer.from(m.content_base64, 'base64').toString()),
    ).toEqual(['/*\n  X-From: assets\n'])
  })
})

describe('the 64 MiB Worker limit', () => {
  const big = emits('data.bin', new Uint8Array(64 * MIB + 1))
  const rules = [{ test: '*.bin', type: 'application/octet-stream' }]

  it('an upload of a Worker just over (64 MiB + 1 of data and the entry) fails before any Create Version, saying what to do', async () => {
    const emu = emulator()
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    vi.spyOn(console, 'log').mockImplementation(() => undefined)
    const dir = await project()
    const error = await failureOf(build(dir, { ...uploadOptions(emu, 'too-large'), rules }, [big]))
    expect(error.message).toMatch(
      /The Worker is 67,108,9\d\d bytes \(67\.11 MB\), over the platform's 64 MiB \(67,108,864-byte\) limit, so the version was not sent/,
    )
    expect(error.message).toMatch(/move large data to KV, R2 or static assets/)
    expect(posts(emu, 'too-large')).toEqual([])
  })

  it('a dry run still writes request.json and warns that an upload would refuse it', async () => {
    const warnings: string[] = []
    vi.spyOn(console, 'warn').mockImplementation((line: string) => void warnings.push(line))
    vi.spyOn(console, 'log').mockImplementation(() => undefined)
    const dir = await project()
    await build(dir, { ...DRY_RUN, logLevel: 'info', rules }, [big])
    expect((await readRequest(join(dir, '.workers-version'))).modules.map((m) => m.name)).toContain(
      'data.bin',
    )
    expect(warnings.join('\n')).toMatch(
      /over the 64 MiB limit: an upload build refuses it before sending the version/,
    )
  })

  it('the emulator refuses modules over 64 MiB with 10027, as the API does, however large its body limit', () => {
    const module = (name: string, bytes: number) => ({
      name,
      content_type: 'application/octet-stream',
      content_base64: Buffer.alloc(bytes).toString('base64'),
    })
    const body = (extra: number) => ({
      main_module: 'index.js',
      compatibility_date: '2025-01-01',
      modules: [
        {
          name: 'index.js',
          content_type: 'application/javascript+module',
          content_base64: Buffer.from('export default {}').toString('base64'),
        },
        module('a.bin', 32 * MIB),
        module('b.bin', 32 * MIB - 17 + extra),
      ],
    })
    expect(validateBody(body(0)).errors).toEqual([])
    expect(validateBody(body(1)).errors).toEqual([
      expect.objectContaining({ code: 10027, message: expect.stringMatching(/Script too large/) }),
    ])
  })
})
