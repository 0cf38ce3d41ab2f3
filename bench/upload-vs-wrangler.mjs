#!/usr/bin/env node
/**
 * Time to a created Worker version, side by side, against the local emulator (127.0.0.1 only):
 *
 *   (a) plugin:  `vite build --mode deploy` with unplugin-workers-version/vite, in-process
 *                (createBuilder + buildApp): bundle, body, request.json, POST /workers/workers/:w/versions.
 *   (b) wrangler: the same Vite SSR build without the plugin (wasm/html/bin left as external imports and
 *                copied next to the output), then `wrangler versions upload --no-bundle` as a child process
 *                (CLI start-up, module collection, services + settings look-ups, multipart POST).
 *
 * Both run against an already-imported Vite in this process, so (b) pays for a process start that (a) does not.
 * Unless --skip-cli, the same pair is also timed as users run it, each command a fresh process:
 *   (a') `vite build --mode deploy` (CLI, config with the plugin)
 *   (b') `vite build` (CLI, no plugin) + copy + `wrangler versions upload --no-bundle`
 *
 * Usage: npm run build && node bench/upload-vs-wrangler.mjs [--runs 5] [--warmup 1] [--skip-cli] [--verbose]
 */
import { wranglerEnv } from './wrangler-env.mjs'
import { execFile } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { createBuilder } from 'vite'
import { startEmulator } from 'unplugin-workers-version/emulator'
import workersVersion from 'unplugin-workers-version/vite'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const FIXTURE = join(REPO, 'test/fixtures/worker')
const ENTRY = 'src/index.js'
/** Imports the fixture makes that a plain Vite build cannot bundle: they become modules of their own. */
const NON_JS = ['add.wasm', 'page.html', 'blob.bin']
const WRANGLER = join(REPO, 'node_modules/wrangler/bin/wrangler.js')
const VITE = join(REPO, 'node_modules/vite/bin/vite.js')
const PLUGIN_ENTRY = join(REPO, 'dist/vite.js')
const COMPAT_DATE = '2025-01-01'
const COMPAT_FLAGS = ['nodejs_compat']
const WORKERS = {
  plugin: 'bench-plugin',
  wrangler: 'bench-wrangler',
  pluginCli: 'bench-plugin-cli',
  wranglerCli: 'bench-wrangler-cli',
}
const EXTERNAL = [/\.(wasm|html|bin)$/, /^cloudflare:/]

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    'skip-cli': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
})
const RUNS = positive(args.runs, 'runs')
const WARMUP = Number(args.warmup)
if (!Number.isInteger(WARMUP) || WARMUP < 0)
  throw new Error('--warmup must be a non-negative integer')

