import type { WorkerModuleBody } from './types.js'
import type { VersionConfig } from '../options/schema.js'

/** The JSON body of `POST /accounts/{account_id}/workers/workers/{worker_id}/versions`. */
export type VersionRequestBody = VersionConfig & {
  main_module: string
  modules: WorkerModuleBody[]
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
