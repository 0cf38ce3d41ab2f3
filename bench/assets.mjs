#!/usr/bin/env node
/**
 * Static assets upload, side by side with wrangler, against the local emulator (127.0.0.1 only).
 *
 * A directory of --files small files (default 10,000), 90% of which the emulator already holds
 * (seeded before every run, so every run uploads the same 10%; the fixture is bench/assets-fixture.mjs,
 * shared with row 5 of bench/run.mjs). Each round runs, in alternating order:
 *
 *   (a) ours:     a fresh `node` process: readAssetsDirectory → uploadAssets → Create Version with the
 *                 completion JWT (src bundled once by esbuild into node_modules/.cache, deps external);
 *   (b) wrangler: a fresh `wrangler versions upload --no-bundle index.js --assets <dir>` process.
 *
 * Both run under /usr/bin/time, which reports the peak RSS of the process tree (wrangler's bin starts a
 * second node process; the larger one counts). "Above baseline" subtracts the peak RSS of the same
 * program doing nothing: our runner importing its code and exiting, and `wrangler --version`.
 * Then ours is run alone at several directory sizes to show whether memory grows with the file count.
 *
 * Usage: node bench/assets.mjs [--files 10000] [--rounds 3] [--scaling 2000,10000,20000]
 */
import {
  assetsMark,
  assetsSince,
  makeSite as makeFiles,
  seed as seedEmulator,
} from './assets-fixture.mjs'
import { wranglerEnv as sharedWranglerEnv } from './wrangler-env.mjs'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { build } from 'esbuild'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const WRANGLER = join(REPO, 'node_modules/wrangler/bin/wrangler.js')
const CACHE = join(REPO, 'node_modules/.cache/bench-assets')
const WORKER = 'export default { fetch(request, env) { return env.ASSETS.fetch(request) } }\n'

const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    scaling: { type: 'string', default: '2000,10000,20000' },
  },
})
const FILES = Number(args.files)
const ROUNDS = Number(args.rounds)
const SCALING = args.scaling.split(',').filter(Boolean).map(Number)

// Our code, bundled once (the package's dist has no assets entry yet); dependencies stay in node_modules.
// The runner's bundle holds only what a build would load for the upload, not the emulator.
await mkdir(CACHE, { recursive: true })
const bundle = (contents, outfile) =>
  build({
    stdin: { contents, resolveDir: REPO, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  })
await bundle(
  `export { readAssetsDirectory } from './src/assets/manifest.ts'
export { uploadAssets } from './src/api/assets.ts'
export { createVersion } from './src/api/create-version.ts'`,
  join(CACHE, 'lib.mjs'),
)
await bundle(`export { startEmulator } from './src/emulator/index.ts'`, join(CACHE, 'emulator.mjs'))
const RUNNER = join(CACHE, 'runner.mjs')
await writeFile(
  RUNNER,
  `const [dir, baseUrl, apiToken, accountId, worker, mode] = process.argv.slice(2)
const lib = await import(${JSON.stringify(pathToFileURL(join(CACHE, 'lib.mjs')).href)})
if (mode !== 'noop') {
  // The Paid plan's limit, as a Paid user sets \`assets.maxFiles\`: the scaling run goes to 100,000 files.
  const manifest = await lib.readAssetsDirectory(dir, { maxFiles: 100_000 })
  const credentials = { apiToken }
  const result = await lib.uploadAssets({ baseUrl, credentials, accountId, scriptName: worker, manifest })
  await lib.createVersion({ baseUrl, credentials, accountId, worker, body: {
    main_module: 'index.js',
    modules: [{ name: 'index.js', content_type: 'application/javascript+module', content_base64: Buffer.from(${JSON.stringify(WORKER)}).toString('base64') }],
    compatibility_date: '2025-01-01',
    bindings: [{ type: 'assets', name: 'ASSETS' }],
    assets: { jwt: result.jwt, config: {} },
  } })
  console.log(JSON.stringify({ uploaded: result.uploadedFiles, present: result.presentFiles }))
}
`,
)
const lib = await import(pathToFileURL(join(CACHE, 'emulator.mjs')).href)

const work = await mkdtemp(join(tmpdir(), 'bench-assets-'))
const home = join(work, 'home')
await mkdir(home)
const emulator = await lib.startEmulator({ preview: false })

try {
  // The emulator, like the API, only creates versions of Workers that exist; the runner calls Create
  // Version directly (not the plugin's first-deploy step) and wrangler does not create them either.
  for (const worker of ['bench-ours', 'bench-wrangler', 'bench-scaling']) await createWorker(worker)
  const main = await makeSite(join(work, `site-${FILES}`), FILES)
  const baseOurs = await timed(process.execPath, [
    RUNNER,
    main.dir,
    emulator.url,
    emulator.token,
    emulator.accountId,
    'noop',
    'noop',
  ])
  const baseWrangler = await timed(process.execPath, [WRANGLER, '--version'], {
    cwd: work,
    env: wranglerEnv(),
  })

  const results = { ours: [], wrangler: [] }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['ours', 'wrangler'] : ['wrangler', 'ours']
    for (const side of order) {
      const worker = `bench-${side}`
      seed(main)
      const versionsBefore = emulator.versions(worker).length
      const mark = assetsMark(emulator)
      const run =
        side === 'ours'
          ? await timed(process.execPath, [
              RUNNER,
              main.dir,
              emulator.url,
              emulator.token,
              emulator.accountId,
              worker,
            ])
          : await timed(
              process.execPath,
              [
                WRANGLER,
                'versions',
                'upload',
                '--no-bundle',
                'index.js',
                '--name',
                worker,
                '--compatibility-date',
                '2025-01-01',
                '--assets',
                main.dir,
              ],
              { cwd: main.workerDir, env: wranglerEnv() },
            )
      const sent = assetsSince(emulator, mark).files
      if (sent !== main.toUpload || emulator.versions(worker).length !== versionsBefore + 1) {
        throw new Error(
          `${side}: expected ${main.toUpload} files sent and one new version, got ${sent} files and ${emulator.versions(worker).length - versionsBefore} versions`,
        )
      }
      results[side].push(run)
      process.stderr.write(
        `round ${round + 1} ${side}: ${run.wallMs} ms, peak ${mb(run.peakKb)} MB\n`,
      )
    }
  }

  const scaling = []
  for (const count of SCALING) {
    const site = count === FILES ? main : await makeSite(join(work, `site-${count}`), count)
    seed(site)
    const run = await timed(process.execPath, [
      RUNNER,
      site.dir,
      emulator.url,
      emulator.token,
      emulator.accountId,
      'bench-scaling',
    ])
    scaling.push({ count, toUpload: site.toUpload, run })
  }

  const med = (list, key) => median(list.map((r) => r[key]))
  const lines = [
    `${FILES.toLocaleString('en-US')} files (${main.toUpload.toLocaleString('en-US')} to upload, ${(FILES - main.toUpload).toLocaleString('en-US')} already held), ${ROUNDS} rounds, alternating order; emulator on 127.0.0.1, preview off`,
    `                                   wall ms (median, min–max)   peak RSS MB (median)   above baseline MB`,
    row('(a) ours: node runner', results.ours, baseOurs),
    row('(b) wrangler versions upload', results.wrangler, baseWrangler),
    `baselines: our runner doing nothing ${mb(baseOurs.peakKb)} MB, \`wrangler --version\` ${mb(baseWrangler.peakKb)} MB`,
    `ratio wall b/a (medians): ${(med(results.wrangler, 'wallMs') / med(results.ours, 'wallMs')).toFixed(2)}×`,
    '',
    'ours alone, 90% already held, by directory size:',
    ...scaling.map(
      (s) =>
        `  ${s.count.toLocaleString('en-US').padStart(7)} files (${s.toUpload.toLocaleString('en-US')} sent): ${String(s.run.wallMs).padStart(5)} ms, peak ${mb(s.run.peakKb)} MB, above baseline ${mb(s.run.peakKb - baseOurs.peakKb)} MB`,
    ),
  ]
  console.log(lines.join('\n'))
} finally {
  await emulator.close()
  await rm(work, { recursive: true, force: true })
}

