#!/usr/bin/env node
/**
 * Memory the upload of a large Worker costs, above what the process held right before it.
 *
 * A synthetic Worker (a small entry importing generated .txt and .bin files, ~60 MiB of modules in all) is
 * built with Rollup and unplugin-workers-version/rollup (`upload: true`) against the emulator, in a child
 * process (`node --expose-gc`). The upload phase starts at undici's first `undici:request:create` event:
 * there the child collects garbage twice, takes the baseline and samples `process.memoryUsage()` every
 * 20 ms until the build has finished.
 *
 * A second child does what a simple client would do with the same modules (read back from the plugin's
 * request.json, then garbage-collected): one object with base64 strings, `JSON.stringify`, `Buffer.from`,
 * undici `request`; baseline right before building the object, same sampling, plus a sample after each step.
 *
 * The emulator runs in this (parent) process, so what it spends receiving the bodies is not measured.
 *
 * Usage: npm run build && node bench/memory.mjs [--size-mb 60] [--runs 1]
 */
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import diagnostics from 'node:diagnostics_channel'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { clearInterval, setInterval } from 'node:timers'
import { parseArgs } from 'node:util'

const SELF = fileURLToPath(import.meta.url)
const MiB = 1024 * 1024
const WORKERS = { plugin: 'bench-memory-plugin', naive: 'bench-memory-naive' }
const SAMPLE_MS = 20

if (process.argv[2] === '--child') {
  process.once('message', (job) => {
    const run = job.mode === 'plugin' ? pluginChild : naiveChild
    run(job).then(
      (result) => process.send({ ok: true, result }, () => process.exit(0)),
      (error) =>
        process.send({ ok: false, error: error?.stack ?? String(error) }, () => process.exit(1)),
    )
  })
} else {
  await parent()
}

// ─── children ──────────────────────────────────────────────────────────────────────────────────

/** Baseline after two full collections, then a sample every 20 ms (and whenever `sample()` is called). */
function startSampling() {
  if (typeof globalThis.gc !== 'function') throw new Error('run the child with --expose-gc')
  globalThis.gc()
  globalThis.gc()
  const base = process.memoryUsage()
  const peak = {
    rss: 0,
    heapUsed: 0,
    external: 0,
    arrayBuffers: 0,
    heapExternal: 0,
    heapExternalArrayBuffers: 0,
  }
  let samples = 0
  const sample = () => {
    const m = process.memoryUsage()
    samples++
    const above = {
      rss: m.rss - base.rss,
      heapUsed: m.heapUsed - base.heapUsed,
      external: m.external - base.external,
      arrayBuffers: m.arrayBuffers - base.arrayBuffers,
    }
    above.heapExternal = above.heapUsed + above.external
    above.heapExternalArrayBuffers = above.heapExternal + above.arrayBuffers
    for (const key of Object.keys(peak)) peak[key] = Math.max(peak[key], above[key])
  }
  const timer = setInterval(sample, SAMPLE_MS)
  return {
    sample,
    stop() {
      clearInterval(timer)
      sample()
      return { base, peak, samples }
    },
  }
}

async function pluginChild({ emulator, project, outputDir }) {
  const [{ rollup }, { default: workersVersion }] = await Promise.all([
    import('rollup'),
    import('unplugin-workers-version/rollup'),
  ])
  let sampling
  const onRequest = () => {
    sampling ??= startSampling()
  }
  diagnostics.subscribe('undici:request:create', onRequest)
  const started = performance.now()
  const bundle = await rollup({
    input: join(project, 'src/index.js'),
    logLevel: 'silent',
    plugins: [
      workersVersion({
        worker: WORKERS.plugin,
        upload: true,
        apiBaseUrl: emulator.url,
        apiToken: emulator.token,
        accountId: emulator.accountId,
        outputDir,
        logLevel: 'warn',
        version: { compatibility_date: '2025-01-01' },
      }),
    ],
  })
  try {
    await bundle.write({ dir: join(project, 'dist'), format: 'es' })
  } finally {
    await bundle.close()
  }
  diagnostics.unsubscribe('undici:request:create', onRequest)
  if (!sampling) throw new Error('the plugin made no HTTP request: no upload phase to measure')
  return { ...sampling.stop(), buildMs: performance.now() - started }
}

