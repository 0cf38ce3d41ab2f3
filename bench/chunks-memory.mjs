// Peak memory of a dry-run build with many chunks, with the plugin against the same build
// without it (issue: "a dry-run build of 2,000 chunks peaks at no more than 1.3× the memory of
// the same build without the plugin"). Each build is a fresh Rollup process; its peak RSS is
// read from `process.resourceUsage().maxRSS` when it exits. Plain Node, prints a markdown table.
//
//   npm run build && node bench/chunks-memory.mjs [--chunks 2000] [--rounds 3]
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
  },
})
const chunks = Number(values.chunks)
const rounds = Number(values.rounds)
const repo = resolve(import.meta.dirname, '..')

const dir = await mkdtemp(join(tmpdir(), 'chunks-memory-'))
await mkdir(join(dir, 'src'))
const routes = Array.from(
  { length: chunks },
  (_, i) => `  '/${i}': () => import('./chunk-${i}.js'),`,
).join('\n')
await writeFile(
  join(dir, 'src/index.js'),
  `const routes = {\n${routes}\n}\nexport default { async fetch(request) { const load = routes[new URL(request.url).pathname]; return new Response(load ? (await load()).text : 'index') } }\n`,
)
// Chunks of a few kB each, with source maps: roughly what a large app splits into.
for (let i = 0; i < chunks; i++) {
  const body = Array.from(
    { length: 40 },
    (_, j) => `export function f${j}(x) { return x * ${i} + ${j} /* ${'padding '.repeat(4)} */ }`,
  ).join('\n')
  await writeFile(join(dir, `src/chunk-${i}.js`), `${body}\nexport const text = 'chunk ${i}'\n`)
}

/** One Rollup build in a fresh process; returns its peak RSS in MB and its wall time in ms. */
function run(withPlugin) {
  const script = `
    import { rollup } from 'rollup'
    ${withPlugin ? `import workersVersion from '${join(repo, 'dist/rollup.js')}'` : ''}
    const started = performance.now()
    const bundle = await rollup({ input: 'src/index.js', plugins: [${withPlugin ? "workersVersion({ worker: 'chunks', logLevel: 'silent', gitAnnotations: false, version: { compatibility_date: '2025-01-01' } })" : ''}] })
    await bundle.write({ dir: 'dist', format: 'es', sourcemap: true })
    await bundle.close()
    console.log(JSON.stringify({ rssMb: process.resourceUsage().maxRSS / 1024, ms: performance.now() - started }))`
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir,
    env: { ...process.env, NODE_PATH: join(repo, 'node_modules') },
    encoding: 'utf8',
  })
  return JSON.parse(out.trim().split('\n').pop())
}

// The child resolves packages from the repository's node_modules through a link.
await execFileSync('ln', ['-s', join(repo, 'node_modules'), join(dir, 'node_modules')])
const samples = { bare: [], plugin: [] }
try {
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? ['bare', 'plugin'] : ['plugin', 'bare'])
      samples[side].push(run(side === 'plugin'))
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const rss = (side) => median(samples[side].map((s) => s.rssMb))
const ms = (side) => median(samples[side].map((s) => s.ms))
const ratio = rss('plugin') / rss('bare')
console.log(
  `| ${chunks} chunks, Rollup dry run (${rounds} rounds, medians) | peak RSS | build time |`,
)
console.log('|---|---|---|')
console.log(`| without the plugin | ${rss('bare').toFixed(0)} MB | ${ms('bare').toFixed(0)} ms |`)
console.log(`| with the plugin | ${rss('plugin').toFixed(0)} MB | ${ms('plugin').toFixed(0)} ms |`)
console.log(
  `| ratio (goal ≤ 1.3×) | ${ratio.toFixed(2)}× ${ratio <= 1.3 ? '✓' : '✗'} | ${(ms('plugin') / ms('bare')).toFixed(2)}× |`,
)
