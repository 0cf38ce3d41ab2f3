import { lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { VersionResult } from '../core/body.js'
import { WorkersVersionError } from '../core/errors.js'
import { withSecretsRedacted } from '../core/redact.js'
import { bodyChunks, scriptMetadata, type VersionPayload } from '../core/serialize.js'
import pc from 'picocolors'
import type { Logger } from './logger.js'
import { writeFileAtomic } from './write-atomic.js'
import { quoteValue } from '../core/printable.js'

/**
 * The body's layout on the wire and in `request.json`: laid out for people (the modules' base64
 * is the bulk either way), and the same in both so that the file is the request.
 */
export const BODY_LAYOUT_PRETTY = true

/** Writes `request.json`: the bytes the upload sends, each secret value replaced by the one placeholder. */
export function writeRequestJson(outputDir: string, payload: VersionPayload): string {
  const file = join(outputDir, 'request.json')
  writeFileAtomic(
    file,
    bodyChunks({ ...payload, config: withSecretsRedacted(payload.config) }, BODY_LAYOUT_PRETTY),
  )
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
    parts: payload.modules.map((mod) => ({
      name: mod.name,
      content_type: mod.content_type,
      bytes: mod.contents.byteLength,
    })),
  }
  writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`)
  return file
}

/**
 * Writes `deploy-steps.json`: the calls a promote makes after its deployment, step by step (ids
 * looked up at run time appear as `{…}`); none removes the file an earlier build wrote, so that it
 * never describes another build. The bodies hold names and settings, never a credential.
 */
export function writeDeployStepsJson(
  outputDir: string,
  steps: ReadonlyArray<{ step: string; calls: unknown[] }> | undefined,
): string {
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
  deployment?: {
    strategy: string
    versions: ReadonlyArray<{ version_id: string; percentage: number }>
    /** A cohort deployment's cohorts, each with its own split. */
    cohorts?: readonly object[]
    /** A gated rollout's steps, in order (deploy/rollout.ts). */
    rollout?: readonly object[]
  },
): string {
  const file = resultJsonPath(outputDir)
  const content = {
    account_id: target.accountId,
    worker: target.worker,
    result,
    ...(deployment && { deployment }),
  }
  writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`)
  return file
}

/** What `result.json` records when an upload was stopped by a signal while a step was in flight. */
export interface InterruptedRecord {
  signal: string
  /** The step in flight, e.g. `Create Version`. */
  step: string
  /** What may now exist on the server because of it. */
  may_exist: string
  started_at: string
  interrupted_at: string
}

/**
 * Writes `result.json` for an upload stopped by a signal: the account, the Worker and
 * `interrupted`, so that the next run (and CI) can tell what may exist on the server.
 */
export function writeInterruptedResult(
  outputDir: string,
  target: { accountId: string; worker: string },
  interrupted: InterruptedRecord,
): string {
  const file = resultJsonPath(outputDir)
  writeFileAtomic(
    file,
    `${JSON.stringify({ account_id: target.accountId, worker: target.worker, interrupted }, null, 2)}\n`,
  )
  return file
}

/** A `result.json` larger than this was not written for an interruption: it is not read. */
const RECORD_MAX_BYTES = 64 * 1024

/** The interruption an earlier run recorded in `file`, said in one line, or undefined. */
function interruptionIn(file: string): string | undefined {
  try {
    const stat = lstatSync(file, { throwIfNoEntry: false })
    if (!stat?.isFile() || stat.size > RECORD_MAX_BYTES) return undefined
    const content = JSON.parse(readFileSync(file, 'utf8')) as {
      worker?: unknown
      interrupted?: Partial<Record<keyof InterruptedRecord, unknown>>
    }
    const record = content.interrupted
    if (typeof record !== 'object' || record === null) return undefined
    const text = (value: unknown) => quoteValue(typeof value === 'string' ? value : String(value))
    return `an earlier run was interrupted (${text(record.signal)} at ${text(record.interrupted_at)}) during ${text(record.step)} for Worker ${text(content.worker)}: ${text(record.may_exist)}. Check before relying on it (\`wrangler versions list\`, \`wrangler deployments status\`); its record in ${file} is now removed.`
  } catch {
    return undefined
  }
}

/**
 * Removes the `result.json` files an earlier build left (the entry Worker's, and each auxiliary
 * Worker's under `workers/`), so that neither an upload that fails later nor a dry run (which
 * uploads nothing) leaves a success behind that CI or a person could take for this build's. Only
 * files and links are removed: anything else at that name was not written by a successful upload.
 * Nothing has been sent yet when this runs, so a file that cannot be removed fails the build.
 * Returns one line for each record of an interrupted upload among them, for the build to show.
 */
export function removeStaleResults(outputDir: string): string[] {
  const candidates = [outputDir, ...auxiliaryDirs(outputDir)].map(resultJsonPath)
  const interruptions: string[] = []
  for (const file of candidates) {
    const interrupted = interruptionIn(file)
    if (interrupted) interruptions.push(interrupted)
    try {
      if (lstatSync(file, { throwIfNoEntry: false })?.isDirectory() !== false) continue
      rmSync(file, { force: true })
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new WorkersVersionError(
        'STALE_RESULT',
        `Could not remove ${file} from an earlier build (${reason}): delete it, so that it cannot be taken for this build's result.`,
        {
          cause: error,
        },
      )
    }
  }
  return interruptions
}

function auxiliaryDirs(outputDir: string): string[] {
  const workers = join(outputDir, 'workers')
  try {
    return readdirSync(workers, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? [join(workers, entry.name)] : [],
    )
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
  const content = {
    account_id: target.accountId,
    worker: target.worker,
    kind: 'preview',
    preview,
    deployment: { id: deployment.id, urls: deployment.urls },
  }
  writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`)
  return file
}

/**
 * After the upload succeeded nothing local may fail the build (a CI re-run would deploy again): a
 * report file that cannot be written is a warning naming it and saying what was `done`.
 */
export function unwrittenWarning(
  logger: Logger,
  done: string,
): (file: string, error: unknown) => void {
  return (file, error) => {
    const reason = error instanceof Error ? error.message : String(error)
    logger.warn(
      pc.yellow(`⚠ could not write ${file} (${reason}); ${done}, so the build goes on without it.`),
    )
  }
}
