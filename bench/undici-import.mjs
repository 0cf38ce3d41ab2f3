// What loading undici costs the API client: its whole index against the two internal modules
// src/api/undici.ts loads (the Agent and `request`). Each variant is a fresh `node` process in
// alternating rounds; the child reports how long its import took, the parent the spawn → exit.
//
//   node bench/undici-import.mjs [--rounds 15]
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' } } })
const rounds = Number(values.rounds)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')

const child = (load) => String.raw`
const { createRequire } = await import('node:module')
const require = createRequire(process.cwd() + '/')
const started = performance.now()
${load}
process.stdout.write(String(performance.now() - started))
`
const variants = [
  { name: "`import('undici')` (the whole index)", code: child("await import('undici')") },
  {
    name: 'agent + api-request (what src/api/undici.ts loads)',
    code: child("require('undici/lib/dispatcher/agent'); require('undici/lib/api/api-request')"),
  },
  {
    name: 'agent + api-request + web/fetch/formdata (an upload with assets)',
    code: child(
      "require('undici/lib/dispatcher/agent'); require('undici/lib/api/api-request'); require('undici/lib/web/fetch/formdata')",
    ),
  },
  { name: 'reference: nothing loaded', code: child('') },
]
for (const variant of variants) Object.assign(variant, { total: [], load: [] })

function runOnce(variant) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const proc = spawn(process.execPath, ['--input-type=module', '-e', variant.code], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    proc.stdout.on('data', (chunk) => (out += chunk))
    proc.on('error', reject)
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${variant.name} exited with ${code}`))
      resolve({ total: Number(process.hrtime.bigint() - started) / 1e6, load: Number(out) })
    })
  })
}

for (let round = 0; round < rounds; round++) {
  for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
    const { total, load } = await runOnce(variant)
    variant.total.push(total)
    variant.load.push(load)
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
const fmt = (xs) =>
  `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`
console.log(`${rounds} alternating rounds, node ${process.version}; ms, median (min–max)\n`)
console.log('| variant | import | spawn → exit |')
console.log('|---|---|---|')
for (const variant of variants)
  console.log(`| ${variant.name} | ${fmt(variant.load)} | ${fmt(variant.total)} |`)
