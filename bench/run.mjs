#!/usr/bin/env node
/**
 * `npm run bench`: performance as users measure it. Prints one markdown table and writes
 * it to bench/results.md. Every command is a fresh process timed from spawn until it has exited;
 * all rows are measured side by side in one run, in alternating rounds; medians and min–max.
 * Only the local emulator on 127.0.0.1 is ever contacted; it runs in a process of its own
 * (bench/emulator-process.mjs), as users run it. Build the package first (`npm run build`).
 *
 *   1. the playground Worker built by Vite, Rollup and esbuild, with the plugin (dry run) and without;
 *   2. `vite build --mode deploy` against `vite build` + `wrangler versions upload`, and the same
 *      deploy without the git annotations (the work directory is inside this repository's work tree);
 *   3. cold imports of the plugin's entries, of the bundlers and of bare node;
 *   4. request bodies of 1, 10 and 50 MB uploaded by the plugin: speed and memory of the upload phase;
 *   5. static assets: 10,000 small files, 90% already held by the emulator (re-seeded before every run),
 *      a Rollup build + upload with the plugin against `wrangler versions upload --assets`, each with
 *      peak RSS above the same command without assets. Growth with the file count: bench/assets.mjs.
 *
 *   node bench/run.mjs [--rounds 7] [--quick] [--out bench/results.md]
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import diagnostics from 'node:diagnostics_channel'
import { existsSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { cpus } from 'node:os'
import { clearInterval, setInterval } from 'node:timers'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { startEmulatorProcess } from './emulator-process.mjs'
import { wranglerEnv as sharedWranglerEnv } from './wrangler-env.mjs'
import { installPluginCopy } from './install-copy.mjs'

const SELF = fileURLToPath(import.meta.url)
const REPO = join(dirname(SELF), '..')
const require = createRequire(import.meta.url)
const bin = (pkg, path) => join(dirname(require.resolve(`${pkg}/package.json`)), path)
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined
// Every Worker gets versions from one case only, so checkVersions() can count them exactly.
const WORKERS = {
  vite: 'bench-vite',
  viteNoGit: 'bench-vite-no-git',
  wrangler: 'bench-wrangler',
  upload: 'bench-upload',
  assets: 'bench-assets',
  assetsBase: 'bench-assets-base',
  assetsWrangler: 'bench-assets-wrangler',
  assetsWranglerBase: 'bench-assets-wrangler-base',
}
const BODY_SIZES_MB = [1, 10, 50]
/** Passes of the short commands (rows 1 and 3) in every round. */
const LIGHT_PASSES = 3
const ASSET_FILES = 10_000
// Row 5's goal from the assets issue: peak RSS above the same command without assets.
const ASSETS_MEMORY_GOAL_MB = 100

if (process.argv[2] === '--upload-child') await uploadChild(JSON.parse(process.argv[3]))
else await main()

// ─── the parent ───────────────────────────────────────────────────────────────────────────────

async function main() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: join(REPO, 'bench/results.md') },
    },
  })
  const rounds = Number(values.rounds ?? (values.quick ? 3 : 7))
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error('--rounds must be a positive integer')
  if (!existsSync(join(REPO, 'dist/vite.js')))
    throw new Error('build the package first: npm run build')

  // autoCreateWorkers may not exist yet in this emulator; the Workers are also created through the API below.
  // In a process of its own (bench/emulator-process.mjs says why).
  const emulator = await startEmulatorProcess({
    preview: false,
    autoCreateWorkers: true,
    maxBodyBytes: 200 * 1000 * 1000,
  })
  // Inside the repository, so that the configs resolve `vite`, `rollup` and the package itself; inside
  // its git work tree too, as users' projects are, so a deploy runs git for its annotations.
  const work = await mkdtemp(join(REPO, 'bench/.work-'))
  try {
    for (const name of Object.values(WORKERS)) await createWorker(emulator, name)
    const { cases, ...fixture } = await prepare(work, emulator)
    const results = new Map(cases.map((c) => [c.id, []]))
    // The short commands (rows 1 and 3, a few hundred ms each) run LIGHT_PASSES times a round:
    // their differences are tens of ms on a machine whose runs vary as much, so they get more
    // samples, and each pass keeps a with-plugin run next to its without-plugin run.
    const light = cases.filter((c) => c.light)
    const heavy = cases.filter((c) => !c.light)
    let pass = 0
    for (let round = 0; round < rounds; round++) {
      process.stderr.write(`round ${round + 1}/${rounds}\n`)
      for (let i = 0; i < LIGHT_PASSES; i++, pass++) {
        for (const c of pass % 2 === 0 ? light : [...light].reverse())
          results.get(c.id).push(await c.run())
      }
      for (const c of round % 2 === 0 ? heavy : [...heavy].reverse())
        results.get(c.id).push(await c.run())
    }
    await checkVersions(emulator, rounds)
    const table = report(results, rounds, fixture)
    console.log(table)
    await writeFile(values.out, `${table}\n`)
    process.stderr.write(`written to ${relative(process.cwd(), values.out)}\n`)
  } finally {
    await emulator.close()
    await rm(work, { recursive: true, force: true })
  }
}