async function naiveChild({ emulator, requestJson }) {
  const { request } = await import('undici')
  // The same modules as the plugin uploaded, as bytes (what a client holds before it builds a body).
  const parsed = JSON.parse(await readFile(requestJson, 'utf8'))
  const { modules: encoded, ...config } = parsed
  const modules = encoded.map((m) => ({
    name: m.name,
    content_type: m.content_type,
    bytes: Buffer.from(m.content_base64, 'base64'),
  }))
  encoded.length = 0

  const sampling = startSampling()
  const started = performance.now()
  const body = {
    ...config,
    modules: modules.map((m) => ({
      name: m.name,
      content_type: m.content_type,
      content_base64: m.bytes.toString('base64'),
    })),
  }
  sampling.sample()
  const json = JSON.stringify(body)
  sampling.sample()
  const payload = Buffer.from(json)
  sampling.sample()
  const response = await request(
    `${emulator.url}/accounts/${emulator.accountId}/workers/workers/${WORKERS.naive}/versions`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json' },
      body: payload,
    },
  )
  const answer = await response.body.json()
  sampling.sample()
  const measured = sampling.stop()
  // Every intermediate stays alive to the end, as in a client that builds the body in one function.
  keepAlive(body, json, payload)
  if (response.statusCode !== 200)
    throw new Error(`naive upload failed: ${response.statusCode} ${JSON.stringify(answer.errors)}`)
  return { ...measured, uploadMs: performance.now() - started, bodyBytes: payload.length }
}

function keepAlive(...values) {
  return values.length
}

// ─── parent ─────────────────────────────────────────────────────────────────────────────────────

async function parent() {
  const { values: args } = parseArgs({
    options: {
      'size-mb': { type: 'string', default: '60' },
      runs: { type: 'string', default: '1' },
    },
  })
  const sizeMiB = Number(args['size-mb'])
  const runs = Number(args.runs)
  if (!(sizeMiB > 0 && sizeMiB < 64))
    throw new Error('--size-mb must be above 0 and below 64 (the Worker size limit, MiB)')
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer')

  const { startEmulator } = await import('unplugin-workers-version/emulator')
  const work = await mkdtemp(join(tmpdir(), 'bench-memory-'))
  const emulator = await startEmulator({
    preview: false,
    maxBodyBytes: 200 * 1000 * 1000,
    autoCreateWorkers: true,
  })
  const shared = { url: emulator.url, token: emulator.token, accountId: emulator.accountId }
  try {
    const project = join(work, 'project')
    const moduleBytes = await generateWorker(project, sizeMiB)
    console.log(`synthetic Worker: ${(moduleBytes / MiB).toFixed(1)} MiB of modules in ${project}`)

    const rows = { plugin: [], naive: [] }
    for (let i = 0; i < runs; i++) {
      const outputDir = join(work, `out-${i}`)
      const plugin = await child({ mode: 'plugin', emulator: shared, project, outputDir })
      const pluginPost = checkOneVersion(emulator, WORKERS.plugin, i + 1)
      plugin.bodyBytes = Number(pluginPost.headers['content-length'])
      if (!(plugin.bodyBytes > 0)) throw new Error('the plugin POST carried no content-length')
      rows.plugin.push(plugin)

      const naive = await child({
        mode: 'naive',
        emulator: shared,
        requestJson: join(outputDir, 'request.json'),
      })
      checkOneVersion(emulator, WORKERS.naive, i + 1)
      rows.naive.push(naive)
      const [p, n] = [emulator.versions(WORKERS.plugin)[0], emulator.versions(WORKERS.naive)[0]]
      if (JSON.stringify(p.modules) !== JSON.stringify(n.modules))
        throw new Error('the two uploads carried different modules')
      const uploaded = p.modules.reduce(
        (sum, m) => sum + Buffer.from(m.content_base64, 'base64').length,
        0,
      )
      if (i === 0)
        console.log(
          `uploaded: ${p.modules.length} modules, ${(uploaded / MiB).toFixed(1)} MiB decoded`,
        )
      if (Math.abs(uploaded - moduleBytes) > 64 * 1024)
        throw new Error(`uploaded ${uploaded} bytes of modules, generated ${moduleBytes}`)
    }
    report(rows, moduleBytes)
  } finally {
    await emulator.close()
    await rm(work, { recursive: true, force: true })
  }
}

/** An entry importing text and data files that add up to `sizeMiB`; text is varied ASCII, data random bytes. */
async function generateWorker(project, sizeMiB) {
  const src = join(project, 'src')
  await mkdir(src, { recursive: true })
  const total = Math.round(sizeMiB * MiB)
  const parts = [
    ...Array.from({ length: 4 }, (_, i) => ({
      file: `text-${i}.txt`,
      bytes: Math.floor((total * 0.6) / 4),
    })),
    ...Array.from({ length: 3 }, (_, i) => ({
      file: `data-${i}.bin`,
      bytes: Math.floor((total * 0.4) / 3),
    })),
  ]
  let written = 0
  for (const [i, part] of parts.entries()) {
    // Every file differs: identical assets would be emitted once by Rollup.
    const content = part.file.endsWith('.txt') ? text(part.bytes, i + 1) : randomBytes(part.bytes)
    await writeFile(join(src, part.file), content)
    written += content.length
  }
  const imports = parts.map((p, i) => `import m${i} from './${p.file}'`).join('\n')
  const sizes = parts
    .map((p, i) => (p.file.endsWith('.txt') ? `m${i}.length` : `m${i}.byteLength`))
    .join(', ')
  const entry = `${imports}\nexport default {\n  fetch() {\n    return Response.json([${sizes}])\n  },\n}\n`
  await writeFile(join(src, 'index.js'), entry)
  return written + Buffer.byteLength(entry)
}

