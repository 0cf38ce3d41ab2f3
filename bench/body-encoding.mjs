// An experiment for src/core/serialize.ts (row 4 of run.mjs): how the body's module
// JSON is turned into bytes decides the upload's speed and memory. Each variant streams the same
// modules to the emulator with undici, in a fresh `node --expose-gc` process, and reports the
// upload phase (undici:request:create → bodySent) and peak heapUsed + external above the baseline.
//
//   whole-string  what serialize.ts does today: per module, base64 of all of it inside one
//                 template string, then Buffer.from(string) (UTF-8 encoding of a cons string)
//   sliced-latin1 per module: the JSON envelope as one Buffer, then the contents in 3 × 256 KiB
//                 slices, each Buffer.from(slice.toString('base64'), 'latin1') (a plain copy)
//
//   sliced-latin1, generator as body  the same pieces, the generator handed to undici directly
//
// `--target sink` sends to a plain node:http server on 127.0.0.1 that only reads and discards the
// body, to tell the client's cost from the emulator's. (A Buffer body is no reference here:
// undici reports it sent as soon as it is queued on the socket.)
//
//   node bench/body-encoding.mjs [--rounds 5] [--mb 10,50] [--target emulator|sink]
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { clearInterval, setInterval } from 'node:timers'
import { parseArgs } from 'node:util'

const SELF = fileURLToPath(import.meta.url)

if (process.argv[2] === '--child') await child(JSON.parse(process.argv[3]))
else await parent()

async function parent() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      mb: { type: 'string', default: '10,50' },
      target: { type: 'string', default: 'emulator' },
    },
  })
  const { startEmulator } = await import('unplugin-workers-version/emulator')
  const emulator = await startEmulator({ preview: false, maxBodyBytes: 200 * 1000 * 1000 })
  const { createServer } = await import('node:http')
  const sink = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.end('{"success":true}'))
  })
  await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve))
  const target =
    values.target === 'sink'
      ? `http://127.0.0.1:${sink.address().port}/sink`
      : `${emulator.url}/accounts/${emulator.accountId}/workers/workers/bench-encoding/versions`
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b)
    const m = s.length >> 1
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
  }
  const rows = []
  try {
    for (const mb of values.mb.split(',').map(Number)) {
      const results = {
        'whole-string': [],
        'sliced-latin1': [],
        'sliced-latin1, generator as body': [],
      }
      for (let round = 0; round < Number(values.rounds); round++) {
        const order = round % 2 ? Object.keys(results).reverse() : Object.keys(results)
        for (const variant of order) {
          const job = { variant, mb, url: target, token: emulator.token }
          results[variant].push(await run(job))
        }
      }
      for (const [variant, list] of Object.entries(results)) {
        const rate = list.map((r) => r.moduleBytes / 1e6 / (r.uploadMs / 1000))
        const peak = list.map((r) => r.peak / 1e6)
        rows.push(
          `| ${mb} MB | ${variant} | ${median(rate).toFixed(0)} MB/s (${Math.min(...rate).toFixed(0)}–${Math.max(...rate).toFixed(0)}) | ${median(peak).toFixed(1)} MB (${Math.min(...peak).toFixed(1)}–${Math.max(...peak).toFixed(1)}) | ${((median(peak) * 1e6) / list[0].bodyBytes).toFixed(2)}× |`,
        )
      }
    }
  } finally {
    await emulator.close()
    sink.close()
  }
  console.log(
    `${values.rounds} alternating rounds, node ${process.version}, sent to the ${values.target}; medians (min–max)\n`,
  )
  console.log('| modules | variant | upload speed | peak heap+external above baseline | × body |')
  console.log('|---|---|---|---|---|')
  for (const row of rows) console.log(row)
}

function run(job) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--expose-gc', SELF, '--child', JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    proc.stdout.on('data', (c) => (out += c))
    proc.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out))
        : reject(new Error(`${job.variant} exited with ${code}`)),
    )
  })
}

async function child({ variant, mb, url, token }) {
  const diagnostics = await import('node:diagnostics_channel')
  const { Readable } = await import('node:stream')
  const { request } = await import('undici')
  // code, its map and a wasm-like blob, as in run.mjs row 4
  const total = mb * 1e6
  const modules = [
    {
      name: 'index.js',
      content_type: 'application/javascript+module',
      contents: Buffer.from('export default {}'),
    },
    {
      name: 'big.js',
      content_type: 'application/javascript+module',
      contents: Buffer.from('worker version '.repeat(Math.round((total * 0.35) / 15))),
    },
    {
      name: 'big.js.map',
      content_type: 'application/source-map',
      contents: Buffer.from(
        '{"version":3,"sourcesContent":["' +
          'worker version '.repeat(Math.round((total * 0.35) / 15)) +
          '"]}',
      ),
    },
    {
      name: 'data.wasm',
      content_type: 'application/wasm',
      contents: randomBytes(Math.round(total * 0.3)),
    },
  ]
  const envelope = (m) =>
    `{"name":${JSON.stringify(m.name)},"content_type":${JSON.stringify(m.content_type)},"content_base64":"`
  function* wholeString() {
    yield Buffer.from('{"main_module":"index.js","compatibility_date":"2025-06-01","modules":[')
    for (const [i, m] of modules.entries())
      yield Buffer.from(`${i ? ',' : ''}${envelope(m)}${m.contents.toString('base64')}"}`)
    yield Buffer.from(']}')
  }
  const SLICE = 3 * 256 * 1024
  function* slicedLatin1() {
    yield Buffer.from('{"main_module":"index.js","compatibility_date":"2025-06-01","modules":[')
    for (const [i, m] of modules.entries()) {
      yield Buffer.from(`${i ? ',' : ''}${envelope(m)}`)
      for (let at = 0; at < m.contents.length; at += SLICE)
        yield Buffer.from(m.contents.subarray(at, at + SLICE).toString('base64'), 'latin1')
      yield Buffer.from('"}')
    }
    yield Buffer.from(']}')
  }
  let phase
  diagnostics.subscribe('undici:request:create', () => {
    globalThis.gc()
    globalThis.gc()
    const base = process.memoryUsage()
    const p = { peak: 0, started: process.hrtime.bigint() }
    p.sample = () => {
      const m = process.memoryUsage()
      p.peak = Math.max(p.peak, m.heapUsed + m.external - base.heapUsed - base.external)
    }
    p.timer = setInterval(p.sample, 10)
    phase = p
  })
  let bodyBytes = 0
  diagnostics.subscribe('undici:request:bodyChunkSent', ({ chunk }) => (bodyBytes += chunk.length))
  diagnostics.subscribe('undici:request:bodySent', () => {
    phase.sample()
    phase.uploadMs = Number(process.hrtime.bigint() - phase.started) / 1e6
    clearInterval(phase.timer)
  })
  let body
  if (variant === 'whole-string') body = Readable.from(wholeString(), { objectMode: false })
  else if (variant === 'sliced-latin1') body = Readable.from(slicedLatin1(), { objectMode: false })
  else body = slicedLatin1()
  const response = await request(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body,
  })
  const text = await response.body.text()
  if (response.statusCode !== 200)
    throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`)
  const moduleBytes = modules.reduce((sum, m) => sum + m.contents.length, 0)
  process.stdout.write(
    JSON.stringify({ uploadMs: phase.uploadMs, peak: phase.peak, moduleBytes, bodyBytes }),
  )
}
