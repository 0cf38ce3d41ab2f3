import type { ModuleRule, RuleMatcher } from './types.js'
import type { BundlerName, OutputFile } from './types.js'

// The types the pipeline's stages hand each other (adapters → plan → modules/body → api → report):
// each stage imports them from here, never from the stage that makes them.

/** What the bundler tells the plugin about one build before it does any work. */
export interface BuildInfo {
  bundler: BundlerName
  /** The bundler's root (Vite's `root`, webpack's `context`, else the current directory). */
  root: string
  /** Vite's mode; other bundlers have none. */
  mode?: string
  /** Watch and serve builds never upload. */
  watch?: boolean
  /**
   * The build generates each Worker's config (`@cloudflare/vite-plugin`): the Worker's name and
   * compatibility date are settled by the plan of each Worker, from its generated config.
   */
  generatesConfig?: boolean
  /**
   * Vite's `build.reportCompressedSize`: `false` asks for no gzip sizes in the build's report,
   * since compressing a large output is slow. Other bundlers have no such setting.
   */
  compressedSizes?: boolean
}

/** What the bundler says about a build before it works: the plan's inputs and its log level. */
export interface PrepareInfo extends BuildInfo {
  /** The bundler's own log level; the plugin is silent when the bundler is. */
  logLevel?: string
}

/**
 * One Worker that a build produced with `@cloudflare/vite-plugin`: its configuration is the
 * `wrangler.json` the Cloudflare plugin generated beside its output, which reflects what the user
 * built (`cloudflare({ config })` overrides included), not the source `wrangler.jsonc`.
 */
export interface GeneratedWorker {
  /** Absolute path of the generated `wrangler.json`. */
  configFile: string
  /** The entry Worker takes the plugin's `worker`, `version` and `secrets` options; auxiliary Workers only their own config. */
  entry: boolean
  /** `configFile` is a Build Output `worker.config.json` (`.cloudflare/output/v*`), not a generated `wrangler.json`. */
  buildOutput?: boolean
}

/** The output of one Worker of the build. */
export interface WorkerOutput {
  files: OutputFile[]
  /** Where the bundler wrote the Worker (absolute), when it wrote to disk: an assets directory must not contain it. */
  outDir?: string
  /** Set for Workers built by `@cloudflare/vite-plugin`: where their generated config is. */
  generated?: GeneratedWorker
  /** The output is a static site (a Vite client build of HTML pages), not Worker code: the version is assets-only. */
  assetsOnly?: boolean
  /** The framework (by name, as `LATE_FRAMEWORKS` lists it) that finishes this output after the bundler's last hook. */
  finishedBy?: string
}

/** The options an adapter reads (the resolved options have them all). */
export interface AdapterOptions {
  readonly environment?: string
  readonly uploadMode: string
  readonly worker?: string
  readonly rules: readonly ModuleRule[]
  readonly matchRule: RuleMatcher
}

/** What every bundler adapter gets from the plugin: the options, the build's root and the two moments it reports. */
export interface AdapterContext {
  readonly options: AdapterOptions
  /**
   * Before the bundler does any work: settles the build's plan, so a bad option or a
   * missing credential fails before the bundler spends any time. Throws a WorkersVersionError.
   */
  prepare(info: PrepareInfo): Promise<void>
  /**
   * The project root that relative paths start from: the prepared build's, decided once by
   * `prepare`. Before a build is prepared (webpack's watch mode never prepares) it is what
   * `prepare` would decide for `bundlerRoot`.
   */
  root(bundlerRoot: string): string
  /** The bundler has written its output: build a version of each Worker, and upload when the plan says so. */
  complete(workers: WorkerOutput[]): Promise<void>
}

/** One configured Durable Object migration step as wrangler's `migrations` lists it: a `tag` plus the step's fields. */
export interface TaggedMigrationStep {
  tag: string
  [field: string]: unknown
}

/** The `migrations` field of a version body (the multi-step form). */
export interface PendingMigrations {
  old_tag?: string
  new_tag: string
  steps: Record<string, unknown>[]
}
