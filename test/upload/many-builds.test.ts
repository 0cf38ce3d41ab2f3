/**
 * Many builds in one process, at once, as a platform service runs them: 20 esbuild builds with the
 * plugin (from dist, as a service imports it), each its own Worker, code, annotations and output
 * directory, against one emulator. Each Worker gets exactly one version, serving its own code;
 * every line the plugin prints says whose it is and holds one Worker's output only; Node warns of
 * no listener leak (one interruption watch per upload in flight). Peak RSS is printed, not asserted.
 *
 * The emulator accepts one API token, so the builds share it; each still passes it as its own option.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { build } from 'esbuild'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest'
import workersVersion from '../../src/esbuild.js'
import type { Emulator } from '../../src/emulator/index.js'
import { startEmulator, uploadOptions } from '../helpers/emulator.js'
import { tempDir } from '../helpers/fixture.js'

const COUNT = 20
const names = Array.from({ length: COUNT }, (_, i) => `many-${String(i).padStart(2, '0')}`)
let emu: Emulator
beforeAll(async () => {
  // Versions stay running after their upload, so each serves its request without a second start.
  emu = await startEmulator({ preview: true, autoCreateWorkers: true, maxRunning: COUNT })
})
afterAll(async () => {
  await emu?.close()
})

let lines: string[] = []
const warnings: string[] = []
const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`)
beforeEach(() => {
  lines = []
  // Each call is one write: its lines are split here, so a line mixed from two calls would show.
  const capture = (...args: unknown[]) => void lines.push(...args.map(String).join(' ').split('\n'))
  vi.spyOn(console, 'log').mockImplementation(capture)
  vi.spyOn(console, 'warn').mockImplementation(capture)
  process.on('warning', onWarning)
})
afterEach(() => {
  vi.restoreAllMocks()
  process.off('warning', onWarning)
})

it('20 esbuild builds in one process upload 20 Workers once each, each serving its own code, with lines that say whose they are', async () => {
  const root = await tempDir('many-builds')
  const dirs = await Promise.all(
    names.map(async (name) => {
      const dir = join(root, name)
      await mkdir(dir, { recursive: true })
      await writeFile(
        join(dir, 'index.js'),
        `export default { fetch() { return new Response(${JSON.stringify(`I am ${name}`)}) } }\n`,
      )
      return dir
    }),
  )

  let peak = process.memoryUsage().rss
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
  const started = performance.now()
  try {
    await Promise.all(
      names.map((name, i) =>
        build({
          absWorkingDir: dirs[i],
          entryPoints: ['index.js'],
          bundle: true,
          format: 'esm',
          outdir: 'dist',
          logLevel: 'silent',
          plugins: [
            workersVersion({
              ...uploadOptions(emu, name, {
                wrangler: false,
                gitAnnotations: false,
                outputDir: '.workers-version',
              }),
              apiToken: emu.token,
              version: {
                compatibility_date: '2025-01-01',
                annotations: { 'workers/tag': `t${i}`, 'workers/message': `build of ${name}` },
              },
            } as never),
          ],
        }),
      ),
    )
  } finally {
    clearInterval(sampler)
  }
  const seconds = (performance.now() - started) / 1000
  peak = Math.max(peak, process.memoryUsage().rss)
  process.stdout.write(
    `many-builds: ${COUNT} builds in ${seconds.toFixed(1)} s, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB\n`,
  )

  // Exactly one version per Worker, carrying that build's own annotations.
  for (const [i, name] of names.entries()) {
    const versions = emu.versions(name)
    expect(versions, name).toHaveLength(1)
    expect(versions[0]!.annotations).toMatchObject({
      'workers/tag': `t${i}`,
      'workers/message': `build of ${name}`,
    })
  }
  // Each Worker serves its own code.
  const served = await Promise.all(
    names.map(async (name) => {
      const url = emu.versions(name)[0]!.urls[0]!
      return (await fetch(url)).text()
    }),
  )
  expect(served).toEqual(names.map((name) => `I am ${name}`))

  // Every line holds one Worker's output: a line prefixed `[name]` mentions no other Worker, and a
  // line without a prefix (printed while its upload was alone) names at most one.
  const printed = lines.map(stripVTControlCharacters).filter((line) => line.trim() !== '')
  const mentioned = (line: string) => names.filter((name) => line.includes(name))
  const prefixed = printed.filter((line) => /^\[many-\d\d\] /.test(line))
  for (const line of printed) {
    const owner = /^\[(many-\d\d)\] /.exec(line)?.[1]
    const others = mentioned(line).filter((name) => name !== owner)
    expect(others.length, line).toBeLessThanOrEqual(owner ? 0 : 1)
  }
  // The uploads overlapped (20 at once), so lines named their Worker; each Worker's success line is its own.
  expect(prefixed.length).toBeGreaterThan(0)
  for (const name of names)
    expect(
      printed.filter((line) => line.includes(name) && /version .* created|✓/.test(line)).length,
      name,
    ).toBeGreaterThan(0)
  expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([])
}, 120_000)

it('uploads in flight at once share one listener per signal, and the last to end removes it', async () => {
  const { watchInterruption } = await import('../../src/deploy/interruption.js')
  const before = ['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s))
  const logger = { info: () => undefined, warn: () => undefined, silent: () => true }
  const watches = names.map((worker) =>
    watchInterruption({ outputDir: '/nonexistent', worker, accountId: () => 'a' }, logger),
  )
  expect(['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s))).toEqual(
    before.map((n) => n + 1),
  )
  for (const watch of watches) watch.close()
  watches[0]!.close()
  expect(['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s))).toEqual(before)
  expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([])
})

it('every upload that starts workerd says, on its own output, which miniflare runs it', async () => {
  const { startInWorkerd } = await import('../../src/version/preflight.js')
  const payload = {
    mainModule: 'index.js',
    modules: [
      {
        name: 'index.js',
        content_type: 'application/javascript+module' as const,
        contents: Buffer.from("export default { fetch: () => new Response('ok') }\n"),
      },
    ],
    config: { compatibility_date: '2025-01-01' },
  }
  const said = await Promise.all(
    ['first', 'second'].map(async (worker) => {
      const own: string[] = []
      const logger = {
        info: (l: string) => own.push(l),
        warn: (l: string) => own.push(l),
        silent: () => false,
      }
      await startInWorkerd(payload, worker, logger, { names: [], values: [] }, process.cwd())
      return own
        .map(stripVTControlCharacters)
        .filter((line) => line.includes('preflight runs workerd through'))
    }),
  )
  expect(said.map((lines) => lines.length)).toEqual([1, 1])
}, 60_000)