function positive(text, name) {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--${name} must be a positive integer, got ${text}`)
  return n
}

const work = await mkdtemp(join(tmpdir(), 'bench-upload-'))
const home = join(work, 'home')
await mkdir(home)
// Preview off: starting workerd would add the same cost to both sides and only add noise.
const emulator = await startEmulator({ preview: false, autoCreateWorkers: true })

/** Silences console.log/info while `fn` runs (the plugin's report), unless --verbose. */
async function quietly(fn) {
  if (args.verbose) return fn()
  const saved = [console.log, console.info]
  console.log = console.info = () => {}
  try {
    return await fn()
  } finally {
    ;[console.log, console.info] = saved
  }
}

async function pluginRun(i) {
  const dir = join(work, `plugin-${i}`)
  const started = performance.now()
  await quietly(async () => {
    const builder = await createBuilder(
      {
        root: FIXTURE,
        configFile: false,
        logLevel: 'silent',
        mode: 'deploy',
        cacheDir: join(dir, 'vite-cache'),
        build: { ssr: ENTRY, outDir: join(dir, 'dist'), emptyOutDir: true },
        plugins: [
          workersVersion({
            worker: WORKERS.plugin,
            apiBaseUrl: emulator.url,
            apiToken: emulator.token,
            accountId: emulator.accountId,
            outputDir: join(dir, 'out'),
            version: { compatibility_date: COMPAT_DATE, compatibility_flags: COMPAT_FLAGS },
          }),
        ],
      },
      null,
    )
    await builder.buildApp()
  })
  return { total: performance.now() - started }
}

async function wranglerRun(i) {
  const dir = join(work, `wrangler-${i}`)
  const outDir = join(dir, 'dist')
  const started = performance.now()
  const builder = await createBuilder(
    {
      root: FIXTURE,
      configFile: false,
      logLevel: 'silent',
      mode: 'production',
      cacheDir: join(dir, 'vite-cache'),
      build: { ssr: ENTRY, outDir, emptyOutDir: true, rollupOptions: { external: EXTERNAL } },
    },
    null,
  )
  await builder.buildApp()
  return wranglerUpload(dir, outDir, WORKERS.wrangler, started)
}

/** Copies the non-JS imports next to the Vite output and runs `wrangler versions upload` on it. */
async function wranglerUpload(dir, outDir, worker, started) {
  await Promise.all(NON_JS.map((file) => copyFile(join(FIXTURE, 'src', file), join(outDir, file))))
  // Default no-bundle rules attach wasm/html/bin; the lazy chunk needs an ESModule rule.
  const config = join(dir, 'wrangler.jsonc')
  await writeFile(
    config,
    JSON.stringify({ no_bundle: true, rules: [{ type: 'ESModule', globs: ['**/*.js'] }] }),
  )
  const built = performance.now()
  const argv = [
    WRANGLER,
    'versions',
    'upload',
    join(outDir, 'index.js'),
    '--config',
    config,
    '--no-bundle',
    '--name',
    worker,
    '--compatibility-date',
    COMPAT_DATE,
    ...COMPAT_FLAGS.flatMap((f) => ['--compatibility-flags', f]),
  ]
  const env = wranglerEnv(emulator, home)
  const output = await run(argv, dir, env)
  const ended = performance.now()
  if (args.verbose) process.stdout.write(output)
  return { total: ended - started, build: built - started, wrangler: ended - built, output }
}

function run(
  argv,
  cwd,
  env = { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: home, CI: 'true' },
) {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      argv,
      { cwd, env, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new Error(
              `${argv.slice(0, 3).join(' ')} failed (${error.code}):\n${stdout}\n${stderr}`,
            ),
          )
        else resolvePromise(stdout)
      },
    )
  })
}

/** A Vite config file for the CLI runs; the plugin is imported from dist by absolute URL. */
async function viteConfigFile(dir, withPlugin) {
  const file = join(dir, 'vite.config.mjs')
  const build = withPlugin
    ? `{ ssr: ${JSON.stringify(ENTRY)}, outDir: ${JSON.stringify(join(dir, 'dist'))}, emptyOutDir: true }`
    : `{ ssr: ${JSON.stringify(ENTRY)}, outDir: ${JSON.stringify(join(dir, 'dist'))}, emptyOutDir: true, rollupOptions: { external: [${EXTERNAL.map(String).join(', ')}] } }`
  const plugin = `workersVersion(${JSON.stringify({
    worker: WORKERS.pluginCli,
    apiBaseUrl: emulator.url,
    apiToken: emulator.token,
    accountId: emulator.accountId,
    outputDir: join(dir, 'out'),
    version: { compatibility_date: COMPAT_DATE, compatibility_flags: COMPAT_FLAGS },
  })})`
  await mkdir(dir, { recursive: true })
  await writeFile(
    file,
    [
      withPlugin
        ? `import workersVersion from ${JSON.stringify(pathToFileURL(PLUGIN_ENTRY).href)}`
        : '',
      `export default { root: ${JSON.stringify(FIXTURE)}, logLevel: 'silent', cacheDir: ${JSON.stringify(join(dir, 'vite-cache'))},`,
      `  build: ${build}, plugins: [${withPlugin ? plugin : ''}] }`,
    ].join('\n'),
  )
  return file
}

async function pluginCliRun(i) {
  const dir = join(work, `plugin-cli-${i}`)
  const config = await viteConfigFile(dir, true)
  const started = performance.now()
  await run([VITE, 'build', '--config', config, '--mode', 'deploy'], dir)
  return { total: performance.now() - started }
}

async function wranglerCliRun(i) {
  const dir = join(work, `wrangler-cli-${i}`)
  const config = await viteConfigFile(dir, false)
  const started = performance.now()
  await run([VITE, 'build', '--config', config], dir)
  return wranglerUpload(dir, join(dir, 'dist'), WORKERS.wranglerCli, started)
}

const SIDES = {
  plugin: { run: pluginRun, worker: WORKERS.plugin },
  wrangler: { run: wranglerRun, worker: WORKERS.wrangler },
  pluginCli: { run: pluginCliRun, worker: WORKERS.pluginCli },
  wranglerCli: { run: wranglerCliRun, worker: WORKERS.wranglerCli },
}
const PAIRS = args['skip-cli']
  ? [['plugin', 'wrangler']]
  : [
      ['plugin', 'wrangler'],
      ['pluginCli', 'wranglerCli'],
    ]

/** One measured run of a side: checks that exactly one new version exists, counts the requests it made. */
async function measure(side, i) {
  const { run, worker } = SIDES[side]
  const versionsBefore = emulator.versions(worker).length
  const requestsBefore = emulator.requests.length
  const result = await run(i)
  const made = emulator.requests.slice(requestsBefore)
  const created = emulator.versions(worker).length - versionsBefore
  if (created !== 1) {
    const log = made.map((r) => `${r.method} ${r.path} → ${r.status}`).join('\n  ')
    throw new Error(
      `${side} run ${i} created ${created} versions of ${worker}, expected 1. Requests:\n  ${log}`,
    )
  }
  const newest = emulator.versions(worker)[0]
  if (result.output !== undefined && !result.output.includes(newest.id))
    throw new Error(`wrangler did not report version ${newest.id}`)
  const calls = made.map(
    (r) => `${r.method} ${r.path.replace(/^\/client\/v4\/accounts\/[^/]+/, '')}`,
  )
  return {
    ...result,
    requests: made.length,
    calls,
    modules: newest.modules
      .map((m) => `${m.name.replace(/-[\w-]{8}(?=\.\w+$)/, '-[hash]')} ${m.content_type}`)
      .sort(),
  }
}

const results = Object.fromEntries(Object.keys(SIDES).map((side) => [side, []]))
let cliStartup
try {
  for (const pair of PAIRS) {
    for (let i = 0; i < WARMUP; i++)
      for (const side of pair) await measure(side, `${side}-warmup-${i}`)
    for (let i = 0; i < RUNS; i++) {
      for (const side of i % 2 === 0 ? pair : [...pair].reverse()) {
        const r = await measure(side, i)
        results[side].push(r)
        const extra =
          r.wrangler === undefined
            ? ''
            : ` (vite build ${r.build.toFixed(0)} ms + wrangler ${r.wrangler.toFixed(0)} ms)`
        console.log(
          `run ${i + 1}/${RUNS} ${side.padEnd(11)} ${r.total.toFixed(0).padStart(6)} ms, ${r.requests} requests${extra}`,
        )
      }
    }
  }
  // What part of the wrangler step is only the CLI starting: `wrangler --version`, median of 3.
  const startups = []
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    await run([WRANGLER, '--version'], work)
    startups.push(performance.now() - started)
  }
  cliStartup = stats(startups).median
  report()
} finally {
  await emulator.close()
  await rm(work, { recursive: true, force: true })
}

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { median, min: sorted[0], max: sorted[sorted.length - 1] }
}

function report() {
  const fmt = (n) => n.toFixed(0).padStart(7)
  const row = (label, values, reqs = '') => {
    const s = stats(values)
    return `${label.padEnd(53)}${fmt(s.median)}${fmt(s.min)}${fmt(s.max)}   ${reqs}`
  }
  const totals = (side) => results[side].map((r) => r.total)
  const requests = (side) => [...new Set(results[side].map((r) => r.requests))].join('/')
  const ratio = (b, a) => (stats(totals(b)).median / stats(totals(a)).median).toFixed(2)
  console.log('')
  console.log(
    `${RUNS} runs per side (+${WARMUP} warm-up), alternating order; node ${process.version}; emulator on 127.0.0.1, preview off`,
  )
  console.log(
    `${'ms'.padEnd(53)}${'median'.padStart(7)}${'min'.padStart(7)}${'max'.padStart(7)}   HTTP requests/run`,
  )
  console.log(
    row('(a) plugin, in-process vite build --mode deploy', totals('plugin'), requests('plugin')),
  )
  console.log(
    row(
      '(b) in-process vite build + wrangler versions upload',
      totals('wrangler'),
      requests('wrangler'),
    ),
  )
  console.log(
    row(
      '    of which vite build + copying 3 files',
      results.wrangler.map((r) => r.build),
    ),
  )
  console.log(
    row(
      '    of which wrangler versions upload (process)',
      results.wrangler.map((r) => r.wrangler),
    ),
  )
  console.log(`ratio b/a (medians): ${ratio('wrangler', 'plugin')}×`)
  if (results.pluginCli.length > 0) {
    console.log(
      row(
        "(a') plugin: `vite build --mode deploy` CLI",
        totals('pluginCli'),
        requests('pluginCli'),
      ),
    )
    console.log(
      row(
        "(b') `vite build` CLI + `wrangler versions upload`",
        totals('wranglerCli'),
        requests('wranglerCli'),
      ),
    )
    console.log(
      row(
        '    of which vite build CLI + copying 3 files',
        results.wranglerCli.map((r) => r.build),
      ),
    )
    console.log(
      row(
        '    of which wrangler versions upload (process)',
        results.wranglerCli.map((r) => r.wrangler),
      ),
    )
    console.log(`ratio b'/a' (medians): ${ratio('wranglerCli', 'pluginCli')}×`)
  }
  console.log(
    `\`wrangler --version\` alone (CLI start-up, median of 3): ${cliStartup.toFixed(0)} ms`,
  )
  console.log('')
  console.log(`(a) requests: ${[...new Set(results.plugin.flatMap((r) => r.calls))].join(', ')}`)
  console.log(`(b) requests: ${[...new Set(results.wrangler.flatMap((r) => r.calls))].join(', ')}`)
  console.log(`(a) modules: ${results.plugin[0].modules.join(', ')}`)
  console.log(`(b) modules: ${results.wrangler[0].modules.join(', ')}`)
  console.log('')
  console.log(
    '(a)  Vite config + SSR build, the plugin turning the output into modules, request.json, the POST and result.json,',
  )
  console.log('     in this process with Vite and the plugin already imported and warm.')
  console.log(
    '(b)  the same in-process Vite build without the plugin (wasm/html/bin external), copying those 3 files next to',
  )
  console.log(
    '     the output, then a fresh `node wrangler.js versions upload --no-bundle` process: CLI start-up, module',
  )
  console.log('     collection, GET services, GET settings, multipart POST.')
  console.log(
    "(a') (b') the same as users type them: every command a fresh node process (Vite CLI start-up and config",
  )
  console.log('     loading included on both sides).')
  console.log('Every run created exactly one version in the emulator (checked after each run).')
}
