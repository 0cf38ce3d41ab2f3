#!/usr/bin/env node
/**
 * Deploys as users wait for them against Cloudflare: every command talks to the local
 * emulator through bench/net-proxy.mjs (100 ms round trip, 20 Mbit/s up, 100 Mbit/s down, three
 * round trips of TCP and TLS handshakes per new connection). Prints one markdown table and writes
 * it to bench/network-results.md.
 *
 * Two apps, each measured in paired, alternating rounds:
 * - **worker**: the playground Worker (`playground/src`) built by Vite as an SSR build;
 * - **full-stack**: the playground as @cloudflare/vite-plugin builds it (client + Worker), with
 *   2,000 generated files in `public/`, 90% of which the emulator holds before every run (so 10%
 *   of them, plus the client's few built files, are new).
 *
 * Commands per app, each a fresh process timed from spawn to exit:
 * - `vite build` alone (no plugin): the floor no deploy tool can go under;
 * - ours: `vite build --mode deploy` with the plugin, `promote: true` (a deploy), and without
 *   `promote` (a version upload);
 * - wrangler 4.164: the same `vite build` (no plugin), then `wrangler deploy` (the deploy rows:
 *   the version, its deployment, and the settings and triggers it applies after it, as the plugin's
 *   `promote: true` does); and, timed one by one in another run, `wrangler versions upload` (the
 *   upload rows) then `wrangler versions deploy <id>@100% -y` (shown for reference).
 *
 * Per command the proxy reports connections, requests, bytes up and down, and the critical path:
 * the longest chain of requests that ran one after the other, and that chain in round trips
 * (handshakes of new connections included).
 *
 * `--handshake-rtts 2` models TLS 1.3 (TCP + one TLS round trip, what Node and Cloudflare's API negotiate)
 * instead of the default 3 (TCP + TLS 1.2's two).
 *
 *   node bench/network.mjs [--rounds 5] [--quick] [--apps worker,fullstack] [--handshake-rtts 3] [--out bench/network-results.md]
 */
import { parse as parseJsonc } from 'jsonc-parser'
import { spawn } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { startEmulatorProcess } from './emulator-process.mjs'
import { DEFAULT_NETWORK, startNetProxy } from './net-proxy.mjs'
import { wranglerEnv } from './wrangler-env.mjs'
import { installPluginCopy } from './install-copy.mjs'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const bin = (pkg, path) => join(dirname(require.resolve(`${pkg}/package.json`)), path)
const VITE = bin('vite', 'bin/vite.js')
const WRANGLER = bin('wrangler', 'bin/wrangler.js')
const ASSET_FILES = 2_000
/** The ratio goals: ours against `vite build && wrangler deploy`. */
const GOALS = { worker: 0.25, fullstack: 0.4 }
/** Goals in ms added over the bare `vite build`, where there is one. */
const ADDED_GOALS = { 'worker/deploy': 300, 'worker/upload': 150 }
/**
 * The round trips no tool can avoid after the build, per row: the reads can be made while the
 * bundler works, the rest needs the built output. A version: Create Version (1); a deploy: the
 * version and its deployment (2). With static assets: the upload session, then the buckets it asks
 * for, before the version (+2).
 */
const FLOOR_RTTS = {
  'worker/deploy': 2,
  'worker/no-preflight': 2,
  'worker/upload': 1,
  'fullstack/deploy': 4,
  'fullstack/no-preflight': 4,
  'fullstack/upload': 3,
}

const { values } = parseArgs({
  options: {
    rounds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    apps: { type: 'string', default: 'worker,fullstack' },
    'handshake-rtts': { type: 'string', default: String(DEFAULT_NETWORK.handshakeRtts) },
    out: { type: 'string', default: join(REPO, 'bench/network-results.md') },
  },
})
const rounds = Number(values.rounds ?? (values.quick ? 2 : 5))
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer')
if (!existsSync(join(REPO, 'dist/vite.js')))
  throw new Error('build the package first: npm run build')

