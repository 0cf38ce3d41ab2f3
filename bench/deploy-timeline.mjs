#!/usr/bin/env node
/**
 * Where a Worker deploy's time goes, on the network model of bench/net-proxy.mjs: the playground
 * Worker deployed by `vite build --mode deploy` (promote: true, or none with `--upload`), each run a
 * fresh process whose config adds a tracing plugin around ours. Prints per run, in ms from the
 * spawn: the config loaded, buildStart, the bundle written, closeBundle's end (the upload awaited
 * inside ours), the process's exit; and each request the proxy saw (start–end, new connection).
 * A bare `vite build` of the same app runs in turn with it, for the added time.
 *
 *   node bench/deploy-timeline.mjs [--rounds 5] [--upload] [--cpu-prof DIR] [--keep-alive-ms N]
 */
import { spawn } from 'node:child_process'
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { performance } from 'node:perf_hooks'
import { startEmulatorProcess } from './emulator-process.mjs'
import { startNetProxy } from './net-proxy.mjs'
import { installPluginCopy } from './install-copy.mjs'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const VITE = join(dirname(require.resolve('vite/package.json')), 'bin/vite.js')
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    upload: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
  },
})
const rounds = Number(values.rounds)

const emulator = await startEmulatorProcess({ preview: false })
const proxy = await startNetProxy(emulator.url)
const work = await mkdtemp(join(REPO, 'bench/.work-timeline-'))
try {
  await installPluginCopy(work)
  const dir = join(work, 'worker')
  await cp(join(REPO, 'playground/src'), join(dir, 'src'), { recursive: true })
  await cp(join(REPO, 'playground/shared.js'), join(dir, 'shared.js'))
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
  const bare = []
  const ours = []
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? ['ours', 'bare'] : ['bare', 'ours']
    for (const which of order) {
      proxy.reset()
      const prof =
        values['cpu-prof'] && which === 'ours' && round === rounds - 1
          ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']]
          : []
      const config = which === 'ours' ? 'vite.deploy.config.mjs' : 'vite.bare.config.mjs'
      const args = [
        ...prof,
        VITE,
        'build',
        '-c',
        config,
        ...(which === 'ours' ? ['--mode', 'deploy'] : []),
      ]
      const run = await timed(args, dir, which === 'ours' ? env : {})
      run.requests = proxy.stats().log
      ;(which === 'ours' ? ours : bare).push(run)
    }
  }
  const med = (xs) => {
    const s = [...xs].sort((a, b) => a - b)
    return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
  }
  console.log(
    `bare vite build: median ${med(bare.map((r) => r.ms)).toFixed(0)} ms; ours: ${med(ours.map((r) => r.ms)).toFixed(0)} ms; added (median of paired differences): ${med(ours.map((r, i) => r.ms - bare[i].ms)).toFixed(0)} ms`,
  )
  for (const [i, run] of ours.entries()) {
    const marks = Object.entries(run.marks)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', ')
    console.log(
      `\nours, round ${i + 1}: ${run.ms.toFixed(0)} ms (bare ${bare[i].ms.toFixed(0)}): ${marks}`,
    )
    console.log(
      `  bare marks: ${Object.entries(bare[i].marks)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ')}`,
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
