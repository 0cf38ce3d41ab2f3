import { promisify } from 'node:util'
import { gzip, gzipSync } from 'node:zlib'
import pLimit from 'p-limit'
import pc from 'picocolors'
import { SOURCE_MAP } from '../modules/content-types.js'
import { WorkersVersionError } from '../core/errors.js'
import { plural } from '../core/plural.js'
import type { ExcludedFile, WorkerModule } from '../core/types.js'
import { formatBytes } from './format.js'

const gzipAsync = promisify(gzip)

/** Platform limits the summary measures against. */
const WORKER_SIZE_LIMIT = 64 * 1024 * 1024
const SOURCE_MAP_GZIP_LIMIT = 15 * 1000 * 1000
/** The summary lists this many modules, the largest first; `request.json` lists them all. */
const LISTED_MODULES = 30
/**
 * Below this many bytes to compress, gzip runs on the main thread: for a small Worker the
 * thread-pool round trips cost more than the compression (about 2 ms against 7 ms, measured cold).
 */
const SYNC_GZIP_BYTES = 256 * 1024

interface ModuleSize {
  module: WorkerModule
  /** Measured only for listed modules other than source maps (and for source maps when their limit could be reached). */
  gzipBytes?: number
}

export interface VersionSizes {
  /** Every module, the largest first. */
  sizes: ModuleSize[]
  totalBytes: number
  /** Gzipped size of all source maps, when it was worth measuring. */
  mapsGzipBytes?: number
}

/**
 * Sizes for the summary and the limit checks. Gzip runs for the listed modules other than source
 * maps only, at most one per core at a time: compressing thousands of chunks at once held every
 * compressed copy in memory together. Source maps are gzipped only when their raw size could exceed the limit.
 */
export async function measureModules(
  modules: readonly WorkerModule[],
  { gzip = true }: { gzip?: boolean } = {},
): Promise<VersionSizes> {
  const sizes: ModuleSize[] = [...modules]
    .sort((a, b) => b.contents.byteLength - a.contents.byteLength)
    .map((module) => ({ module }))
  const totalBytes = sizes.reduce((sum, s) => sum + s.module.contents.byteLength, 0)
  const maps = sizes.filter((s) => s.module.content_type === SOURCE_MAP)
  const mapsRaw = maps.reduce((sum, s) => sum + s.module.contents.byteLength, 0)
  // A map's gzipped size matters only against the maps' own limit: listed, it costs as much
  // compressing as the code (often more bytes) and says nothing about the Worker's size.
  const mapsNearLimit = mapsRaw > SOURCE_MAP_GZIP_LIMIT
  // Without `gzip` (Vite's `build.reportCompressedSize: false`) only the maps' limit is measured.
  const measured = new Set([
    ...(gzip
      ? sizes.slice(0, LISTED_MODULES).filter((s) => s.module.content_type !== SOURCE_MAP)
      : []),
    ...(mapsNearLimit ? maps : []),
  ])
  const toCompress = [...measured].reduce((sum, s) => sum + s.module.contents.byteLength, 0)
  if (toCompress <= SYNC_GZIP_BYTES) {
    for (const s of measured) s.gzipBytes = gzipSync(s.module.contents).byteLength
  } else {
    const limit = pLimit(Math.max(1, process.getBuiltinModule('node:os').availableParallelism()))
    await Promise.all(
      [...measured].map((s) =>
        limit(async () => (s.gzipBytes = (await gzipAsync(s.module.contents)).byteLength)),
      ),
    )
  }
  const mapsGzipBytes = mapsNearLimit ? maps.reduce((sum, s) => sum + s.gzipBytes!, 0) : undefined
  return { sizes, totalBytes, mapsGzipBytes }
}

