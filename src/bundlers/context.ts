import type { ResolvedOptions } from '../options/index.js'
import type { BundlerName, OutputFile } from '../core/types.js'

/** What every bundler adapter gets from the plugin: the options and the two moments it reports. */
export interface AdapterContext {
  options: ResolvedOptions
  /**
   * Before the bundler does any work: checks that an upload, if one is asked for, has
   * everything it needs, so a bad option fails fast. Throws a WorkersVersionError.
   */
  prepare(info: { bundler: BundlerName; root: string; upload: boolean; logLevel?: string }): void
  /** The bundler has written its output: build the version from it (and upload when asked). */
  complete(files: OutputFile[], info: { bundler: BundlerName; root: string; upload: boolean }): Promise<void>
}
