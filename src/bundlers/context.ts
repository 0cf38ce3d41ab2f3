import type { OutputFile } from '../core/types.js'
import type { ResolvedOptions } from '../options/resolve.js'
import type { BuildInfo, BuildPlan, GeneratedWorker } from '../plan.js'

/** The output of one Worker of the build. */
export interface WorkerOutput {
  files: OutputFile[]
  /** Where the bundler wrote the Worker (absolute), when it wrote to disk: an assets directory must not contain it. */
  outDir?: string
  /** Set for Workers built by `@cloudflare/vite-plugin`: where their generated config is. */
  generated?: GeneratedWorker
}

/** What the bundler says about a build before it works: the plan's inputs and its log level. */
export interface PrepareInfo extends BuildInfo {
  /** The bundler's own log level; the plugin is silent when the bundler is. */
  logLevel?: string
}

/** What every bundler adapter gets from the plugin: the options and the two moments it reports. */
export interface AdapterContext {
  readonly options: ResolvedOptions
  /**
   * Before the bundler does any work: settles the build's plan, so a bad option or a
   * missing credential fails before the bundler spends any time. Throws a WorkersVersionError.
   */
  prepare(info: PrepareInfo): Promise<BuildPlan>
  /** The bundler has written its output: build a version of each Worker, and upload when the plan says so. */
  complete(workers: WorkerOutput[]): Promise<void>
}