const emulator = await startEmulatorProcess({ preview: false, maxBodyBytes: 200 * 1000 * 1000 })
const proxy = await startNetProxy(emulator.url, {
  ...DEFAULT_NETWORK,
  handshakeRtts: Number(values['handshake-rtts']),
})
const work = await mkdtemp(join(REPO, 'bench/.work-net-'))
try {
  const apps = await prepare(work)
  const samples = new Map()
  for (let round = 0; round < rounds; round++) {
    process.stderr.write(`round ${round + 1}/${rounds}\n`)
    for (const app of apps) {
      const cases = round % 2 === 0 ? app.cases : [...app.cases].reverse()
      for (const c of cases) {
        const key = `${app.id}/${c.id}`
        if (!samples.has(key)) samples.set(key, [])
        samples.get(key).push(await c.run())
      }
    }
  }
  const table = report(apps, samples)
  console.log(table)
  await writeFile(values.out, `${table}\n`)
  process.stderr.write(`written to ${relative(process.cwd(), values.out)}\n`)
} finally {
  await proxy.close()
  await emulator.close()
  await rm(work, { recursive: true, force: true })
}

// ─── set-up ───────────────────────────────────────────────────────────────────────────────────

async function prepare(work) {
  await installPluginCopy(work)
  const home = join(work, 'home')
  await mkdir(home)
  const api = {
    CLOUDFLARE_API_BASE_URL: proxy.url,
    CLOUDFLARE_API_TOKEN: emulator.token,
    CLOUDFLARE_ACCOUNT_ID: emulator.accountId,
  }
  const wrangler = wranglerEnv({ ...emulator, url: proxy.url }, home)
  const wanted = values.apps.split(',')
  const apps = []
  if (wanted.includes('worker')) apps.push(await workerApp(join(work, 'worker'), api, wrangler))
  if (wanted.includes('fullstack'))
    apps.push(await fullStackApp(join(work, 'fullstack'), api, wrangler))
  return apps
}

/** The playground Worker built by Vite as an SSR build; wrangler uploads the same output with `--no-bundle`. */
async function workerApp(dir, api, wrangler) {
  const playground = join(REPO, 'playground')
  await cp(join(playground, 'src'), join(dir, 'src'), { recursive: true })
  await cp(join(playground, 'shared.js'), join(dir, 'shared.js'))
  const names = {
    deploy: 'net-worker-deploy',
    noPreflight: 'net-worker-no-preflight',
    upload: 'net-worker-upload',
    wrangler: 'net-worker-wrangler',
  }
  for (const name of Object.values(names)) await createWorker(name)
  const plugin = (worker, extra) => `import workersVersion from 'unplugin-workers-version/vite'
import { version } from './shared.js'
export default { logLevel: 'warn', build: { ssr: 'src/index.js', outDir: 'dist/${worker}', sourcemap: true }, plugins: [workersVersion({ worker: '${worker}', version${extra}, outputDir: '.workers-version/${worker}' })] }
`
  await writeFile(join(dir, 'vite.deploy.config.mjs'), plugin(names.deploy, ', promote: true'))
  await writeFile(
    join(dir, 'vite.no-preflight.config.mjs'),
    plugin(names.noPreflight, ', promote: true, preflight: false'),
  )
  await writeFile(join(dir, 'vite.upload.config.mjs'), plugin(names.upload, ''))
  await writeFile(
    join(dir, 'vite.bare.config.mjs'),
    `export default { logLevel: 'warn', build: { ssr: 'src/index.js', outDir: 'dist/bare', sourcemap: true, emptyOutDir: true, rollupOptions: { external: [/\\.wasm$/, /\\.txt$/] } } }\n`,
  )
  // wrangler's default no-bundle rules attach .wasm and .txt; the lazy chunk needs an ESModule rule.
  await mkdir(join(dir, 'wrangler'))
  await writeFile(
    join(dir, 'wrangler/wrangler.json'),
    JSON.stringify({ no_bundle: true, rules: [{ type: 'ESModule', globs: ['**/*.js'] }] }),
  )
  const bare = [VITE, 'build', '-c', 'vite.bare.config.mjs']
  const afterBare = async () => {
    for (const file of ['add.wasm', 'banner.txt'])
      await cp(join(dir, 'src', file), join(dir, 'dist/bare', file))
  }
  const upload = [
    WRANGLER,
    'versions',
    'upload',
    'dist/bare/index.js',
    '--config',
    'wrangler/wrangler.json',
    '--no-bundle',
    '--name',
    names.wrangler,
    '--compatibility-date',
    '2025-06-01',
  ]
  return {
    id: 'worker',
    title: 'the playground Worker (Vite SSR build)',
    cases: [
      ours('deploy', dir, ['--mode', 'deploy', '-c', 'vite.deploy.config.mjs'], names.deploy, api),
      ours(
        'no-preflight',
        dir,
        ['--mode', 'deploy', '-c', 'vite.no-preflight.config.mjs'],
        names.noPreflight,
        api,
      ),
      ours('upload', dir, ['--mode', 'deploy', '-c', 'vite.upload.config.mjs'], names.upload, api),
      wranglerChain(dir, bare, afterBare, upload, names.wrangler, wrangler),
      wranglerDeploy(dir, bare, afterBare, asDeploy(upload), names.wrangler, wrangler),
    ],
  }
}

