import type { VersionResult } from '../core/body.js'
import type { UserWorkerResult } from './namespace.js'
import type { PreviewDeletedResult, PreviewUploadResult } from './preview.js'

/** What one Worker's upload ended in. */
export type UploadOutcome =
  VersionResult | PreviewUploadResult | PreviewDeletedResult | UserWorkerResult

/** `worker (what was made)`, for the lines that list what a multi-Worker upload created before one failed. */
export function describeOutcome(worker: string | undefined, outcome: UploadOutcome): string {
  const made =
    'deployment' in outcome
      ? `Preview deployment ${(outcome as PreviewUploadResult).deployment.id}`
      : 'previewDeleted' in outcome
        ? `Preview ${outcome.previewDeleted ? 'deleted' : 'none to delete'}`
        : 'dispatch_namespace' in outcome
          ? `user Worker in dispatch namespace ${outcome.dispatch_namespace}, version ${outcome.id}`
          : `version ${String(outcome.id)}`
  return `${worker} (${made})`
}
