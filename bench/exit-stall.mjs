// The exit stall: after one undici request the process takes longer to exit,
// because V8 tiers up undici's llhttp WebAssembly with TurboFan on background threads and
// Node waits for those jobs before it exits. This script measures candidate fixes the way a
// user feels them: each variant is a fresh `node` process that makes one undici POST to a
// server on 127.0.0.1, timed from spawn until the process has exited, in alternating rounds.
//
//   node bench/exit-stall.mjs [--rounds 15]
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' } } })
const rounds = Number(values.rounds)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')

// The child: one POST of a small JSON body, the way src/api/transport.ts sends it.
// `mode` picks the candidate; the child prints when its response was read (ms since its start).
const child = String.raw`
const [mode, url, extra] = process.argv.slice(1)
const v8 = await import('node:v8')
const scoped = mode === 'scoped'
const { Agent, request } = await import('undici')
const agent = new Agent({ connectTimeout: 10000, headersTimeout: 60000, bodyTimeout: 60000 })
const body = Buffer.from(JSON.stringify({ main_module: 'index.js', modules: [{ name: 'index.js', content_base64: 'x'.repeat(4000) }] }))
const post = () => request(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: agent })
// scoped: the flags are off only while undici connects (and compiles llhttp), back on once headers arrive.
if (scoped) v8.setFlagsFromString('--no-wasm-tier-up'), v8.setFlagsFromString('--no-wasm-dynamic-tiering')
const response = await post().finally(() => { if (scoped) v8.setFlagsFromString('--wasm-tier-up'), v8.setFlagsFromString('--wasm-dynamic-tiering') })
await response.body.text()
// extra requests after the flags are back on: does llhttp still tier up later?
for (let i = 0; i < Number(extra ?? 0); i++) await (await post()).body.text()
await agent.destroy()
process.stdout.write(String(performance.now()))
`

const server = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ success: true, errors: [], messages: [], result: { id: 'v1' } }))
  })
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${server.address().port}/accounts/a/workers/workers/w/versions`

const variants = [
  { name: 'baseline: Agent, request, destroy', mode: 'baseline' },
  {
    name: 'UNDICI_NO_WASM_SIMD=1 (plain llhttp build)',
    mode: 'baseline',
    env: { UNDICI_NO_WASM_SIMD: '1' },
  },
  {
    name: 'v8.setFlagsFromString: tier-up off while connecting, restored at headers',
    mode: 'scoped',
  },
  { name: 'baseline, then 200 more requests', mode: 'baseline', extra: 200 },
  { name: 'scoped flags, then 200 more requests with flags restored', mode: 'scoped', extra: 200 },
  {
    name: 'reference: node --no-wasm-tier-up --no-wasm-dynamic-tiering',
    mode: 'baseline',
    flags: ['--no-wasm-tier-up', '--no-wasm-dynamic-tiering'],
  },
  { name: 'reference: node -e "" (start-up only)', empty: true },
]
for (const variant of variants) Object.assign(variant, { total: [], tail: [] })

function runOnce(variant) {
  const args = variant.empty
    ? ['-e', '']
    : [
        ...(variant.flags ?? []),
        '--input-type=module',
        '-e',
        child,
        variant.mode,
        url,
        String(variant.extra ?? 0),
      ]
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const proc = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ...variant.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    proc.stdout.on('data', (chunk) => (out += chunk))
    proc.on('error', reject)
    proc.on('exit', (code) => {
      const total = Number(process.hrtime.bigint() - started) / 1e6
      if (code !== 0) return reject(new Error(`${variant.name} exited with ${code}`))
      // `tail`: from the response being read (child clock) to the exit (parent clock),
      // approximated as total minus the child's own uptime at that point.
      resolve({ total, tail: variant.empty ? 0 : total - Number(out) })
    })
  })
}

for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? variants : [...variants].reverse()
  for (const variant of order) {
    const { total, tail } = await runOnce(variant)
    variant.total.push(total)
    variant.tail.push(tail)
  }
}
server.close()

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const fmt = (xs) =>
  `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`
console.log(`${rounds} alternating rounds, node ${process.version}; ms, median (min–max)\n`)
console.log('| variant | spawn → exit | response read → exit |')
console.log('|---|---|---|')
for (const variant of variants)
  console.log(
    `| ${variant.name} | ${fmt(variant.total)} | ${variant.empty ? '' : fmt(variant.tail)} |`,
  )
