/**
 * Workers for Platforms: the build uploaded as a user Worker into its dispatch namespace, in the
 * steps `wrangler deploy --dispatch-namespace` takes: read the user Worker (and the namespace, so
 * that a missing one is named before anything is sent), upload the static assets through the
 * namespace's upload session, then one multipart PUT that creates or replaces the user Worker and
 * deploys it. Never the versions API: a user Worker has no versions, deployments or Previews, so
 * nothing here splits traffic, and no Worker setting or trigger is applied after it. Called from
 * deploy/index.ts in place of the version's steps when the plan names a namespace.
 */
import pc from 'picocolors'
import { describePointer, readUserWorker, uploadUserWorker } from '../api/index.js'
import { WorkersVersionError } from '../core/errors.js'
import { quoteValue } from '../core/printable.js'
import { scriptMetadata, toRequestBody } from '../core/serialize.js'
import type { DispatchTarget } from '../options/dispatch.js'
import type { UploadPlan } from '../plan/index.js'
import { writeResultJson, writeScriptRequestJson } from '../report/files.js'
import type { BuiltVersion } from '../version/build.js'
import { describeMigrations } from '../version/migrations.js'
import { namespaceBody } from '../version/namespace-body.js'
import type { InterruptionWatch } from './interruption.js'
import { reportOutcome } from './report.js'
import type { UploadSession } from './session.js'
import { accountKnown, explainRefusal, uploadAssetsOf } from './steps.js'

/** What a user Worker's upload ends in: the version the upload deployed, in its namespace. No version number: the namespace has no versions API to read it from. */
export type UserWorkerResult = {
  id: string
  worker: string
  dispatch_namespace: string
  tags?: string[]
  etag?: string
  startup_time_ms?: number
}

type NamespaceSession = UploadSession & { plan: UploadPlan & { dispatch: DispatchTarget } }

/** Whether the plan names a dispatch namespace: the build is then a user Worker in it. */
export function inNamespace(session: UploadSession): session is NamespaceSession {
  return session.plan.dispatch !== undefined
}

export async function deployToNamespace(
  version: BuiltVersion,
  session: NamespaceSession,
  interruption: InterruptionWatch,
): Promise<UserWorkerResult> {
  const { plan, logger, ctx } = session
  const { namespace, tags } = plan.dispatch
  const worker = plan.target.worker
  const git = await plan.gitAnnotations
  const warn = (message: string) => logger.warn(pc.yellow(`⚠ ${message}`))
  await accountKnown(session)

  const state = await readUserWorker(ctx, namespace, worker)
  if (!state.exists && !plan.createWorker)
    throw new WorkersVersionError(
      'WORKER_NOT_FOUND',
      `User Worker ${JSON.stringify(worker)} does not exist in dispatch namespace ${JSON.stringify(namespace)}: upload it once without \`createWorker: false\`, or fix \`worker\`.`,
    )
  const assetsJwt = version.assets && (await uploadAssetsOf(version.assets, session))
  const { payload } = namespaceBody(plan, version.modules, {
    git,
    remote: { migrationTag: state.migrationTag, secrets: [], assetsJwt },
    warn,
  })
  // Written before it is sent: what the API receives is on disk even when the request fails.
  writeScriptRequestJson(plan.outputDir, payload)
  const outline = toRequestBody(payload, false)
  logger.info(
    `${pc.cyan('↑')} uploading user Worker ${pc.bold(worker)} to dispatch namespace ${pc.bold(namespace)} …`,
  )
  interruption.during(
    'the user Worker upload',
    `user Worker ${worker} may have been created or replaced in dispatch namespace ${namespace}`,
  )
  const uploaded = await uploadUserWorker(ctx, {
    namespace,
    worker,
    metadata: scriptMetadata(payload),
    modules: payload.modules,
    describe: (pointer) => describePointer(outline, pointer),
    // As for a version: the API refuses a user Worker that fails at startup, and preflight explains why.
  }).catch((error: unknown) => explainRefusal(error, session, payload))
  interruption.settled()
  logger.info(
    `${pc.green('✓')} ${state.exists ? 'replaced' : 'created'} user Worker ${pc.bold(worker)} in dispatch namespace ${pc.bold(namespace)}: version ${uploaded.versionId} serves it`,
  )
  if (uploaded.startupTimeMs !== undefined)
    logger.info(`  startup time: ${uploaded.startupTimeMs} ms`)
  if (tags) logger.info(`  tags: ${tags.map((t) => quoteValue(t)).join(', ')}`)
  const migrations = payload.config.migrations
  if (migrations !== undefined)
    logger.info(`  applied Durable Object migration ${describeMigrations(migrations)}`)
  logger.info('  kept secrets: every secret the user Worker has (keep_bindings)')

  const result: UserWorkerResult = {
    id: uploaded.versionId,
    worker,
    dispatch_namespace: namespace,
    ...(tags && { tags }),
    ...(uploaded.etag !== undefined && { etag: uploaded.etag }),
    ...(uploaded.startupTimeMs !== undefined && { startup_time_ms: uploaded.startupTimeMs }),
  }
  await reportOutcome(session, {
    done: `user Worker ${worker} was uploaded to ${namespace} (version ${result.id})`,
    writeResult: () =>
      writeResultJson(plan.outputDir, { worker, accountId: ctx.accountId }, result),
  })
  return result
}