/**
 * The full-stack playground (client + Worker through @cloudflare/vite-plugin) with 2,000 generated
 * files in `public/site/`. Before every run the emulator is reset to hold 90% of them.
 */
async function fullStackApp(dir, api, wrangler) {
  const playground = join(REPO, 'playground')
  for (const entry of ['src', 'client', 'public', 'index.html', 'shared.js'])
    await cp(join(playground, entry), join(dir, entry), { recursive: true })
  const site = await emulator.makeSite(join(dir, 'public/site'), ASSET_FILES)
  // The playground's config is JSONC (comments, trailing commas): parsed as such.
  const base = parseJsonc(await readFile(join(playground, 'wrangler.jsonc'), 'utf8'))
  const names = {
    deploy: 'net-fullstack-deploy',
    noPreflight: 'net-fullstack-no-preflight',
    upload: 'net-fullstack-upload',
    wrangler: 'net-fullstack-wrangler',
  }
  for (const [kind, name] of Object.entries(names)) {
    await createWorker(name)
    await writeFile(join(dir, `wrangler.${kind}.json`), JSON.stringify({ ...base, name }))
  }
  const config = (kind, plugin) => `import { cloudflare } from '@cloudflare/vite-plugin'
${plugin ? "import workersVersion from 'unplugin-workers-version/vite'\n" : ''}export default {
  logLevel: 'warn',
  build: { outDir: 'dist/${kind}', sourcemap: true },
  plugins: [cloudflare({ configPath: './wrangler.${kind}.json', inspectorPort: false, persistState: false })${plugin ? `, workersVersion({ worker: '${names[kind]}', outputDir: '.workers-version/${kind}'${plugin} })` : ''}],
}
`
  await writeFile(join(dir, 'vite.deploy.config.mjs'), config('deploy', ', promote: true'))
  await writeFile(
    join(dir, 'vite.noPreflight.config.mjs'),
    config('noPreflight', ', promote: true, preflight: false'),
  )
  await writeFile(join(dir, 'vite.upload.config.mjs'), config('upload', ' '))
  await writeFile(join(dir, 'vite.wrangler.config.mjs'), config('wrangler', ''))
  const seeded = (c, toUpload) => ({
    ...c,
    run: async () => {
      await emulator.seed()
      const mark = await emulator.assetsMark()
      const result = await c.run()
      const sent = await emulator.assetsSince(mark)
      if (sent.sessions !== 1 || sent.files < toUpload)
        throw new Error(
          `${c.id}: ${sent.sessions} assets sessions and ${sent.files} files sent, expected 1 and at least ${toUpload}`,
        )
      return { ...result, assetsSent: sent.files }
    },
  })
  // wrangler reads the config @cloudflare/vite-plugin points it to (.wrangler/deploy/config.json), as users run it.
  const upload = [WRANGLER, 'versions', 'upload']
  return {
    id: 'fullstack',
    title: `the full-stack playground (@cloudflare/vite-plugin), ${ASSET_FILES.toLocaleString('en')} files in public/, 90% held`,
    cases: [
      seeded(
        ours(
          'deploy',
          dir,
          ['--mode', 'deploy', '-c', 'vite.deploy.config.mjs'],
          names.deploy,
          api,
        ),
        site.toUpload,
      ),
      seeded(
        ours(
          'no-preflight',
          dir,
          ['--mode', 'deploy', '-c', 'vite.noPreflight.config.mjs'],
          names.noPreflight,
          api,
        ),
        site.toUpload,
      ),
      seeded(
        ours(
          'upload',
          dir,
          ['--mode', 'deploy', '-c', 'vite.upload.config.mjs'],
          names.upload,
          api,
        ),
        site.toUpload,
      ),
      seeded(
        wranglerChain(
          dir,
          [VITE, 'build', '-c', 'vite.wrangler.config.mjs'],
          async () => undefined,
          upload,
          names.wrangler,
          wrangler,
        ),
        site.toUpload,
      ),
      seeded(
        wranglerDeploy(
          dir,
          [VITE, 'build', '-c', 'vite.wrangler.config.mjs'],
          async () => undefined,
          asDeploy(upload),
          names.wrangler,
          wrangler,
        ),
        site.toUpload,
      ),
    ],
  }
}

