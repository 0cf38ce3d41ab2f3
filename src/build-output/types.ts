// The parts of Build Output's JSON files this plugin reads or writes, camelCase as on disk.

/** How a module of `bundle/` is loaded. */
export type ManifestModuleType =
  'esm' | 'cjs' | 'python' | 'python-requirement' | 'wasm' | 'text' | 'data' | 'json' | 'sourcemap'

/**
 * The modules of `bundle/`. A complete manifest lists every module, the main one included; a
 * partial one lists only what cannot be inferred from the files (`.js`/`.mjs` are ES modules,
 * `.map` source maps) and never the main module.
 */
export interface BundleManifest {
  type: 'partial' | 'complete'
  mainModule: string
  modules: Record<string, { type: ManifestModuleType }>
}

/** One binding of a Worker's `env`, keyed by its name in `env`. */
export interface OutputBinding {
  type: string
  [field: string]: unknown
}

/** `workers/<dir>/worker.config.json`. */
export interface OutputWorkerConfig {
  name: string
  compatibilityDate: string
  compatibilityFlags?: string[]
  assets?: {
    htmlHandling?: string
    notFoundHandling?: string
    runWorkerFirst?: boolean | string[]
    basePath?: string
  }
  placement?: Record<string, unknown>
  limits?: { cpuMs?: number; subrequests?: number }
  env?: Record<string, OutputBinding>
  manifest?: BundleManifest
  [key: string]: unknown
}

interface BuildContext {
  isPreview: boolean
  mode?: string
}

/** v0's root `config.json`: account settings at the top level. */
export interface RootConfigV0 {
  accountId?: string
  complianceRegion?: 'public' | 'fedramp-high'
  buildContext: BuildContext
}

/** v1's root `config.json` (as wrangler 4.164 writes it): account settings under `settings`, and the tool that wrote it. */
export interface RootConfigV1 {
  producer?: { name: string; version: string }
  settings?: { accountId?: string; complianceRegion?: 'public' | 'fedramp-high' }
  buildContext: BuildContext
}
