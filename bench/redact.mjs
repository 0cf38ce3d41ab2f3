// Redaction cost: one run's redactor, seeded as an upload seeds it, over a 5 MB body
// like the ones it sees (JSON with base64 modules), and over 5 MB of server-like text. Run with
// `node bench/redact.mjs [--rounds 15]`: it bundles src/core/redact.ts with esbuild (the
// redactor is internal, not an export of the package) and imports the result.
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { build } from 'esbuild'

const bundled = await build({
  entryPoints: [new URL('../src/core/redact.ts', import.meta.url).pathname],
  bundle: true,
  format: 'esm',
  platform: 'node',
  write: false,
})
const { redactorFor } = await import(
  `data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`
)

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 15
const token = randomBytes(30).toString('base64url') // 40 characters, as Cloudflare's tokens
const run = {
  credentials: { apiToken: token, apiKey: randomBytes(18).toString('hex').slice(0, 37) },
  bindings: [
    { type: 'secret_text', name: 'A', text: randomBytes(24).toString('base64') },
    { type: 'secret_text', name: 'B', text: 'correct horse battery staple' },
    { type: 'secret_text', name: 'FROM_ENV', text: randomBytes(16).toString('hex') },
    {
      type: 'secret_key',
      name: 'K',
      format: 'raw',
      algorithm: { name: 'HMAC', hash: 'SHA-256' },
      usages: ['sign'],
      key_base64: randomBytes(32).toString('base64'),
    },
  ],
  secrets: [
    `${randomBytes(40).toString('base64url')}.${randomBytes(80).toString('base64url')}.${randomBytes(32).toString('base64url')}`,
    'proxy-user:proxy-password-123',
  ],
}
const bodies = {
  'JSON body, base64 modules': JSON.stringify({
    main_module: 'index.js',
    modules: [
      {
        name: 'index.js',
        content_type: 'application/javascript+module',
        content_base64: randomBytes(3_750_000).toString('base64'),
      },
    ],
  }),
  'log-like text': Array.from(
    { length: 110_000 },
    (_, i) => `line ${i}: request ${randomBytes(8).toString('hex')} took ${i % 97} ms\n`,
  )
    .join('')
    .slice(0, 5_000_000),
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
let t = performance.now()
const redactor = redactorFor(run)
console.log(`redactor built in ${(performance.now() - t).toFixed(2)} ms (${redactor.size} secrets)`)
for (const [label, body] of Object.entries(bodies)) {
  const times = []
  for (let i = 0; i < rounds; i++) {
    t = performance.now()
    const out = redactor.redact(body)
    times.push(performance.now() - t)
    if (out.length !== body.length) throw new Error('a random body matched a secret')
  }
  console.log(
    `${label} (${(body.length / 1e6).toFixed(1)} MB): median ${median(times).toFixed(1)} ms, min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)} over ${rounds} rounds`,
  )
}
