/** Which bundler produced the output; used only to word hints in errors. */
export type BundlerName = 'vite' | 'rollup' | 'rolldown' | 'esbuild' | 'webpack' | 'rspack'

/** A raw source map as bundlers hand it over (object or JSON text). */
export interface RawSourceMap {
  version: number
  file?: string
  sources: (string | null)[]
  sourceRoot?: string
  sourcesContent?: (string | null)[]
  names?: string[]
  mappings: string
  [key: string]: unknown
}

/**
 * One file the bundler emitted, as an adapter reads it from the bundler's own
 * list of outputs. Nothing past the adapters knows which bundler ran.
 */
/**
 * Which chunks' source maps go with the version: all of them, none, or `'linked'`: those a chunk's
 * code links by a trailing `//# sourceMappingURL=<file>` comment (hidden and inline maps are not
 * linked to a file), which is what wrangler sends when `upload_source_maps` is unset.
 */
export type SourceMapChoice = boolean | 'linked'

export interface OutputFile {
  /** POSIX path relative to the output directory, e.g. `assets/lazy-1a2b.js`. */
  fileName: string
  contents: Uint8Array
  /** `chunk`: JavaScript the bundler generated; `asset`: anything else it emitted. */
  kind: 'chunk' | 'asset'
  /** Module format of a chunk. */
  format?: 'esm' | 'cjs'
  /** The chunk is an entry point of the build. */
  isEntry?: boolean
  /** Entry name as configured (`index` for `input: { index: … }`), for `mainModule` matching. */
  entryName?: string
  /** The chunk's source map from the bundle itself (hidden and inline maps included). */
  map?: RawSourceMap | string | null
  /** Output file name of the chunk's map, if the bundler also emitted it as a file. */
  mapFileName?: string
  /**
   * For a file emitted because source code imported it (`import wasm from './add.wasm'`): the
   * content type decided then, from the source path. Rules match source paths at import time,
   * so the output name (`add-1a2b.wasm`) is not asked again.
   */
  importedType?: ModuleContentType
}

export type ModuleContentType =
  | 'application/javascript+module'
  | 'application/javascript'
  | 'application/wasm'
  | 'text/plain'
  | 'application/octet-stream'
  | 'text/x-python'
  | 'text/x-python-requirement'
  | 'application/source-map'
  // Users may map files to any type the API accepts through `rules`.
  | (string & {})

/** A module of the Worker, before base64 encoding (kept as bytes so the body is encoded once). */
export interface WorkerModule {
  name: string
  content_type: ModuleContentType
  contents: Uint8Array
}

/** A module exactly as the Create Version API receives it. */
export interface WorkerModuleBody {
  name: string
  content_type: string
  content_base64: string
}

/** A file of the build left out of the version, and why (shown in the summary). */
export interface ExcludedFile {
  fileName: string
  reason: string
}

export interface ModulesResult {
  mainModule: string
  modules: WorkerModule[]
  excluded: ExcludedFile[]
}

/** A user rule: files matching `test` get `type`; `false` leaves them out of the version. */
export interface ModuleRule {
  /** Glob(s) matched against the module path (a glob without `/` matches the base name), or RegExp(s). */
  test: string | RegExp | Array<string | RegExp>
  /** Content type of the matching modules, or `false` to leave the files out. */
  type: ModuleContentType | false
}

/** Tells a module path's content type from the rules: `false` leaves it out, `undefined` means no rule matched. */
export type RuleMatcher = (path: string) => ModuleContentType | false | undefined
