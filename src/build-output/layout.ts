import { join } from 'node:path'

// Where Cloudflare's Build Output lives and what its files are called (developers.cloudflare.com/workers/build-output/).

/** Relative to the project root; one directory per format version below it. */
export const BUILD_OUTPUT_ROOT = '.cloudflare/output'
/** The versions this plugin reads: v0 (what @cloudflare/vite-plugin 1.x writes) and v1 (its 2.0 line). */
export const READABLE_VERSIONS = ['v0', 'v1'] as const
export type BuildOutputVersion = (typeof READABLE_VERSIONS)[number]
/** What `buildOutput: true` writes: v0, the version the Cloudflare Vite plugin 1.x (1.64) reads back in `vite preview`. */
export const DEFAULT_WRITTEN_VERSION: BuildOutputVersion = 'v0'
export const ROOT_CONFIG_FILE = 'config.json'
export const WORKER_CONFIG_FILE = 'worker.config.json'
/** The Worker that Cloudflare's commands use; any other directory is an additional Worker. */
export const DEFAULT_WORKER_DIRECTORY = 'default'

export function buildOutputRoot(projectRoot: string): string {
  return join(projectRoot, BUILD_OUTPUT_ROOT)
}

export function workerDirectory(versionDir: string, directory: string): string {
  return join(versionDir, 'workers', directory)
}
