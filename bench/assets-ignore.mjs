// `.assetsignore` matching cost: a directory of 2,000 files in 40 folders against an
// `.assetsignore` of 100,000 patterns (literal names, anchored paths, directory patterns, globs,
// a few negations), timed through `createAssetsIgnore` as the manifest walk calls it (every
// folder, then every file). Run with `node bench/assets-ignore.mjs [--patterns N] [--files N]
// [--source path/to/ignore.ts]`: it bundles src/assets/ignore.ts (or the given copy, to time
// another revision) with esbuild (internal, not an export) and imports the result.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { build } from 'esbuild'

const arg = (name, fallback) =>
  Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || fallback
const patternCount = arg('patterns', 100_000)
const fileCount = arg('files', 2_000)

const sourceAt = process.argv.indexOf('--source')
const source =
  sourceAt === -1
    ? new URL('../src/assets/ignore.ts', import.meta.url).pathname
    : process.argv[sourceAt + 1]
const bundled = await build({
  entryPoints: [source],
  nodePaths: [new URL('../node_modules', import.meta.url).pathname],
  bundle: true,
  format: 'esm',
  platform: 'node',
  write: false,
})
const { createAssetsIgnore } = await import(
  `data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`
)

const patterns = []
for (let i = 0; i < patternCount; i++) {
  switch (i % 5) {
    case 0:
      patterns.push(`private-${i}.txt`)
      break
    case 1:
      patterns.push(`/dir-${i % 97}/file-${i}.html`)
      break
    case 2:
      patterns.push(`cache-${i}/`)
      break
    case 3:
      patterns.push(`*.tmp${i}`)
      break
    default:
      patterns.push(i % 1000 === 4 ? `!keep-${i}.txt` : `build-${i}/**/*.map`)
  }
}
// A quarter of the files are named by a pattern (`private-<multiple of 5>.txt`), the rest by none.
const files = Array.from({ length: fileCount }, (_, i) =>
  i % 4 === 0
    ? `dir-${i % 40}/private-${(i * 5) % patternCount}.txt`
    : `dir-${i % 40}/file-${i}.${i % 3 === 0 ? 'html' : 'txt'}`,
)

const root = mkdtempSync(join(tmpdir(), 'assets-ignore-bench-'))
writeFileSync(join(root, '.assetsignore'), patterns.join('\n'))
try {
  let t = performance.now()
  const ignore = await createAssetsIgnore(root)
  const setup = performance.now() - t
  t = performance.now()
  let ignored = 0
  for (let d = 0; d < 40; d++) ignore.ignoresDirectory(`dir-${d}`)
  for (const file of files) if (ignore.ignoresFile(file)) ignored++
  const match = performance.now() - t
  console.log(
    `${patternCount} patterns, ${fileCount} files: read and compile ${setup.toFixed(0)} ms, match ${match.toFixed(0)} ms (${ignored} ignored)`,
  )
} finally {
  rmSync(root, { recursive: true, force: true })
}
