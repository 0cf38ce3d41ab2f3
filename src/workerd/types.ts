/** The part of a Create Version body that workerd runs: shared by preflight and the emulator. */

/** One module of a Create Version body. */
export interface VersionModule {
  name: string
  content_type: string
  content_base64: string
}

/** One binding of a Create Version body; kinds carry different extra fields. */
export interface VersionBinding {
  type: string
  name: string
  [field: string]: unknown
}

/** The part of a Create Version body that the emulator needs to run a version. */
export interface RunnableVersionBody {
  /** Absent for an assets-only Worker: the preview serves its assets and answers 404 elsewhere. */
  main_module?: string
  modules: VersionModule[]
  compatibility_date?: string
  compatibility_flags?: string[]
  bindings?: VersionBinding[]
  /** `assets.jwt` (a completion token of this emulator) and `assets.config`: the preview serves those files. */
  assets?: { jwt?: unknown; config?: Record<string, unknown> }
}
