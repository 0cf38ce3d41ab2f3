import { join } from 'node:path'
import type { VersionResult } from '../core/body.js'
import { bodyChunks, type VersionPayload } from '../core/serialize.js'
import { writeFileAtomic } from './write-atomic.js'

/** Writes `request.json`: exactly the body the upload sends (the payload given has its secrets redacted). */
export function writeRequestJson(outputDir: string, payload: VersionPayload): string {
  const file = join(outputDir, 'request.json')
  writeFileAtomic(file, bodyChunks(payload, true))
  return file
}

/** Writes `result.json`: the account, the Worker, the API's result for the created version and the traffic split, if deployed. */
export function writeResultJson(
  outputDir: string,
  target: { accountId: string; worker: string },
  result: VersionResult,
  deployment?: { strategy: string; versions: ReadonlyArray<{ version_id: string; percentage: number }> },
): string {
  const file = join(outputDir, 'result.json')
  const content = { account_id: target.accountId, worker: target.worker, result, ...(deployment && { deployment }) }
  writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`)
  return file
}