/** Our plugin's `vite build --mode deploy`: one process, checked to have made exactly one version. */
function ours(id, cwd, args, worker, env) {
  return {
    id,
    run: async () => {
      const before = await emulator.versionCount(worker)
      proxy.reset()
      const { ms, spawnedAt } = await timed([VITE, 'build', ...args], { cwd, env })
      const net = { ...proxy.stats(), spawnedAt }
      if ((await emulator.versionCount(worker)) !== before + 1)
        throw new Error(`${id}: expected one new version of ${worker}`)
      return { ms, net }
    },
  }
}

/**
 * `vite build` (no plugin), `wrangler versions upload`, `wrangler versions deploy <id>@100%`, timed
 * one by one, so one run gives the build, the upload row (build + upload) and the deploy row (all three).
 */
function wranglerChain(cwd, buildArgs, afterBuild, uploadArgs, worker, env) {
  return {
    id: 'wrangler',
    run: async () => {
      const before = await emulator.versionCount(worker)
      const build = await timed(buildArgs, { cwd })
      await afterBuild()
      proxy.reset()
      const upload = await timed(uploadArgs, { cwd, env, cleanEnv: true })
      const uploadNet = proxy.stats()
      const id = /Worker Version ID: ([0-9a-f-]{36})/.exec(upload.output)?.[1]
      if (!id) throw new Error(`wrangler versions upload printed no version ID:\n${upload.output}`)
      proxy.reset()
      const deploy = await timed(
        [WRANGLER, 'versions', 'deploy', `${id}@100%`, '--name', worker, '-y'],
        { cwd, env, cleanEnv: true },
      )
      const deployNet = proxy.stats()
      if ((await emulator.versionCount(worker)) !== before + 1)
        throw new Error(`wrangler: expected one new version of ${worker}`)
      return {
        ms: build.ms + upload.ms + deploy.ms,
        build: build.ms,
        upload: upload.ms,
        deploy: deploy.ms,
        uploadNet,
        net: sumNet(uploadNet, deployNet),
      }
    },
  }
}

/** The same wrangler command line as a `wrangler deploy`. */
function asDeploy(uploadArgs) {
  const at = uploadArgs.indexOf('versions')
  return [...uploadArgs.slice(0, at), 'deploy', ...uploadArgs.slice(at + 2)]
}

/** `vite build` (no plugin), then `wrangler deploy`, each timed: the deploy rows' reference. */
function wranglerDeploy(cwd, buildArgs, afterBuild, deployArgs, worker, env) {
  return {
    id: 'wrangler-deploy',
    run: async () => {
      const before = await emulator.versionCount(worker)
      const build = await timed(buildArgs, { cwd })
      await afterBuild()
      proxy.reset()
      const deploy = await timed(deployArgs, { cwd, env, cleanEnv: true })
      const net = proxy.stats()
      if ((await emulator.versionCount(worker)) !== before + 1)
        throw new Error(`wrangler deploy: expected one new version of ${worker}`)
      return { ms: build.ms + deploy.ms, build: build.ms, net }
    },
  }
}

