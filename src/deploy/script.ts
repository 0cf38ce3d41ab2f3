/**
 * The deploy through the script upload (see deploy/path.ts for when): the body the caller built
 * with `versionBody` in its script variant, written to `request.json`, sent as one multipart PUT that
 * creates the Worker if needed, applies the pending Durable Object migration and deploys the new
 * version to 100%. Called from deploy/index.ts in place of Create Version + deployment.
 */
import pc from 'picocolors'
import {
  DeployedButUnread,
  describePointer,
  formatVersionResult,
  identityOfPayload,
  uploadScript,
  type ApiCallContext,
  type TrafficShare,
} from '../api/index.js'
import type { VersionResult } from '../core/body.js'
import type { Redactor } from '../core/redact.js'
import { quoteValue } from '../core/printable.js'
import { scriptMetadata, toRequestBody } from '../core/serialize.js'
import type { DeployRoute } from './path.js'
import { describeMigrations } from '../version/migrations.js'
import type { UploadPlan } from '../plan/index.js'
import { writeScriptRequestJson } from '../report/files.js'
import type { Logger } from '../report/logger.js'
import type { VersionBody } from '../version/body.js'
import { logWorkerCreated } from './steps.js'

export interface ScriptDeploy {
  plan: UploadPlan
  /** The body in its script variant, built once for this upload; the refusal's explanation starts the same one. */
  body: VersionBody
  route: Extract<DeployRoute, { kind: 'script' }>
  isNew: boolean
  ctx: ApiCallContext
  logger: Logger
  redactor: Redactor
}

/** A version known by its id only: deployed, and then not read back (`unread` says why). */
export type KnownVersion = Pick<VersionResult, 'id'> & Partial<VersionResult>

export interface ScriptDeployed {
  result: KnownVersion
  traffic: TrafficShare[]
  migrations?: string
  /** Set when the upload deployed the version and reading it back failed: the build fails with it, after reporting what is known. */
  unread?: DeployedButUnread
}

export async function deployScript(step: ScriptDeploy): Promise<ScriptDeployed> {
  const { plan, logger, route } = step
  const worker = plan.target.worker
  const { payload, kept } = step.body
  // Written before it is sent: what the API receives is on disk even when the request fails.
  writeScriptRequestJson(plan.outputDir, payload)
  const outline = toRequestBody(payload, false)
  logger.info(
    `${pc.cyan('↑')} deploying ${pc.bold(worker)} through the script upload (non-versioned, 100%), for its ${route.why} …`,
  )
  const started = performance.now()
  let full: VersionResult | undefined
  let unread: DeployedButUnread | undefined
  try {
    full = await uploadScript(step.ctx, {
      worker,
      metadata: scriptMetadata(payload),
      modules: payload.modules,
      identity: identityOfPayload(payload),
      describe: (pointer) => describePointer(outline, pointer),
    })
  } catch (error) {
    // Deployed, then not read back: the deploy happened, and the report says so.
    if (!(error instanceof DeployedButUnread)) throw error
    unread = error
  }
  const result: KnownVersion = full ?? { id: unread!.versionId }
  const elapsed = performance.now() - started
  const traffic = [{ version_id: result.id, percentage: 100 }]
  if (step.isNew) logWorkerCreated(logger, worker, 'by the script upload')
  const number = typeof result.number === 'number' ? `${pc.bold(String(result.number))} ` : ''
  logger.info(
    `${pc.green('✓')} created and deployed version ${number}of ${pc.bold(worker)}: 100% → ${result.id} (new)${unread ? ' (not read back)' : ''}`,
  )
  // A 2xx answer to this upload, or an adoption whose Worker tag was checked (uploadScript), means the migration was applied.
  if (route.migrations !== undefined)
    logger.info(`  applied Durable Object migration ${describeMigrations(route.migrations)}`)
  if (full)
    for (const line of formatVersionResult(full, elapsed, step.redactor)) logger.info(`  ${line}`)
  if (kept.length > 0)
    logger.info(
      `  kept secrets: ${kept.map((name) => quoteValue(name)).join(', ')} (keep_bindings)`,
    )
  return {
    result,
    traffic,
    migrations: route.migrations === undefined ? undefined : describeMigrations(route.migrations),
    ...(unread && { unread }),
  }
}