async function createWorker(emulator, name) {
  const response = await fetch(`${emulator.url}/accounts/${emulator.accountId}/workers/workers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  })
  // 409: already there (the emulator created it on its own).
  if (!response.ok && response.status !== 409)
    throw new Error(`creating Worker ${name}: HTTP ${response.status}`)
}

async function checkVersions(emulator, rounds) {
  const expected = {
    [WORKERS.vite]: rounds,
    [WORKERS.viteNoGit]: rounds,
    [WORKERS.wrangler]: rounds,
    [WORKERS.upload]: rounds * BODY_SIZES_MB.length,
    [WORKERS.assets]: rounds,
    [WORKERS.assetsBase]: rounds,
    [WORKERS.assetsWrangler]: rounds,
    [WORKERS.assetsWranglerBase]: rounds,
  }
  for (const [worker, count] of Object.entries(expected)) {
    const found = await emulator.versionCount(worker)
    if (found !== count)
      throw new Error(`${worker}: ${found} versions on the emulator, expected ${count}`)
  }
}

/** Writes the playground Worker, bare and plugin configs for each bundler, the large upload projects and the assets site. */
async function prepare(work, emulator) {
  const playground = join(REPO, 'playground')
  await mkdir(join(work, 'src'))
  for (const file of await readdir(join(playground, 'src')))
    await copyFile(join(playground, 'src', file), join(work, 'src', file))
  await copyFile(join(playground, 'shared.js'), join(work, 'shared.js'))
  await installPluginCopy(work)
  const home = join(work, 'home')
  await mkdir(home)

  // Without the plugin the .wasm and .txt imports stay external, as they would for wrangler.
  const external = `[/\\.wasm$/, /\\.txt$/]`
  const configs = {
    'vite.plugin.config.mjs': viteConfig(WORKERS.vite, 'vite-plugin', ''),
    // Row 2 again without the git annotations (the work directory is inside this repository's work tree).
    'vite.no-git.config.mjs': viteConfig(
      WORKERS.viteNoGit,
      'vite-no-git',
      ', gitAnnotations: false',
    ),
    'vite.bare.config.mjs': `export default { logLevel: 'warn', build: { ssr: 'src/index.js', outDir: 'dist/vite-bare', sourcemap: true, rollupOptions: { external: ${external} } } }
`,
    'rollup.plugin.config.mjs': `import workersVersion from 'unplugin-workers-version/rollup'
import { version } from './shared.js'
export default { input: 'src/index.js', output: { dir: 'dist/rollup-plugin', format: 'es', sourcemap: true }, plugins: [workersVersion({ worker: 'playground', version, outputDir: '.workers-version/rollup' })] }
`,
    'rollup.bare.config.mjs': `export default { input: 'src/index.js', external: ${external}, output: { dir: 'dist/rollup-bare', format: 'es', sourcemap: true } }
`,
    'esbuild.plugin.mjs': `import { build } from 'esbuild'
import workersVersion from 'unplugin-workers-version/esbuild'
import { version } from './shared.js'
await build({ entryPoints: ['src/index.js'], outdir: 'dist/esbuild-plugin', bundle: true, splitting: true, format: 'esm', sourcemap: true, logLevel: 'warning', plugins: [workersVersion({ worker: 'playground', version, outputDir: '.workers-version/esbuild' })] })
`,
    'esbuild.bare.mjs': `import { build } from 'esbuild'
await build({ entryPoints: ['src/index.js'], outdir: 'dist/esbuild-bare', bundle: true, splitting: true, format: 'esm', sourcemap: true, logLevel: 'warning', external: ['*.wasm', '*.txt'] })
`,
    // wrangler's default no-bundle rules attach .wasm and .txt; the lazy chunk needs an ESModule rule.
    // In a directory of its own: at the top of the work directory the plugin would find it too (it
    // reads a wrangler config when there is one) and rows 1 and 2 would time reading wrangler's settings.
    'wrangler/wrangler.json': JSON.stringify({
      no_bundle: true,
      rules: [{ type: 'ESModule', globs: ['**/*.js'] }],
    }),
    // Row 5: a one-file Worker with static assets, built by Rollup with the plugin uploading (credentials
    // from the CLOUDFLARE_* variables, as in vite-deploy), and the same without assets as the baseline.
    // The Worker has a directory of its own: with `no_bundle` and the `**/*.js` rule above, wrangler
    // attaches every .js file under the entry's directory as a module, so at the top of the work
    // directory it would also send the assets, node_modules and the other rows' projects.
    'assets-worker/index.js': `export default { fetch() { return new Response('static assets bench') } }
`,
    'assets.plugin.config.mjs': assetsConfig(
      WORKERS.assets,
      `{ directory: 'assets-site' }`,
      'assets',
    ),
    'assets.base.config.mjs': assetsConfig(WORKERS.assetsBase, 'false', 'assets-base'),
  }
  for (const [file, text] of Object.entries(configs)) {
    await mkdir(dirname(join(work, file)), { recursive: true })
    await writeFile(join(work, file), text)
  }

  const vite = bin('vite', 'bin/vite.js')
  const rollup = bin('rollup', 'dist/bin/rollup')
  const wrangler = bin('wrangler', 'bin/wrangler.js')
  const api = {
    CLOUDFLARE_API_BASE_URL: emulator.url,
    CLOUDFLARE_API_TOKEN: emulator.token,
    CLOUDFLARE_ACCOUNT_ID: emulator.accountId,
  }
  const wranglerEnv = sharedWranglerEnv(emulator, home)
  const node = (id, args, options = {}) => ({
    id,
    run: () => timed([process.execPath, ...args], { cwd: work, ...options }),
  })
  const short = (id, args) => ({ ...node(id, args), light: true })

  const cases = [
    short('vite-bare', [vite, 'build', '-c', 'vite.bare.config.mjs']),
    short('vite-plugin', [vite, 'build', '-c', 'vite.plugin.config.mjs']),
    short('rollup-bare', [rollup, '-c', 'rollup.bare.config.mjs', '--silent']),
    short('rollup-plugin', [rollup, '-c', 'rollup.plugin.config.mjs', '--silent']),
    short('esbuild-bare', ['esbuild.bare.mjs']),
    short('esbuild-plugin', ['esbuild.plugin.mjs']),
    node('vite-deploy', [vite, 'build', '--mode', 'deploy', '-c', 'vite.plugin.config.mjs'], {
      env: api,
    }),
    node(
      'vite-deploy-no-git',
      [vite, 'build', '--mode', 'deploy', '-c', 'vite.no-git.config.mjs'],
      { env: api },
    ),
    {
      // `vite build` then `wrangler versions upload` of its output: the two timed separately.
      id: 'vite-wrangler',
      run: async () => {
        const build = await timed(
          [
            process.execPath,
            vite,
            'build',
            '-c',
            'vite.bare.config.mjs',
            '--outDir',
            'dist/for-wrangler',
            '--emptyOutDir',
          ],
          { cwd: work },
        )
        for (const file of ['add.wasm', 'banner.txt'])
          await copyFile(join(work, 'src', file), join(work, 'dist/for-wrangler', file))
        const upload = await timed(
          [
            process.execPath,
            wrangler,
            'versions',
            'upload',
            'dist/for-wrangler/index.js',
            '--config',
            'wrangler/wrangler.json',
            '--no-bundle',
            '--name',
            WORKERS.wrangler,
            '--compatibility-date',
            '2025-06-01',
          ],
          { cwd: work, env: wranglerEnv, cleanEnv: true },
        )
        return {
          ms: build.ms + upload.ms,
          build: build.ms,
          wrangler: upload.ms,
          rssKb: Math.max(build.rssKb ?? 0, upload.rssKb ?? 0) || undefined,
        }
      },
    },
  ]
  const imports = [
    ['import-plugin-vite', 'unplugin-workers-version/vite'],
    ['import-plugin-rollup', 'unplugin-workers-version/rollup'],
    ['import-plugin-esbuild', 'unplugin-workers-version/esbuild'],
    ['import-vite', 'vite'],
    ['import-rollup', 'rollup'],
    ['import-esbuild', 'esbuild'],
  ]
  for (const [id, specifier] of imports)
    cases.push({
      id,
      light: true,
      run: () =>
        timed(
          [
            process.execPath,
            '--input-type=module',
            '-e',
            `await import(${JSON.stringify(specifier)})`,
          ],
          { cwd: REPO },
        ),
    })
  cases.push({
    id: 'node-empty',
    light: true,
    run: () => timed([process.execPath, '-e', ''], { cwd: REPO }),
  })

  for (const mb of BODY_SIZES_MB) {
    const project = join(work, `upload-${mb}mb`)
    await generateUploadProject(project, mb * 1e6)
    const job = {
      project,
      mb,
      emulator: { url: emulator.url, token: emulator.token, accountId: emulator.accountId },
      worker: WORKERS.upload,
    }
    cases.push({ id: `upload-${mb}`, run: () => uploadRun(job) })
  }

  // Row 5. The emulator is reset to hold 90% of the site right before each run with assets, so every
  // run uploads the same 10%; each run is checked to have sent exactly that (and the baselines nothing).
  const site = await emulator.makeSite(join(work, 'assets-site'), ASSET_FILES)
  const assetsCase = (id, worker, withAssets, argv, options) => ({
    id,
    run: async () => {
      if (withAssets) await emulator.seed()
      const versions = await emulator.versionCount(worker)
      const mark = await emulator.assetsMark()
      const result = await timed(argv, { cwd: work, ...options })
      const sent = await emulator.assetsSince(mark)
      const expected = withAssets
        ? { sessions: 1, files: site.toUpload }
        : { sessions: 0, files: 0 }
      const made = (await emulator.versionCount(worker)) - versions
      // The new version carries the upload's completion token exactly when the run had assets.
      const jwt = made === 1 && (await emulator.latestHasAssetsJwt(worker))
      if (
        sent.sessions !== expected.sessions ||
        sent.files !== expected.files ||
        made !== 1 ||
        jwt !== withAssets
      ) {
        throw new Error(
          `${id}: expected ${expected.sessions} assets session(s), ${expected.files} files sent and 1 version (assets.jwt: ${withAssets}); got ${sent.sessions}, ${sent.files}, ${made} (assets.jwt: ${jwt})`,
        )
      }
      return result
    },
  })
  const wranglerUpload = (worker, extra) => [
    process.execPath,
    wrangler,
    'versions',
    'upload',
    'assets-worker/index.js',
    '--config',
    'wrangler/wrangler.json',
    '--no-bundle',
    ...extra,
    '--name',
    worker,
    '--compatibility-date',
    '2025-06-01',
  ]
  cases.push(
    assetsCase(
      'assets-plugin',
      WORKERS.assets,
      true,
      [process.execPath, rollup, '-c', 'assets.plugin.config.mjs', '--silent'],
      { env: api },
    ),
    assetsCase(
      'assets-plugin-base',
      WORKERS.assetsBase,
      false,
      [process.execPath, rollup, '-c', 'assets.base.config.mjs', '--silent'],
      { env: api },
    ),
    assetsCase(
      'assets-wrangler',
      WORKERS.assetsWrangler,
      true,
      wranglerUpload(WORKERS.assetsWrangler, ['--assets', 'assets-site']),
      { env: wranglerEnv, cleanEnv: true },
    ),
    assetsCase(
      'assets-wrangler-base',
      WORKERS.assetsWranglerBase,
      false,
      wranglerUpload(WORKERS.assetsWranglerBase, []),
      { env: wranglerEnv, cleanEnv: true },
    ),
  )
  return { cases, assetFiles: site.count, assetsToUpload: site.toUpload }
}

/** Rows 1 and 2's Vite config: the playground Worker with the plugin, `extra` options appended. */
function viteConfig(worker, name, extra) {
  return `import workersVersion from 'unplugin-workers-version/vite'
import { version } from './shared.js'
export default { logLevel: 'warn', build: { ssr: 'src/index.js', outDir: 'dist/${name}', sourcemap: true }, plugins: [workersVersion({ worker: '${worker}', version${extra}, outputDir: '.workers-version/${name}' })] }
`
}

/** Row 5's Rollup config: the one-file Worker, uploaded by the plugin, with `assets` as given. */
function assetsConfig(worker, assets, name) {
  return `import workersVersion from 'unplugin-workers-version/rollup'
export default { input: 'assets-worker/index.js', output: { dir: 'dist/${name}', format: 'es' }, plugins: [workersVersion({ worker: '${worker}', upload: true, assets: ${assets}, outputDir: '.workers-version/${name}', version: { compatibility_date: '2025-06-01' } })] }
`
}

/** Runs a command, timed from spawn until the process has exited; peak RSS through /usr/bin/time when present. */
function timed(argv, { cwd, env = {}, cleanEnv = false }) {
  return new Promise((resolve, reject) => {
    const rssFile = join(cwd, `.rss-${process.hrtime.bigint()}`)
    const command = TIME ? [TIME, '-f', '%M', '-o', rssFile, ...argv] : argv
    const base = cleanEnv ? { PATH: process.env.PATH ?? '' } : process.env
    let output = ''
    const started = process.hrtime.bigint()
    const child = spawn(command[0], command.slice(1), {
      cwd,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('exit', async (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      let rssKb
      if (TIME) {
        rssKb =
          Number((await readFile(rssFile, 'utf8').catch(() => '')).trim().split('\n').pop()) ||
          undefined
        await rm(rssFile, { force: true })
      }
      if (code !== 0)
        reject(new Error(`${argv.slice(1, 4).join(' ')} exited with ${code}:\n${output}`))
      else resolve({ ms, rssKb, output })
    })
  })
}

// ─── request bodies (row 4) ───────────────────────────────────────────────────────────────────

/**
 * A Worker of about `bytes` of modules: an entry, a lazy chunk holding one large string (code), its
 * source map (which carries the code again in `sourcesContent`) and a wasm module (a valid header and
 * one custom section of random bytes), in the proportions 35 : ~35 : 30.
 */
async function generateUploadProject(project, bytes) {
  await mkdir(join(project, 'src'), { recursive: true })
  const codeBytes = Math.round(bytes * 0.35)
  const words = ['worker', 'version', 'module', 'upload', 'binding', 'stream', 'memory', 'request']
  let text = ''
  for (let seed = 7; text.length < codeBytes;) {
    seed = (seed * 1103515245 + 12345) >>> 0
    text += `${words[seed % words.length]} `
  }
  await writeFile(
    join(project, 'src/big.js'),
    `export const text = ${JSON.stringify(text.slice(0, codeBytes))}\n`,
  )
  await writeFile(join(project, 'src/data.wasm'), customSectionWasm(Math.round(bytes * 0.3)))
  await writeFile(
    join(project, 'src/index.js'),
    `import data from './data.wasm'\nexport default {\n  async fetch() {\n    const { text } = await import('./big.js')\n    return Response.json([text.length, WebAssembly.Module.customSections(data, 'bench').length])\n  },\n}\n`,
  )
}

function customSectionWasm(payloadBytes) {
  const name = Buffer.from('bench')
  const leb = (n) => {
    const out = []
    do {
      let byte = n & 0x7f
      n >>>= 7
      if (n !== 0) byte |= 0x80
      out.push(byte)
    } while (n !== 0)
    return Buffer.from(out)
  }
  const content = Buffer.concat([leb(name.length), name, randomBytes(payloadBytes)])
  return Buffer.concat([
    Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00]),
    leb(content.length),
    content,
  ])
}

/** One fresh `node --expose-gc` process: a Rollup build with the plugin uploading to the emulator. */
async function uploadRun(job) {
  const { ms, rssKb, output } = await timed(
    [process.execPath, '--expose-gc', SELF, '--upload-child', JSON.stringify(job)],
    { cwd: job.project },
  )
  const line = output.split('\n').find((l) => l.startsWith('RESULT '))
  if (!line) throw new Error(`upload child printed no result:\n${output}`)
  return { ms, rssKb, ...JSON.parse(line.slice('RESULT '.length)) }
}

/**
 * In the child: the upload phase runs from undici's `undici:request:create` (the plugin's POST) to
 * `undici:request:bodySent`; there the process collects garbage, takes its baseline and samples
 * `process.memoryUsage()` every 10 ms. Then `Buffer.toString('base64')` of the same module bytes is timed.
 */
async function uploadChild({ project, emulator, worker }) {
  const [{ rollup }, { default: workersVersion }] = await Promise.all([
    import('rollup'),
    import('unplugin-workers-version/rollup'),
  ])
  let phase
  let versionRequest
  // Only the Create Version POST: the plugin reads the Worker's state (GETs) before it.
  diagnostics.subscribe('undici:request:create', ({ request }) => {
    if (phase || request.method !== 'POST' || !request.path.endsWith('/versions')) return
    versionRequest = request
    globalThis.gc()
    globalThis.gc()
    const base = process.memoryUsage()
    const peak = { heapExternal: 0, rss: 0 }
    const sample = () => {
      const now = process.memoryUsage()
      peak.heapExternal = Math.max(
        peak.heapExternal,
        now.heapUsed + now.external - base.heapUsed - base.external,
      )
      peak.rss = Math.max(peak.rss, now.rss - base.rss)
    }
    phase = { started: process.hrtime.bigint(), peak, sample, timer: setInterval(sample, 10) }
  })
  diagnostics.subscribe('undici:request:bodySent', ({ request }) => {
    if (!phase || phase.sentMs !== undefined || request !== versionRequest) return
    phase.sample()
    phase.sentMs = Number(process.hrtime.bigint() - phase.started) / 1e6
    clearInterval(phase.timer)
  })
  const outputDir = join(project, '.workers-version')
  const bundle = await rollup({
    input: join(project, 'src/index.js'),
    logLevel: 'silent',
    plugins: [
      workersVersion({
        worker,
        upload: true,
        apiBaseUrl: emulator.url,
        apiToken: emulator.token,
        accountId: emulator.accountId,
        outputDir,
        logLevel: 'warn',
        version: { compatibility_date: '2025-06-01' },
      }),
    ],
  })
  try {
    await bundle.write({ dir: join(project, 'dist'), format: 'es', sourcemap: true })
  } finally {
    await bundle.close()
  }
  if (phase?.sentMs === undefined) throw new Error('the plugin sent no request body')

  // The same bytes, as the plugin had them: every module of request.json, decoded.
  const { modules } = JSON.parse(await readFile(join(outputDir, 'request.json'), 'utf8'))
  const buffers = modules.map((m) => Buffer.from(m.content_base64, 'base64'))
  const moduleBytes = buffers.reduce((sum, b) => sum + b.length, 0)
  // The reference: the median of 3 passes (after a warm-up), as this machine's load varies.
  buffers[0].subarray(0, 3000).toString('base64')
  const passes = []
  for (let pass = 0; pass < 3; pass++) {
    const started = process.hrtime.bigint()
    let encoded = 0
    for (const buffer of buffers) encoded += buffer.toString('base64').length
    passes.push(Number(process.hrtime.bigint() - started) / 1e6)
    if (encoded === 0) throw new Error('nothing encoded')
  }
  const base64Ms = median(passes)

  const body = await readFile(join(outputDir, 'request.json'), 'utf8').then((text) =>
    Buffer.from(JSON.stringify(JSON.parse(text))),
  )
  const result = {
    uploadMs: phase.sentMs,
    base64Ms,
    moduleBytes,
    bodyBytes: body.length,
    peakHeapExternal: phase.peak.heapExternal,
    peakRss: phase.peak.rss,
    kinds: modules.map((m) => m.content_type),
  }
  console.log(`RESULT ${JSON.stringify(result)}`)
}

// ─── the table ────────────────────────────────────────────────────────────────────────────────

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function report(results, rounds, { assetFiles, assetsToUpload }) {
  const ms = (id, field = 'ms') => results.get(id).map((r) => r[field])
  const spread = (values, unit = 'ms', digits = 0) =>
    `${median(values).toFixed(digits)} ${unit} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`
  const rss = (id) => {
    const values = results
      .get(id)
      .map((r) => r.rssKb)
      .filter(Boolean)
    return values.length ? `${(median(values) / 1024).toFixed(0)} MB` : 'n/a'
  }
  const verdict = (ok) => (ok ? '✅' : '❌')
  const rows = []
  const row = (what, measured, peak, against, result) =>
    rows.push(`| ${what} | ${measured} | ${peak} | ${against} | ${result} |`)

  for (const bundler of ['vite', 'rollup', 'esbuild']) {
    // The ratio is taken pass by pass (each with-plugin run against the run beside it), then the
    // median: drift in the machine's speed during the run then cancels out.
    const bare = ms(`${bundler}-bare`)
    const ratio = median(ms(`${bundler}-plugin`).map((plugin, i) => plugin / bare[i]))
    const added = ratio - 1
    row(
      `1. \`${bundler}\` build of the playground, plugin dry run`,
      spread(ms(`${bundler}-plugin`)),
      rss(`${bundler}-plugin`),
      `without the plugin: ${spread(bare)}`,
      `${(added * 100).toFixed(1)}% added (median of ${bare.length} paired ratios: ${ratio.toFixed(3)}; goal ≤ 5%) ${verdict(added <= 0.05)}`,
    )
  }
  const deploy = median(ms('vite-deploy'))
  const plainBuild = median(ms('vite-wrangler', 'build'))
  const wrangler = median(ms('vite-wrangler', 'wrangler'))
  const uploadAdds = deploy - plainBuild
  row(
    '2. `vite build --mode deploy` (build + upload)',
    spread(ms('vite-deploy')),
    rss('vite-deploy'),
    `\`vite build\` ${spread(ms('vite-wrangler', 'build'))} + \`wrangler versions upload\` ${spread(ms('vite-wrangler', 'wrangler'))}`,
    `upload adds ${uploadAdds.toFixed(0)} ms = ${(uploadAdds / wrangler).toFixed(2)} of wrangler's time (goal ≤ 0.10) ${verdict(uploadAdds <= wrangler / 10)}`,
  )
  // Not a goal of its own: what the git annotations (one \`git log\` and one \`git status\`) cost of the above.
  const noGitAdds = median(ms('vite-deploy-no-git')) - plainBuild
  row(
    '2. the same with `gitAnnotations: false`',
    spread(ms('vite-deploy-no-git')),
    rss('vite-deploy-no-git'),
    'the same',
    `upload adds ${noGitAdds.toFixed(0)} ms = ${(noGitAdds / wrangler).toFixed(2)} of wrangler's time; the git annotations ${(uploadAdds - noGitAdds).toFixed(0)} ms`,
  )
  const empty = median(ms('node-empty'))
  for (const bundler of ['vite', 'rollup', 'esbuild']) {
    const plugin = median(ms(`import-plugin-${bundler}`))
    const own = median(ms(`import-${bundler}`))
    row(
      `3. cold \`import('unplugin-workers-version/${bundler}')\``,
      spread(ms(`import-plugin-${bundler}`)),
      rss(`import-plugin-${bundler}`),
      `\`import('${bundler}')\` ${spread(ms(`import-${bundler}`))}; \`node -e ''\` ${spread(ms('node-empty'))}`,
      `${(plugin - empty).toFixed(0)} ms above bare node, ${(own - empty).toFixed(0)} ms for ${bundler}`,
    )
  }
  for (const mb of BODY_SIZES_MB) {
    const list = results.get(`upload-${mb}`)
    const bodyBytes = list[0].bodyBytes
    const uploadRate = list.map((r) => r.moduleBytes / 1e6 / (r.uploadMs / 1000))
    const base64Rate = list.map((r) => r.moduleBytes / 1e6 / (r.base64Ms / 1000))
    const peaks = list.map((r) => r.peakHeapExternal)
    const speedRatio = median(uploadRate) / median(base64Rate)
    const memoryRatio = median(peaks) / bodyBytes
    row(
      `4. ${mb} MB of modules (code, map, wasm) uploaded by the plugin (Rollup), body ${(bodyBytes / 1e6).toFixed(1)} MB`,
      `${spread(uploadRate, 'MB/s')}; peak heap+external above baseline ${spread(
        peaks.map((p) => p / 1e6),
        'MB',
        1,
      )}`,
      `rss +${(median(list.map((r) => r.peakRss)) / 1e6).toFixed(0)} MB during the upload (whole process, build and references included: ${rss(`upload-${mb}`)})`,
      `\`Buffer.toString('base64')\` of the same bytes: ${spread(base64Rate, 'MB/s')}`,
      `speed ${speedRatio.toFixed(2)}× base64 (goal ≥ 0.5) ${verdict(speedRatio >= 0.5)}; memory ${memoryRatio.toFixed(2)}× the body (goal ≤ 1.5) ${verdict(memoryRatio <= 1.5)}`,
    )
  }

  // Row 5: wall time against wrangler; memory as peak RSS above the same command without assets.
  const peakMb = (id) => {
    const values = results
      .get(id)
      .map((r) => r.rssKb)
      .filter(Boolean)
    return values.length ? median(values) / 1024 : undefined
  }
  const above = (id) =>
    peakMb(id) === undefined || peakMb(`${id}-base`) === undefined
      ? undefined
      : peakMb(id) - peakMb(`${id}-base`)
  const memory = (id, baseline) =>
    above(id) === undefined
      ? 'n/a (no /usr/bin/time)'
      : `${peakMb(id).toFixed(0)} MB, +${above(id).toFixed(0)} MB above ${baseline} (${peakMb(`${id}-base`).toFixed(0)} MB)`
  const count = (n) => n.toLocaleString('en-US')
  const oursMs = median(ms('assets-plugin'))
  const wranglerMs = median(ms('assets-wrangler'))
  const oursAbove = above('assets-plugin')
  row(
    `5. static assets: \`rollup -c\` build + upload with the plugin's \`assets: { directory }\`, ${count(assetFiles)} files, ${count(assetsToUpload)} to upload (${count(assetFiles - assetsToUpload)} already held) ¹`,
    spread(ms('assets-plugin')),
    `${memory('assets-plugin', '`assets: false`')}; without assets ${spread(ms('assets-plugin-base'))}`,
    `\`wrangler versions upload --no-bundle --assets\` ${spread(ms('assets-wrangler'))}, ${memory('assets-wrangler', 'the same without `--assets`')}; without assets ${spread(ms('assets-wrangler-base'))}`,
    `wrangler takes ${(wranglerMs / oursMs).toFixed(2)}× as long (goal: faster than wrangler) ${verdict(oursMs < wranglerMs)}; ` +
      (oursAbove === undefined
        ? 'memory n/a'
        : `+${oursAbove.toFixed(0)} MB above the baseline (goal < ${ASSETS_MEMORY_GOAL_MB} MB) ${verdict(oursAbove < ASSETS_MEMORY_GOAL_MB)}`),
  )

  const versions = (pkg) => require(`${pkg}/package.json`).version
  const cpu = cpus()
  return [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, Node ${process.version}; vite ${versions('vite')}, rollup ${versions('rollup')}, esbuild ${versions('esbuild')}, wrangler ${versions('wrangler')}.`,
    `${rounds} alternating rounds (rows 1 and 3: ${LIGHT_PASSES} passes a round); each command a fresh process timed from spawn to exit; median (min–max). Emulator on 127.0.0.1, previews off. Peak memory: the process's max RSS (\`/usr/bin/time -f %M\`), median.`,
    '',
    '| measurement | median (min–max) | peak memory | against | result |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `¹ Row 5: before each run with assets the emulator is reset to hold the same 90% of the files, and each run is checked to have sent exactly the other ${count(assetsToUpload)}. Ours builds the one-file Worker with Rollup; wrangler uploads the same file as it is. Peak memory is the largest process of the tree (wrangler runs a second node process); the baselines are the same commands, in the same rounds, without the assets (\`assets: false\`; no \`--assets\`). Whether memory grows with the number of files is measured by the scaling run of \`node bench/assets.mjs\`, at several directory sizes, not here.`,
  ].join('\n')
}