/** Two commands run one after the other: their counts add up, and so do their critical paths. */
function sumNet(a, b) {
  const out = {}
  for (const key of ['connections', 'requests', 'bytesUp', 'bytesDown', 'sequential', 'roundTrips'])
    out[key] = a[key] + b[key]
  return { ...out, log: [...a.log, ...b.log] }
}

async function createWorker(name) {
  const response = await fetch(`${emulator.url}/accounts/${emulator.accountId}/workers/workers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  })
  if (!response.ok && response.status !== 409)
    throw new Error(`creating Worker ${name}: HTTP ${response.status}`)
}

/** Runs `node …argv`, timed from spawn until the process has exited. */
function timed(argv, { cwd, env = {}, cleanEnv = false }) {
  return new Promise((resolve, reject) => {
    const base = cleanEnv ? { PATH: process.env.PATH ?? '' } : process.env
    let output = ''
    const started = process.hrtime.bigint()
    const spawnedAt = performance.now()
    const child = spawn(process.execPath, argv, {
      cwd,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      if (code !== 0)
        reject(new Error(`${argv.slice(0, 4).join(' ')} exited with ${code}:\n${output}`))
      else resolve({ ms, output, spawnedAt })
    })
  })
}

// ─── the report ───────────────────────────────────────────────────────────────────────────────

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
function ms(v) {
  return `${Math.round(v)} ms`
}
function spread(values) {
  return `${ms(median(values))} (${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))})`
}
function kb(bytes) {
  return `${(bytes / 1024).toFixed(bytes < 10240 ? 1 : 0)} KiB`
}
/** The median of the ratios of runs made in the same round. */
function pairedRatio(a, b) {
  return median(a.map((x, i) => x.ms / b[i].ms))
}

function report(apps, samples) {
  const { rttMs, upMbit, downMbit, handshakeRtts } = proxy.network
  const lines = [
    `Network: ${rttMs} ms round trip, ${upMbit} Mbit/s up, ${downMbit} Mbit/s down, ${handshakeRtts} round trips per new connection (TCP + TLS${handshakeRtts === 2 ? ' 1.3' : handshakeRtts === 3 ? ' 1.2' : ''}). ${samples.values().next().value.length} paired rounds, ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    '| app | command | wall, median (min–max) | added over the bare build | floor: round trips after the build × RTT + bytes up ÷ uplink | ours ÷ this, paired | critical path: requests / round trips | connections | requests | up | down |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ]
  const notes = []
  for (const app of apps) {
    const deploy = samples.get(`${app.id}/deploy`)
    const upload = samples.get(`${app.id}/upload`)
    const noPreflight = samples.get(`${app.id}/no-preflight`)
    const chain = samples.get(`${app.id}/wrangler`)
    const wranglerDeployRuns = samples.get(`${app.id}/wrangler-deploy`)
    const net = (runs, pick = (r) => r.net) => {
      const m = (key) => median(runs.map((r) => pick(r)[key]))
      return `${m('sequential')} / ${m('roundTrips')} | ${m('connections')} | ${m('requests')} | ${kb(m('bytesUp'))} | ${kb(m('bytesDown'))}`
    }
    const build = chain.map((r) => r.build)
    const bareMs = median(build)
    const wranglerUpload = chain.map((r) => ({ ms: r.build + r.upload, net: r.uploadNet }))
    const deployRatio = pairedRatio(deploy, wranglerDeployRuns)
    const uploadRatio = pairedRatio(upload, wranglerUpload)
    // What a command adds to the bare build (medians), against its goal where it has one.
    const added = (runs, row) => {
      const value = median(runs.map((r) => r.ms)) - bareMs
      const goal = ADDED_GOALS[`${app.id}/${row}`]
      return `${ms(value)}${goal === undefined ? '' : ` (goal ≤ ${goal} ms) ${value <= goal ? '✅' : '❌'}`}`
    }
    // The least any tool could add: the round trips that must follow the build, and the bytes sent (all of them, as if every read were hidden).
    const floor = (runs, row) => {
      const rtts = FLOOR_RTTS[`${app.id}/${row}`]
      const bytesUp = median(runs.map((r) => r.net.bytesUp))
      return `${rtts} × ${rttMs} ms + ${kb(bytesUp)} ÷ ${upMbit} Mbit/s = ${ms(rtts * rttMs + (bytesUp * 8) / (upMbit * 1000))}`
    }
    lines.push(
      `| ${app.id} | \`vite build\` (no plugin) | ${spread(build)} | | | | | | | | |`,
      `| ${app.id} | ours: \`vite build --mode deploy\`, \`promote: true\` | ${spread(deploy.map((r) => r.ms))} | ${added(deploy, 'deploy')} | ${floor(deploy, 'deploy')} | **${deployRatio.toFixed(2)}** of wrangler's deploy (goal ≤ ${GOALS[app.id]}) ${deployRatio <= GOALS[app.id] ? '✅' : '❌'} | ${net(deploy)} |`,
      `| ${app.id} | ours: the same with \`preflight: false\` | ${spread(noPreflight.map((r) => r.ms))} | ${added(noPreflight, 'no-preflight')} | ${floor(noPreflight, 'no-preflight')} | ${pairedRatio(noPreflight, wranglerDeployRuns).toFixed(2)} of wrangler's deploy | ${net(noPreflight)} |`,
      `| ${app.id} | wrangler: \`vite build\` + \`wrangler deploy\` | ${spread(wranglerDeployRuns.map((r) => r.ms))} | ${added(wranglerDeployRuns, 'wrangler-deploy')} | | | ${net(wranglerDeployRuns)} |`,
      `| ${app.id} | wrangler: \`vite build\` + \`versions upload\` + \`versions deploy\` (reference) | ${spread(chain.map((r) => r.ms))} | ${added(chain, 'wrangler')} | | ${pairedRatio(deploy, chain).toFixed(2)} | ${net(chain)} |`,
      `| ${app.id} | ours: \`vite build --mode deploy\`, no \`promote\` | ${spread(upload.map((r) => r.ms))} | ${added(upload, 'upload')} | ${floor(upload, 'upload')} | **${uploadRatio.toFixed(2)}** of wrangler's upload | ${net(upload)} |`,
      `| ${app.id} | wrangler: \`vite build\` + \`versions upload\` | ${spread(wranglerUpload.map((r) => r.ms))} | ${added(wranglerUpload, 'wrangler-upload')} | | | ${net(wranglerUpload)} |`,
    )
    const { log: last, spawnedAt: t0 } = deploy.at(-1).net
    notes.push(
      `**${app.title}**: ours (deploy) spends ${ms(median(deploy.map((r) => r.ms)) - median(build))} above the bare \`vite build\` (medians). Its requests in the last round, from the spawn of \`vite build\` (the command took ${ms(deploy.at(-1).ms)} to its exit):`,
      '',
      ...last
        .sort((a, b) => a.start - b.start)
        .map(
          (r) =>
            `- ${r.method} ${r.path.replace(/^\/client\/v4\/accounts\/[^/]+/, '…').replace(/\?.*$/, '')}: ${Math.round(r.start - t0)}–${Math.round(r.end - t0)} ms${r.fresh ? ', new connection' : ''}, ${kb(r.up)} up`,
        ),
      '',
    )
    const versionBody = (runs) =>
      median(runs.map((r) => r.net.log.find((q) => q.versionBody)?.versionBody.bytes ?? NaN))
    const versionGzip = (runs) =>
      median(runs.map((r) => r.net.log.find((q) => q.versionBody)?.versionBody.gzip ?? NaN))
    notes.push(
      `The version's request body: ours ${kb(versionBody(deploy))} (JSON, modules in base64; ${kb(versionGzip(deploy))} gzipped), wrangler's ${kb(versionBody(chain))} (multipart, modules as they are; ${kb(versionGzip(chain))} gzipped).`,
      '',
    )
    if (chain[0].assetsSent !== undefined)
      notes.push(
        `Assets files sent per run: ours ${median(deploy.map((r) => r.assetsSent))}, wrangler ${median(chain.map((r) => r.assetsSent))}.`,
        '',
      )
  }
  return [...lines, '', ...notes].join('\n')
}