function text(bytes, seed) {
  const words = [
    'worker',
    'version',
    'module',
    'upload',
    'binding',
    'stream',
    'memory',
    'request',
    'emulator',
    'chunk',
  ]
  const out = Buffer.alloc(bytes)
  for (let at = 0; at < bytes;) {
    seed = (seed * 1103515245 + 12345) >>> 0
    const word = seed % 17 === 0 ? '\n' : `${words[seed % words.length]} `
    at += out.write(word, at, 'latin1')
  }
  return out
}

function child(job) {
  return new Promise((resolvePromise, reject) => {
    const proc = fork(SELF, ['--child'], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    let answered = false
    proc.on('message', (message) => {
      answered = true
      if (message.ok) resolvePromise(message.result)
      else reject(new Error(`${job.mode} child failed:\n${message.error}`))
    })
    proc.on('exit', (code) => {
      if (!answered) reject(new Error(`${job.mode} child exited with ${code} without an answer`))
    })
    proc.send(job)
  })
}

function checkOneVersion(emulator, worker, expected) {
  const count = emulator.versions(worker).length
  if (count !== expected)
    throw new Error(`${worker}: ${count} versions in the emulator, expected ${expected}`)
  const posts = emulator.requests.filter(
    (r) => r.method === 'POST' && r.path.endsWith(`/workers/workers/${worker}/versions`),
  )
  return posts[posts.length - 1]
}

function report(rows, moduleBytes) {
  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b)
    const mid = Math.floor(sorted.length / 2)
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  }
  const side = (list) => ({
    body: median(list.map((r) => r.bodyBytes)),
    heapExternal: median(list.map((r) => r.peak.heapExternal)),
    literal: median(list.map((r) => r.peak.heapExternalArrayBuffers)),
    arrayBuffers: median(list.map((r) => r.peak.arrayBuffers)),
    heapUsed: median(list.map((r) => r.peak.heapUsed)),
    rss: median(list.map((r) => r.peak.rss)),
    samples: median(list.map((r) => r.samples)),
    baseRss: median(list.map((r) => r.base.rss)),
  })
  const p = side(rows.plugin)
  const n = side(rows.naive)
  const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`
  const x = (bytes, body) => `${(bytes / body).toFixed(2)}×`
  const line = (label, a, b, fmt, ratio = true) =>
    console.log(
      `${label.padEnd(46)}${fmt(a).padStart(16)}${fmt(b).padStart(16)}${ratio ? `${(b / a).toFixed(2)}×`.padStart(13) : ''}`,
    )
  console.log('')
  console.log(
    `modules ${mb(moduleBytes)}; runs: ${rows.plugin.length}; node ${process.version}; values are medians over runs`,
  )
  console.log(
    `${'peak above the pre-upload baseline'.padEnd(46)}${'plugin'.padStart(16)}${'naive'.padStart(16)}${'naive/plugin'.padStart(13)}`,
  )
  console.log(
    `${'body size (bytes sent)'.padEnd(46)}${mb(p.body).padStart(16)}${mb(n.body).padStart(16)}`,
  )
  line('heapUsed + external', p.heapExternal, n.heapExternal, mb)
  line(
    '  as a multiple of the body size',
    p.heapExternal / p.body,
    n.heapExternal / n.body,
    (v) => `${v.toFixed(2)}×`,
  )
  line('heapUsed + external + arrayBuffers (literal)', p.literal, n.literal, mb)
  line(
    '  as a multiple of the body size',
    p.literal / p.body,
    n.literal / n.body,
    (v) => `${v.toFixed(2)}×`,
  )
  line('  peak heapUsed alone', p.heapUsed, n.heapUsed, mb, false)
  line('  peak arrayBuffers alone', p.arrayBuffers, n.arrayBuffers, mb, false)
  line('rss', p.rss, n.rss, mb, false)
  console.log(
    `samples taken: plugin ${p.samples}, naive ${n.samples}; baseline rss: plugin ${mb(p.baseRss)}, naive ${mb(n.baseRss)}`,
  )
  console.log('')
  console.log(
    'Node counts ArrayBuffers (Buffers) inside `external` already, so the literal sum counts them twice;',
  )
  console.log(
    '`heapUsed + external` is the one to read. Peaks are per field, except the sums (taken at the same instant).',
  )
  console.log(
    `upload phase: plugin (build end incl. report) ${median(rows.plugin.map((r) => r.buildMs)).toFixed(0)} ms whole build; naive ${median(rows.naive.map((r) => r.uploadMs)).toFixed(0)} ms`,
  )
  console.log(
    `summary: plugin ${mb(p.heapExternal)} = ${x(p.heapExternal, p.body)} the body; naive ${mb(n.heapExternal)} = ${x(n.heapExternal, n.body)} the body`,
  )
}
