#!/usr/bin/env node
/**
 * Where a Worker deploy's time goes, on the network model of bench/net-proxy.mjs: the playground
 * Worker deployed by `vite build --mode deploy` (promote: true, or none with `--upload`), each run a
 * fresh process whose config adds a tracing plugin around ours. Prints per run, in ms from the
 * spawn: the config loaded, buildStart, the bundle written, closeBundle's end (the upload awaited
 * inside ours), the process's exit; and each request the proxy saw (start–end, new connection).
 * A bare `vite build` of the same app runs in turn with it, for the added time; with `--base DIR`
 * (another build's dist/, e.g. the branch point's) that build's plugin runs in the same rounds too,
 * and the paired differences against it are printed.
 *
 *   node bench/deploy-timeline.mjs [--rounds 5] [--upload] [--cpu-prof DIR] [--base DIR] [--handshake-rtts 3] [--node-args '--flag …']
 */
import { spawn } from 'node:child_process'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { startEmulatorProcess } from './emulator-process.mjs'
import { DEFAULT_NETWORK, startNetProxy } from './net-proxy.mjs'
import { installPluginCopy } from './install-copy.mjs'
import { copyPlayground, REPO, VITE } from './repo.mjs'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    upload: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    base: { type: 'string' },
    'node-args': { type: 'string', default: '' },
    'handshake-rtts': { type: 'string', default: String(DEFAULT_NETWORK.handshakeRtts) },
  },
})
const rounds = Number(values.rounds)

