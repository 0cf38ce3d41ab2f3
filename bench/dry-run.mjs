#!/usr/bin/env node
/**
 * The dry run's cost, as two numbers: the fixed cost, in ms, of the plugin on the
 * playground Worker (`vite build` with the plugin against the same build without it), and its share
 * of a realistic app's build: 300 modules, about 5 MB of code, source maps on. Each command is a
 * fresh process timed from spawn to exit; with-plugin and bare runs alternate, and every figure is
 * the median of the pairs' differences (ms) or ratios (%), so a slow spell hits both sides of a pair.
 *
 *   node bench/dry-run.mjs [--rounds 11] [--quick]
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { installPluginCopy } from './install-copy.mjs'
import { copyPlayground, REPO, VITE } from './repo.mjs'
import { APP_BYTES, MODULES, generateApp } from './generated-app.mjs'

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined

const { values } = parseArgs({
  options: { rounds: { type: 'string' }, quick: { type: 'boolean', default: false } },
})
const rounds = Number(values.rounds ?? (values.quick ? 3 : 11))
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds must be a positive integer')
const work = await mkdtemp(join(REPO, 'bench/.work-dry-'))
try {
  await installPluginCopy(work)
  await copyPlayground(work)
  await generateApp(join(work, 'app'))
  // `sourcemap: true` links each chunk's map, so the plugin sends the maps as wrangler would; the
  // `nomaps` build is the same with `sourcemaps: false` (as with `upload_source_maps: false`).
  const config = (name, input, plugin, extra = '') =>
    `${plugin ? "import workersVersion from 'unplugin-workers-version/vite'\n" : ''}export default { logLevel: 'warn', build: { ssr: '${input}', outDir: 'dist/${name}', sourcemap: true, emptyOutDir: true${plugin ? '' : ', rollupOptions: { external: [/\\.wasm$/, /\\.txt$/] }'} }${plugin ? `, plugins: [workersVersion({ worker: 'dry-run', version: { compatibility_date: '2025-06-01' }, outputDir: '.workers-version/${name}'${extra} })]` : ''} }\n`
  for (const [file, text] of Object.entries({
    'playground.plugin.mjs': config('playground-plugin', 'src/index.js', true),
    'playground.bare.mjs': config('playground-bare', 'src/index.js', false),
    'app.plugin.mjs': config('app-plugin', 'app/index.js', true),
    'app.bare.mjs': config('app-bare', 'app/index.js', false),
    'app-nomaps.plugin.mjs': config(
      'app-nomaps-plugin',
      'app/index.js',
      true,
      ', sourcemaps: false',
    ),
    'app-nomaps.bare.mjs': config('app-nomaps-bare', 'app/index.js', false),
  }))
    await writeFile(join(work, file), text)

  const rows = []
  for (const app of ['playground', 'app', 'app-nomaps']) {
    const pairs = []
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? ['plugin', 'bare'] : ['bare', 'plugin']
      const pair = {}
      for (const side of order)
        pair[side] = await timed([VITE, 'build', '-c', `${app}.${side}.mjs`], work)
      pairs.push(pair)
    }
    rows.push({ app, pairs })
  }
  console.log(
    `| app | with the plugin (dry run): wall / CPU | without: wall / CPU | added wall, median of ${rounds} paired differences | paired wall ratio | added CPU (user + system), paired | paired CPU ratio |`,
  )
  console.log('|---|---|---|---|---|---|---|')
  for (const { app, pairs } of rows) {
    const med = (side, key) => Math.round(median(pairs.map((p) => p[side][key])))
    const added = (key) => Math.round(median(pairs.map((p) => p.plugin[key] - p.bare[key])))
    const ratio = (key) => median(pairs.map((p) => p.plugin[key] / p.bare[key])).toFixed(3)
    const generated = `generated: ${MODULES} modules, ${(APP_BYTES / 1e6).toFixed(0)} MB, source maps`
    const title =
      app === 'playground'
        ? 'the playground Worker'
        : app === 'app'
          ? `${generated} sent (linked by the chunks)`
          : `${generated} not sent (\`sourcemaps: false\`)`
    console.log(
      `| ${title} | ${med('plugin', 'wall')} / ${med('plugin', 'cpu')} ms | ${med('bare', 'wall')} / ${med('bare', 'cpu')} ms | ${added('wall')} ms | ${ratio('wall')} | ${added('cpu')} ms | ${ratio('cpu')} |`,
    )
  }
} finally {
  await rm(work, { recursive: true, force: true })
}

/**
 * Wall time from spawn to exit, and the CPU time (user + system) the kernel accounted to the process
 * (through /usr/bin/time): on a machine shared with other jobs the wall time mostly measures the queue
 * for the cores, the CPU time what the build itself cost.
 */
function timed(argv, cwd) {
  return new Promise((resolve, reject) => {
    const cpuFile = join(cwd, `.cpu-${process.hrtime.bigint()}`)
    const command = TIME
      ? [TIME, '-f', '%U %S', '-o', cpuFile, process.execPath, ...argv]
      : [process.execPath, ...argv]
    const started = process.hrtime.bigint()
    let output = ''
    const child = spawn(command[0], command.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('exit', async (code) => {
      const wall = Number(process.hrtime.bigint() - started) / 1e6
      if (code !== 0) return reject(new Error(`${argv.join(' ')} exited with ${code}:\n${output}`))
      let cpu = NaN
      if (TIME) {
        const [user, system] = (await readFile(cpuFile, 'utf8'))
          .trim()
          .split('\n')
          .pop()
          .split(' ')
          .map(Number)
        cpu = (user + system) * 1000
        await rm(cpuFile, { force: true })
      }
      resolve({ wall, cpu })
    })
  })
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
