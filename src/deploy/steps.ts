/**
 * The steps the version, script-upload and Preview paths share, as plain functions of the upload's
 * session: the account and the Worker's state awaited, preflight and the refusal it explains, the
 * missing Worker refused or created, the static assets uploaded, and the steps after a deploy at 100%.
 */
import pc from 'picocolors'
import { ApiError, createWorker } from '../api/index.js'
import { WorkersVersionError } from '../core/errors.js'
import { quoteValue } from '../core/printable.js'
import type { VersionPayload } from '../core/serialize.js'
import { withheldFrom } from '../plan/index.js'
import { linePrefix } from '../report/in-flight.js'
import type { Logger } from '../report/logger.js'
import type { BuiltVersion } from '../version/build.js'
import { preflight, startInWorkerd } from '../version/preflight.js'
import type { UploadSession } from './session.js'
import { assetsUploadStarted } from './assets-answer.js'
import { applyDeploySteps, type DeployStepsOutcome } from './triggers.js'
import { holdingProcessOpen, isFresh, readWorker, type WorkerState } from './worker-state.js'

/** Waits for the account looked up from the token, when none was configured (it sets `ctx.accountId`), and names it. */
export async function accountKnown(session: UploadSession): Promise<void> {
  if (session.account)
    session.logger.info(
      `  account: ${quoteValue(await holdingProcessOpen(session.account))} (the only one the token can see)`,
    )
}

/** The state read while the bundler worked, when there is one and it is recent; otherwise read now. */
export async function workerStateOf(session: UploadSession): Promise<WorkerState> {
  if (session.early) {
    const { state, readAt } = await holdingProcessOpen(session.early)
    if (isFresh(readAt, Date.now())) return state
  }
  return readWorker(session.ctx, session.plan)
}

/**
 * Starts the build in workerd before anything is sent, when the plan asks for it; an assets-only
 * build has no code to start. `payload`: the body the build would send.
 */
export async function preflightOf(
  session: UploadSession,
  payload: VersionPayload,
  what: 'version' | 'deployment',
): Promise<void> {
  const { plan, logger } = session
  if (!plan.preflight || payload.mainModule === undefined) return
  const startup = await preflight(
    payload,
    plan.target.worker,
    logger,
    withheldFrom(plan),
    plan.root,
  )
  if (startup !== undefined)
    logger.info(
      `${pc.green('✓')} preflight: the ${what} starts in workerd (${Math.round(startup)} ms locally)`,
    )
}

/**
 * Preflight off the critical path: the API starts every version it receives and refuses one that
 * fails at startup (10021, as the emulator does) before it can be deployed, so no workerd runs
 * before the upload. When the API refuses the version as invalid and preflight is on, the body it
 * refused is started in workerd to show where it fails, with workerd's stack trace; a refusal
 * workerd does not reproduce is the API's error as it came.
 */
export async function explainRefusal(
  error: unknown,
  session: UploadSession,
  payload: VersionPayload,
): Promise<never> {
  const { plan, logger } = session
  if (!plan.preflight || payload.mainModule === undefined || !isValidationRefusal(error))
    throw error
  const start = await startInWorkerd(
    payload,
    plan.target.worker,
    logger,
    withheldFrom(plan),
    plan.root,
  )
  if (!start || !('failure' in start)) throw error
  throw new WorkersVersionError(
    'PREFLIGHT_FAILED',
    `The version failed to start: the API refused it, so nothing was deployed, and it fails in workerd too:\n${start.failure}\n\nThe API's answer:\n${error.message}`,
  )
}

/** The API's "validation failure" (10021): among others, a Worker that throws at startup or imports a missing module. */
function isValidationRefusal(error: unknown): error is ApiError {
  return error instanceof ApiError && error.errors.some((e) => e.code === 10021)
}

/** A Worker that does not exist, with `createWorker: false`: refused before anything is created. */
export function refuseMissingWorker(session: UploadSession): void {
  if (session.plan.createWorker) return
  throw new WorkersVersionError(
    'WORKER_NOT_FOUND',
    `Worker ${JSON.stringify(session.plan.target.worker)} does not exist in account ${session.ctx.accountId}: create it first, or set \`createWorker: true\` to let the plugin create it.`,
  )
}

/** Creates the Worker a first deploy needs (the caller has refused it under `createWorker: false`). */
export async function createWorkerStep(session: UploadSession): Promise<void> {
  await createWorker(session.ctx, session.plan.target.worker)
  logWorkerCreated(session.logger, session.plan.target.worker)
}

/** The line that says this build created the Worker; `how` names a request other than Create Worker. */
export function logWorkerCreated(logger: Logger, worker: string, how?: string): void {
  logger.info(
    `${pc.green('✓')} created Worker ${pc.bold(worker)} (first deploy${how ? `, ${how}` : ''})`,
  )
}

/**
 * Uploads the static assets and returns their completion token: no version without its assets,
 * so a failed upload throws here, before the version exists. Loaded only for a Worker with
 * assets (it needs undici's FormData, a larger part of undici).
 */
export async function uploadAssetsOf(
  manifest: NonNullable<BuiltVersion['assets']>,
  session: UploadSession,
): Promise<string> {
  const { plan, logger, ctx } = session
  // The diff (deploy/diff.ts) takes the upload session's answer from here, when it waits for it.
  const forDiff = assetsUploadStarted(manifest)
  const [{ uploadAssets }, { createAssetsProgress }] = await Promise.all([
    import('../api/assets.js'),
    import('../assets/progress.js'),
  ]).catch((error: unknown) => {
    forDiff.failed(error)
    throw error
  })
  const progress = createAssetsProgress(
    logger.silent()
      ? { stream: { write: () => true } }
      : { prefix: () => linePrefix(plan.target.worker) },
  )
  try {
    const uploaded = await uploadAssets({
      ...ctx,
      scriptName: plan.target.worker,
      // A user Worker's assets go through its namespace's upload session.
      dispatchNamespace: plan.dispatch?.namespace,
      manifest,
      concurrency: plan.assets?.concurrency,
      onProgress: (p) => {
        forDiff.progress(p)
        progress.update(p)
      },
    })
    progress.done(uploaded)
    return uploaded.jwt
  } catch (error) {
    forDiff.failed(error)
    progress.stop()
    throw error
  }
}

/** The steps a promote applies after its deployment (deploy/triggers.ts), when the plan has any. */
export async function applyStepsOf(
  session: UploadSession,
  versionId: string,
): Promise<DeployStepsOutcome | undefined> {
  const { plan, ctx, logger } = session
  if (!plan.deploySteps) return undefined
  return applyDeploySteps(ctx, plan.target.worker, plan.deploySteps, versionId, (step) =>
    logger.info(`${pc.green('✓')} ${step.title}: ${step.targets.join(', ')}`),
  )
}