const emulator = await startEmulatorProcess({ preview: false })
const proxy = await startNetProxy(emulator.url, {
  ...DEFAULT_NETWORK,
  handshakeRtts: Number(values['handshake-rtts']),
})
const work = await mkdtemp(join(REPO, 'bench/.work-timeline-'))
try {
  await installPluginCopy(work)
  // A package.json of its own: inside the repository's package scope Node resolves the package's own
  // name to the repository's dist/ (a package referring to itself) before any node_modules, and a
  // --base comparison would load the same build twice. (Not in install-copy.mjs: with it, the
  // `wrangler versions upload dist/bare/index.js` of network.mjs no longer found its entry.)
  await writeFile(join(work, 'package.json'), '{ "private": true }\n')
  const dir = join(work, 'worker')
  await copyPlayground(dir)
  const worker = 'timeline-worker'
  const response = await fetch(`${emulator.url}/accounts/${emulator.accountId}/workers/workers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: worker }),
  })
  if (!response.ok) throw new Error(`creating ${worker}: ${response.status}`)
  // Marks go to stderr as `@mark name ms-since-process-start`.
  const tracer = `const mark = (name) => process.stderr.write('@mark ' + name + ' ' + performance.now().toFixed(1) + '\\n')
mark('config')
const tracer = (when) => ({ name: 'trace-' + when, ${'enforce'}: when === 'pre' ? 'pre' : 'post',
  buildStart: () => mark('buildStart.' + when), writeBundle: () => mark('writeBundle.' + when),
  closeBundle: () => mark('closeBundle.' + when) })
process.on('exit', () => mark('exit'))
`
  await writeFile(
    join(dir, 'vite.deploy.config.mjs'),
    `import workersVersion from 'unplugin-workers-version/vite'
import { version } from './shared.js'
${tracer}
process.stderr.write('@plugin ' + import.meta.resolve('unplugin-workers-version/vite') + '\\n')
export default { logLevel: 'warn', build: { ssr: 'src/index.js', outDir: 'dist/deploy', sourcemap: true }, plugins: [tracer('pre'), workersVersion({ worker: '${worker}', version${values.upload ? '' : ', promote: true'}, outputDir: '.workers-version/deploy' }), tracer('post')] }
`,
  )
  await writeFile(
    join(dir, 'vite.bare.config.mjs'),
    `${tracer}
export default { logLevel: 'warn', build: { ssr: 'src/index.js', outDir: 'dist/bare', sourcemap: true, emptyOutDir: true, rollupOptions: { external: [/\\.wasm$/, /\\.txt$/] } }, plugins: [tracer('pre'), tracer('post')] }
`,
  )
  const env = {
    CLOUDFLARE_API_BASE_URL: proxy.url,
    CLOUDFLARE_API_TOKEN: emulator.token,
    CLOUDFLARE_ACCOUNT_ID: emulator.accountId,
  }
  // With --base: the same app beside another copy of the plugin (its own node_modules).
  const baseDir = values.base && join(work, 'base', 'worker')
  if (baseDir) {
    const installed = join(work, 'base', 'node_modules', 'unplugin-workers-version')
    await cp(join(REPO, 'package.json'), join(installed, 'package.json'))
    await cp(values.base, join(installed, 'dist'), { recursive: true })
    await cp(dir, baseDir, { recursive: true })
    await writeFile(join(work, 'base', 'package.json'), '{ "private": true }\n')
  }
  const cases = ['bare', 'ours', ...(baseDir ? ['base'] : [])]
  const runs = Object.fromEntries(cases.map((c) => [c, []]))
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...cases].reverse() : cases
    for (const which of order) {
      proxy.reset()
      const prof =
        values['cpu-prof'] && which === 'ours' && round === rounds - 1
          ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']]
          : []
      const deploying = which !== 'bare'
      const args = [
        ...prof,
        ...(deploying ? values['node-args'].split(' ').filter(Boolean) : []),
        VITE,
        'build',
        '-c',
        deploying ? 'vite.deploy.config.mjs' : 'vite.bare.config.mjs',
        ...(deploying ? ['--mode', 'deploy'] : []),
      ]
      const run = await timed(args, which === 'base' ? baseDir : dir, deploying ? env : {})
      run.requests = proxy.stats().log
      runs[which].push(run)
      if (round === 0 && deploying)
        console.log(`${which} loads ${/^@plugin (.*)$/m.exec(run.out)?.[1]}`)
    }
  }
  const med = (xs) => {
    const s = [...xs].sort((a, b) => a - b)
    return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
  }
  const { bare } = runs
  // The network's share, which the machine's load moves least: the first request's start to the last response's end.
  const span = (r) =>
    Math.max(...r.requests.map((q) => q.end)) - Math.min(...r.requests.map((q) => q.start))
  for (const which of cases.slice(1)) {
    const own = runs[which]
    console.log(
      `${which}: median ${med(own.map((r) => r.ms)).toFixed(0)} ms, bare vite build ${med(bare.map((r) => r.ms)).toFixed(0)} ms; added over the bare build (median of paired differences): ${med(own.map((r, i) => r.ms - bare[i].ms)).toFixed(0)} ms; first request from the spawn: ${med(own.map((r) => Math.min(...r.requests.map((q) => q.start)) - r.spawnedAt)).toFixed(0)} ms; first request to last response: ${med(own.map(span)).toFixed(0)} ms; last response to exit: ${med(own.map((r) => r.ms - (Math.max(...r.requests.map((q) => q.end)) - r.spawnedAt))).toFixed(0)} ms`,
    )
  }
  if (baseDir)
    console.log(
      `ours − base, median of paired differences: ${med(runs.ours.map((r, i) => r.ms - runs.base[i].ms)).toFixed(0)} ms; ratio ours ÷ base: ${med(runs.ours.map((r, i) => r.ms / runs.base[i].ms)).toFixed(3)}; first request to last response, paired: ${med(runs.ours.map((r, i) => span(r) - span(runs.base[i]))).toFixed(0)} ms`,
    )
  for (const which of cases.slice(1))
    for (const [i, run] of runs[which].entries()) {
      const marks = Object.entries(run.marks)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ')
      console.log(
        `\n${which}, round ${i + 1}: ${run.ms.toFixed(0)} ms (bare ${bare[i].ms.toFixed(0)}): ${marks}`,
      )
      for (const r of run.requests.sort((a, b) => a.start - b.start))
        console.log(
          `  ${r.method} ${r.path.replace(/^\/client\/v4\/accounts\/[^/]+/, '…').replace(/\?.*$/, '')}: ${(r.start - run.spawnedAt).toFixed(0)}–${(r.end - run.spawnedAt).toFixed(0)}${r.fresh ? ' (new connection)' : ''}`,
        )
    }
} finally {
  await proxy.close()
  await emulator.close()
  await rm(work, { recursive: true, force: true })
}

/** Runs node with `args` in `cwd`; the marks are in ms from the process's own start. */
function timed(args, cwd, env) {
  return new Promise((resolve, reject) => {
    const spawnedAt = performance.now()
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (out += c))
    child.on('error', reject)
    child.on('exit', (code) => {
      const ms = performance.now() - spawnedAt
      if (code !== 0) return reject(new Error(`exit ${code}:\n${out}`))
      const marks = {}
      for (const m of out.matchAll(/^@mark (\S+) ([\d.]+)$/gm)) marks[m[1]] = Number(m[2])
      resolve({ ms, marks, spawnedAt, out })
    })
  })
}
