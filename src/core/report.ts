import { createWriteStream } from 'node:fs'
import { mkdir, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'
import pc from 'picocolors'
import { SOURCE_MAP } from './content-types.js'
import { bodyChunks, type VersionPayload } from './serialize.js'
import type { ExcludedFile, WorkerModule } from './types.js'

const gzipAsync = promisify(gzip)

/** Platform limits the summary measures against. */
export const WORKER_SIZE_LIMIT = 64 * 1024 * 1024
export const SOURCE_MAP_GZIP_LIMIT = 15 * 1000 * 1000

export interface Logger {
  info(line: string): void
  warn(line: string): void
}

export type LogLevel = 'info' | 'warn' | 'silent'

/** The plugin's log level from the bundler's: only its silence is followed (esbuild's API defaults to 'warning'). */
export function logLevelOf(bundlerLevel: string | undefined): LogLevel {
  return bundlerLevel === 'silent' || bundlerLevel === 'error' ? 'silent' : 'info'
}

/** Console output at a level; errors are never logged here, they fail the build. */
export function createLogger(level: () => LogLevel): Logger {
  return {
    info: (line) => {
      if (level() === 'info') console.log(line)
    },
    warn: (line) => {
      if (level() !== 'silent') console.warn(line)
    },
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(2)} kB`
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`
}

export interface ModuleSize {
  module: WorkerModule
  gzipBytes: number
}

/** Gzip sizes of every module, compressed concurrently off the main thread (zlib's pool). */
export async function measureModules(modules: readonly WorkerModule[]): Promise<ModuleSize[]> {
  return Promise.all(modules.map(async (module) => ({ module, gzipBytes: (await gzipAsync(module.contents)).byteLength })))
}

/** A Vite-like table of the version: name, type, size, gzip size, and the totals against the limits. */
export function summaryLines(mainModule: string, sizes: readonly ModuleSize[], excluded: readonly ExcludedFile[]): string[] {
  const width = Math.max(...sizes.map((s) => s.module.name.length), 10)
  const typeWidth = Math.max(...sizes.map((s) => s.module.content_type.length), 10)
  const lines = sizes.map(({ module, gzipBytes }) => {
    const name = module.name === mainModule ? pc.cyan(module.name.padEnd(width)) : module.name.padEnd(width)
    const size = formatBytes(module.contents.byteLength).padStart(10)
    return `  ${name}  ${pc.dim(module.content_type.padEnd(typeWidth))} ${pc.bold(size)} ${pc.dim(`│ gzip: ${formatBytes(gzipBytes)}`)}`
  })
  const total = sizes.reduce((sum, s) => sum + s.module.contents.byteLength, 0)
  const totalGzip = sizes.reduce((sum, s) => sum + s.gzipBytes, 0)
  const share = ((total / WORKER_SIZE_LIMIT) * 100).toFixed(1)
  lines.push(`  main module: ${pc.cyan(mainModule)}`)
  lines.push(`  ${sizes.length} modules, ${formatBytes(total)} (gzip ${formatBytes(totalGzip)}), ${share}% of the 64 MiB Worker limit`)
  for (const file of excluded) lines.push(pc.dim(`  left out: ${file.fileName} (${file.reason})`))
  return lines
}

/** Warnings about the platform's size limits, or none. */
export function limitWarnings(sizes: readonly ModuleSize[]): string[] {
  const warnings: string[] = []
  const total = sizes.reduce((sum, s) => sum + s.module.contents.byteLength, 0)
  if (total > WORKER_SIZE_LIMIT) {
    warnings.push(`The Worker is ${formatBytes(total)}, over the 64 MiB limit: the upload will be rejected (code 10027).`)
  }
  const mapsGzip = sizes.filter((s) => s.module.content_type === SOURCE_MAP).reduce((sum, s) => sum + s.gzipBytes, 0)
  if (mapsGzip > SOURCE_MAP_GZIP_LIMIT) {
    warnings.push(
      `Source maps are ${formatBytes(mapsGzip)} gzipped, over the platform's 15 MB limit; set \`sourcemaps: false\` or shrink them (e.g. drop sourcesContent).`,
    )
  }
  return warnings
}

/**
 * Writes `request.json`: exactly the body the upload sends, secrets redacted.
 * Written to a temporary name and renamed, so an interrupted build never leaves half a file.
 */
export async function writeRequestJson(outputDir: string, payload: VersionPayload): Promise<string> {
  await mkdir(outputDir, { recursive: true })
  const file = join(outputDir, 'request.json')
  const partial = `${file}.partial`
  await pipeline(Readable.from(bodyChunks(payload, true)), createWriteStream(partial))
  await rename(partial, file)
  return file
}
