import { join } from 'node:path'
import type { VersionResult } from '../core/body.js'
import { withSecretsRedacted } from '../core/redact.js'
import { bodyChunks, type VersionPayload } from '../core/serialize.js'
import { writeFileAtomic } from './write-atomic.js'

/**
 * The body's layout on the wire and in `request.json`: laid out for people (the modules' base64
 * is the bulk either way), and the same in both so that the file is the request.
 */
export const BODY_LAYOUT_PRETTY = true

/** Writes `request.json`: the bytes the upload sends, each secret value replaced by the one placeholder. */
export function writeRequestJson(outputDir: string, payload: VersionPayload): string {
  const file = join(outputDir, 'request.json')
  writeFileAtomic(file, bodyChunks({ ...payload, config: withSecretsRedacted(payload.config) }, BODY_LAYOUT_PRETTY))
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
