import { lstatSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { VersionResult } from '../core/body.js'
import { WorkersVersionError } from '../core/errors.js'
import { withSecretsRedacted } from '../core/redact.js'
import { bodyChunks, scriptMetadata, type VersionPayload } from '../core/serialize.js'
import pc from 'picocolors'
import type { Logger } from './logger.js'
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

/**
 * Writes `request.json` for a script upload, which is multipart, not JSON: `metadata` is the
 * metadata part as sent (secret values replaced by the one placeholder), `parts` lists the module
 * parts that follow it in order, each with its name (also its file name), content type and size in
 * bytes (the bytes themselves are the build's output).
 */
export function writeScriptRequestJson(outputDir: string, payload: VersionPayload): string {
  const file = join(outputDir, 'request.json')
  const content = {
    metadata: scriptMetadata({ ...payload, config: withSecretsRedacted(payload.config) }),
    parts: payload.modules.map((mod) => ({ name: mod.name, content_type: mod.content_type, bytes: mod.contents.byteLength })),
  }
  writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`)
  return file
}

/**
 * Writes `deploy-steps.json`: the calls a promote makes after its deployment, step by step (ids
 * looked up at run time appear as `{…}`); none removes the file an earlier build wrote, so that it
 * never describes another build. The bodies hold names and settings, never a credential.
 */
export function writeDeployStepsJson(outputDir: string, steps: ReadonlyArray<{ step: string; calls: unknown[] }> | undefined): string {
  const file = join(outputDir, 'deploy-steps.json')
  if (steps === undefined) rmSync(file, { force: true })
  else writeFileAtomic(file, `${JSON.stringify(steps, null, 2)}\n`)
  return file
}

export function resultJsonPath(outputDir: string): string {
  return join(outputDir, 'result.json')
}

/** Writes `result.json`: the account, the Worker, the API's result for the created version and the traffic split, if deployed. */
export function writeResultJson(
  outputDir: string,
  target: { accountId: string; worker: string },
  result: Pick<VersionResult, 'id'> & Partial<VersionResult>,
  deployment?: { strategy: string; versions: ReadonlyArray<{ version_id: string; percentage: number }> },
): string {
  const file = resultJsonPath(outputDir)
  const content = { account_id: target.accountId, worker: target.worker, result, ...(deployment && { deployment }) }
  writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`)
  return file
}

/**
 * Removes the `result.json` files an earlier build left (the entry Worker's, and each auxiliary
 * Worker's under `workers/`), so that an upload that fails later never leaves a success behind
 * that CI or a person could take for this build's. Only files and links are removed: anything else
 * at that name was not written by a successful upload. Nothing has been sent yet when this runs,
 * so a file that cannot be removed fails the build.
 */
export function removeStaleResults(outputDir: string): void {
  const candidates = [outputDir, ...auxiliaryDirs(outputDir)].map(resultJsonPath)
  for (const file of candidates) {
    try {
      if (lstatSync(file, { throwIfNoEntry: false })?.isDirectory() !== false) continue
      rmSync(file, { force: true })
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new WorkersVersionError('STALE_RESULT', `Could not remove ${file} from an earlier build (${reason}): delete it, so that it cannot be taken for this build's result.`, {
        cause: error,
      })
    }
  }
}

function auxiliaryDirs(outputDir: string): string[] {
  const workers = join(outputDir, 'workers')
  try {
    return readdirSync(workers, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? [join(workers, entry.name)] : []))
  } catch {
    return []
  }
}

/**
 * Writes a Preview deployment's `result.json`: the account, the Worker, `kind: "preview"`, the
 * Preview (id, name, slug, stable URLs) and the deployment (id, its own URLs), as checked by the client.
 */
export function writePreviewResultJson(
  outputDir: string,
  target: { accountId: string; worker: string },
  preview: { id: string; name: string; slug: string; urls: readonly string[] },
  deployment: { id: string; urls: readonly string[] },
): string {
  const file = resultJsonPath(outputDir)
  const content = { account_id: target.accountId, worker: target.worker, kind: 'preview', preview, deployment: { id: deployment.id, urls: deployment.urls } }
  writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`)
  return file
}

/**
 * After the upload succeeded nothing local may fail the build (a CI re-run would deploy again): a
 * report file that cannot be written is a warning naming it and saying what was `done`.
 */
export function unwrittenWarning(logger: Logger, done: string): (file: string, error: unknown) => void {
  return (file, error) => {
    const reason = error instanceof Error ? error.message : String(error)
    logger.warn(pc.yellow(`⚠ could not write ${file} (${reason}); ${done}, so the build goes on without it.`))
  }
}
