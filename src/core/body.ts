import type { WorkerModuleBody } from './types.js'

/** A binding as the pipeline reads it; `options/` validates every kind's full shape. */
interface BindingFields {
  type: string
  name: string
  [field: string]: unknown
}

/**
 * The body's fields besides `main_module` and `modules`, as the pipeline reads them. The
 * validated `VersionConfig` (`options/version-schema.ts`) is one of these; core does not depend on it.
 */
export interface VersionFields {
  bindings?: BindingFields[]
  annotations?: Record<string, string | undefined>
  compatibility_date?: string
  [field: string]: unknown
}

/** The JSON body of `POST /accounts/{account_id}/workers/workers/{worker_id}/versions`. */
export type VersionRequestBody = VersionFields & {
  /** Absent for an assets-only Worker (no code), as wrangler sends it. */
  main_module?: string
  /** Absent when there is nothing to send: an assets-only Worker without `_headers`/`_redirects`. */
  modules?: WorkerModuleBody[]
}

/** The `result` of a successful Create Version response. */
export interface VersionResult {
  id: string
  number: number
  created_on?: string
  urls?: string[]
  startup_time_ms?: number
  annotations?: Record<string, string>
  main_module?: string
  [field: string]: unknown
}