function row(label, runs, base) {
  const walls = runs.map((r) => r.wallMs)
  const peak = median(runs.map((r) => r.peakKb))
  return `${label.padEnd(34)} ${String(median(walls)).padStart(6)} (${Math.min(...walls)}–${Math.max(...walls)})${' '.repeat(14)}${mb(peak).padStart(6)}${' '.repeat(17)}${mb(peak - base.peakKb).padStart(6)}`
}

/** The shared fixture (bench/assets-fixture.mjs), plus a directory next to it with the Worker wrangler uploads. */
async function makeSite(dir, count) {
  const site = await makeFiles(dir, count)
  const workerDir = join(dir, '..', `${dir.split('/').pop()}-worker`)
  await mkdir(workerDir, { recursive: true })
  await writeFile(join(workerDir, 'index.js'), WORKER)
  return { ...site, workerDir }
}

/** Resets the emulator to holding exactly the site's 90%. */
function seed(site) {
  seedEmulator(emulator, site)
}

async function createWorker(name) {
  const response = await fetch(`${emulator.url}/accounts/${emulator.accountId}/workers/workers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  })
  if (!response.ok) throw new Error(`creating Worker ${name}: HTTP ${response.status}`)
}

function wranglerEnv() {
  return sharedWranglerEnv(emulator, home)
}

/** Runs a command under /usr/bin/time: wall time measured here, peak RSS (KB) of the process tree from time. */
function timed(command, argv, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now()
    execFile(
      '/usr/bin/time',
      ['-f', '@@peak %M', command, ...argv],
      { maxBuffer: 64 * 1024 * 1024, ...options },
      (error, stdout, stderr) => {
        const wallMs = Math.round(performance.now() - started)
        if (error)
          return reject(
            new Error(`${argv.slice(0, 3).join(' ')} failed:\n${stdout}\n${stderr.slice(-4000)}`),
          )
        const peak = /@@peak (\d+)/.exec(stderr)
        if (!peak) return reject(new Error(`no peak RSS in: ${stderr.slice(-2000)}`))
        resolvePromise({ wallMs, peakKb: Number(peak[1]) })
      },
    )
  })
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2)
}

function mb(kb) {
  return (kb / 1024).toFixed(1)
}