/** A Vite-like table of the version: the largest modules with type, size and gzip size, then the totals against the limits. */
export function summaryLines(
  mainModule: string,
  measured: VersionSizes,
  excluded: readonly ExcludedFile[],
): string[] {
  const listed = measured.sizes.slice(0, LISTED_MODULES)
  const width = Math.max(...listed.map((s) => s.module.name.length), 10)
  const typeWidth = Math.max(...listed.map((s) => s.module.content_type.length), 10)
  const lines = listed.map(({ module, gzipBytes }) => {
    const name =
      module.name === mainModule ? pc.cyan(module.name.padEnd(width)) : module.name.padEnd(width)
    const size = formatBytes(module.contents.byteLength).padStart(10)
    const gzip = gzipBytes === undefined ? '' : pc.dim(` │ gzip: ${formatBytes(gzipBytes)}`)
    return `  ${name}  ${pc.dim(module.content_type.padEnd(typeWidth))} ${pc.bold(size)}${gzip}`
  })
  const rest = measured.sizes.length - listed.length
  if (rest > 0) {
    const restBytes = measured.sizes
      .slice(LISTED_MODULES)
      .reduce((sum, s) => sum + s.module.contents.byteLength, 0)
    lines.push(
      pc.dim(
        `  … and ${plural(rest, 'more module')} (${formatBytes(restBytes)}), all listed in request.json`,
      ),
    )
  }
  const share = ((measured.totalBytes / WORKER_SIZE_LIMIT) * 100).toFixed(1)
  const code = measured.sizes.filter((s) => s.module.content_type !== SOURCE_MAP)
  const hasMaps = code.length < measured.sizes.length
  const totalGzip = code.every((s) => s.gzipBytes !== undefined)
    ? ` (gzip ${formatBytes(code.reduce((sum, s) => sum + s.gzipBytes!, 0))}${hasMaps ? ' without source maps' : ''})`
    : ''
  lines.push(`  main module: ${pc.cyan(mainModule)}`)
  lines.push(
    `  ${plural(measured.sizes.length, 'module')}, ${formatBytes(measured.totalBytes)}${totalGzip}, ${share}% of the 64 MiB Worker limit`,
  )
  lines.push(...leftOutLines(excluded).map((line) => pc.dim(line)))
  return lines
}

/**
 * Before an upload sends the version: a Worker over the 64 MiB limit fails the build, since the API
 * would refuse it (10027) only after receiving a body a third larger (base64). A dry run warns instead.
 */
export function assertWithinSizeLimit(measured: VersionSizes): void {
  if (measured.totalBytes <= WORKER_SIZE_LIMIT) return
  throw new WorkersVersionError(
    'WORKER_TOO_LARGE',
    `The Worker is ${measured.totalBytes.toLocaleString('en-US')} bytes (${formatBytes(measured.totalBytes)}), over the platform's 64 MiB (${WORKER_SIZE_LIMIT.toLocaleString('en-US')}-byte) limit, so the version was not sent (the API would refuse it with code 10027). ` +
      'The largest modules are listed above: move large data to KV, R2 or static assets (`assets`), or leave files out with a `rules` entry of type: false.',
  )
}

/** One line per reason, with the count and the names: `left out 2 files (reason): a.css, b.css`. */
function leftOutLines(excluded: readonly ExcludedFile[]): string[] {
  const byReason = new Map<string, string[]>()
  for (const file of excluded)
    byReason.set(file.reason, [...(byReason.get(file.reason) ?? []), file.fileName])
  return [...byReason].map(
    ([reason, names]) =>
      `  left out ${plural(names.length, 'file')} (${reason}): ${names.join(', ')}`,
  )
}

/** Warnings about the platform's size limits, or none. */
export function limitWarnings(measured: VersionSizes): string[] {
  const warnings: string[] = []
  if (measured.totalBytes > WORKER_SIZE_LIMIT) {
    warnings.push(
      `The Worker is ${formatBytes(measured.totalBytes)}, over the 64 MiB limit: an upload build refuses it before sending the version (the API would reject it with code 10027).`,
    )
  }
  if (measured.mapsGzipBytes !== undefined && measured.mapsGzipBytes > SOURCE_MAP_GZIP_LIMIT) {
    warnings.push(
      `Source maps are ${formatBytes(measured.mapsGzipBytes)} gzipped, over the platform's 15 MB limit; set \`sourcemaps: false\` or shrink them (e.g. drop sourcesContent).`,
    )
  }
  return warnings
}
