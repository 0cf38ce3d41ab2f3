#!/usr/bin/env node
/**
 * Where a plain build's time goes with the plugin: V8 CPU profiles (`node --cpu-prof`) of fresh
 * processes, the self time summed by owner (the plugin, Vite, Rollup, Node's internals, the
 * garbage collector) and the plugin's most expensive functions. Profiled: importing the plugin's
 * Vite entry alone, and `vite build` of the playground Worker and of the generated 300-module app
 * (bench/generated-app.mjs) with the plugin in dry-run mode, its source maps sent (linked by the
 * chunks) and not sent (`upload_source_maps: false`).
 *
 *   node bench/profile.mjs [--rounds 3] [--quick] [--top 12]
 *
 * Self times are medians over the rounds. A profile samples every ~1 ms (V8's default interval
 * here is 1000 µs), so a function under a few ms is noise.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { installPluginCopy } from './install-copy.mjs'
import { copyPlayground, REPO, VITE } from './repo.mjs'
import { generateApp } from './generated-app.mjs'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    top: { type: 'string', default: '12' },
  },
})
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3))
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer')
const top = Number(values.top)

const work = await mkdtemp(join(REPO, 'bench/.work-prof-'))
try {
  await installPluginCopy(work)
  await copyPlayground(work)
  await generateApp(join(work, 'app'))
  const config = (name, input, plugin, maps = true) =>
    `${plugin ? "import workersVersion from 'unplugin-workers-version/vite'\n" : ''}export default { logLevel: 'warn', build: { ssr: '${input}', outDir: 'dist/${name}', sourcemap: true, emptyOutDir: true${plugin ? '' : ', rollupOptions: { external: [/\\.wasm$/, /\\.txt$/] }'} }${plugin ? `, plugins: [workersVersion({ worker: 'dry-run', version: { compatibility_date: '2025-06-01' }, outputDir: '.workers-version/${name}'${maps ? '' : ', sourcemaps: false'} })]` : ''} }\n`
  await writeFile(join(work, 'playground.plugin.mjs'), config('playground', 'src/index.js', true))
  await writeFile(
    join(work, 'playground.bare.mjs'),
    config('playground-bare', 'src/index.js', false),
  )
  await writeFile(join(work, 'app.maps.mjs'), config('app-maps', 'app/index.js', true))
  await writeFile(join(work, 'app.nomaps.mjs'), config('app-nomaps', 'app/index.js', true, false))
  await writeFile(join(work, 'app.bare.mjs'), config('app-bare', 'app/index.js', false))

  const cases = [
    [
      'import unplugin-workers-version/vite',
      ['--input-type=module', '-e', "await import('unplugin-workers-version/vite')"],
    ],
    ['vite build: playground, no plugin', [VITE, 'build', '-c', 'playground.bare.mjs']],
    ['vite build: playground, dry run', [VITE, 'build', '-c', 'playground.plugin.mjs']],
    ['vite build: 300-module app, no plugin', [VITE, 'build', '-c', 'app.bare.mjs']],
    ['vite build: 300-module app, dry run, maps sent', [VITE, 'build', '-c', 'app.maps.mjs']],
    ['vite build: 300-module app, dry run, maps not sent', [VITE, 'build', '-c', 'app.nomaps.mjs']],
  ]
  const results = new Map(cases.map(([name]) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    for (const [name, argv] of round % 2 ? [...cases].reverse() : cases)
      results.get(name).push(await profile(argv, work))
  }
  console.log(
    `| case (median of ${rounds}) | profiled total | the plugin (self) | Vite (JS) | Rolldown/Rollup (JS) | native (no script: Rolldown's core, compiling, builtins) | Node internals | GC | other JS |`,
  )
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const [name, runs] of results) {
    const med = (key) => `${Math.round(median(runs.map((r) => r.owners[key] ?? 0)))}`
    console.log(
      `| ${name} | ${Math.round(median(runs.map((r) => r.total)))} ms | ${med('plugin')} | ${med('vite')} | ${med('bundler')} | ${med('native')} | ${med('node')} | ${med('gc')} | ${med('other')} |`,
    )
  }
  for (const [name, runs] of results) {
    const fns = new Map()
    for (const run of runs)
      for (const [fn, ms] of run.pluginFunctions) fns.set(fn, [...(fns.get(fn) ?? []), ms])
    const ranked = [...fns]
      .map(([fn, list]) => [fn, median([...list, ...Array(runs.length - list.length).fill(0)])])
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
    if (ranked.length === 0 || ranked[0][1] < 0.5) continue
    console.log(`\n${name}: the plugin's functions by self time (ms, median)`)
    for (const [fn, ms] of ranked) console.log(`  ${ms.toFixed(1).padStart(6)}  ${fn}`)
  }
} finally {
  await rm(work, { recursive: true, force: true })
}

/** One fresh `node --cpu-prof` process; its profile's self time by owner, and the plugin's functions. */
async function profile(argv, cwd) {
  const dir = await mkdtemp(join(cwd, '.prof-'))
  await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, ...argv], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let err = ''
    child.stderr.on('data', (chunk) => (err += chunk))
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} exited with ${code}:\n${err}`)),
    )
  })
  const [file] = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile'))
  const { nodes, samples, timeDeltas } = JSON.parse(await readFile(join(dir, file), 'utf8'))
  await rm(dir, { recursive: true, force: true })
  const byId = new Map(nodes.map((node) => [node.id, node]))
  const self = new Map()
  samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (timeDeltas[i] ?? 0) / 1000))
  const owners = {}
  const pluginFunctions = new Map()
  let total = 0
  for (const [id, ms] of self) {
    const { callFrame } = byId.get(id)
    const owner = ownerOf(callFrame)
    if (owner === 'idle') continue
    total += ms
    owners[owner] = (owners[owner] ?? 0) + ms
    if (owner === 'plugin') {
      const fn = `${callFrame.functionName || '(top level)'} ${callFrame.url.replace(/^.*\/dist\//, 'dist/')}:${callFrame.lineNumber + 1}`
      pluginFunctions.set(fn, (pluginFunctions.get(fn) ?? 0) + ms)
    }
  }
  return { total, owners, pluginFunctions }
}

function ownerOf({ url, functionName }) {
  if (functionName === '(idle)' || functionName === '(program)')
    return functionName === '(idle)' ? 'idle' : 'other'
  if (functionName === '(garbage collector)') return 'gc'
  if (
    url.includes('/node_modules/unplugin-workers-version/') ||
    url.startsWith(`file://${REPO}/dist/`)
  )
    return 'plugin'
  if (url.includes('/node_modules/vite/')) return 'vite'
  if (/\/node_modules\/(@?rolldown|rollup|@rollup)\//.test(url)) return 'bundler'
  if (url.startsWith('node:')) return 'node'
  // Native code (the bundler's Rust core, V8 builtins, compiling) has no script URL.
  if (url === '') return 'native'
  return 'other'
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length === 0
    ? 0
    : sorted.length % 2
      ? sorted[mid]
      : (sorted[mid - 1] + sorted[mid]) / 2
}
