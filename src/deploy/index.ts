/**
 * An upload, step by step: the session, then either the Preview path (deploy/preview.ts) or the
 * version path below: the Worker's state read and the deploy path decided before any write, the
 * Worker and its assets, the body built once, Create Version (or the script upload), the
 * deployment when `promote` asks for it, the deploy steps, and the reports.
 */
import pc from 'picocolors'
import {
  createDeployment,
  createVersion,
  deployRollout,
  describePointer,
  formatVersionResult,
  identityOfPayload,
  planTraffic,
  type Deployment,
  type TrafficShare,
} from '../api/index.js'
import type { VersionResult } from '../core/body.js'
import { WorkersVersionError } from '../core/errors.js'
import { quoteValue } from '../core/printable.js'
import type { Redactor } from '../core/redact.js'
import { bodyByteLength, bodyChunks, toRequestBody } from '../core/serialize.js'
import type { ResolvedOptions } from '../options/resolve.js'
import type { UploadPlan } from '../plan/index.js'
import { BODY_LAYOUT_PRETTY, writeRequestJson } from '../report/files.js'
import { started } from '../report/in-flight.js'
import type { Logger } from '../report/logger.js'
import { versionBody, type VersionBody } from '../version/body.js'
import { builtSize, type BuiltVersion } from '../version/build.js'
import { watchInterruption, type InterruptionWatch } from './interruption.js'
import { diffBeforeWrites } from './diff.js'
import { deployToNamespace, inNamespace, type UserWorkerResult } from './namespace.js'
import { refuseRolloutFrom, runRollout } from './rollout.js'
import { deployRoute, type DeployRoute } from './path.js'
import { uploadPreview, type PreviewDeletedResult, type PreviewUploadResult } from './preview.js'
import { appliedSummary, reportCreated, reportThenFail, trafficLine } from './report.js'
import { deployScript } from './script.js'
import { sessionServing, startUpload, type UploadSession } from './session.js'
import {
  accountKnown,
  applyStepsOf,
  createWorkerStep,
  explainRefusal,
  refuseMissingWorker,
  uploadAssetsOf,
  workerStateOf,
} from './steps.js'
import type { DeployStepsOutcome } from './triggers.js'
import type { WorkerState } from './worker-state.js'

export { startUpload, type UploadSession } from './session.js'

/**
 * Creates the version from a built one, gives it traffic when `promote` says so, and reports.
 * Loaded only when a build uploads, so a dry run never loads the HTTP client. Every check that
 * can fail on what the build knows (a gradual rollout without a deployed version, a pending
 * migration without a promote) runs before the version is created; a Worker that fails at startup
 * is refused by the API, and preflight then explains why. A failure throws and leaves the bundle
 * as it is. `build`: the build's redactor, and its
 * session from `startUpload`, used when it was opened for this plan.
 */
export async function uploadVersion(
  version: BuiltVersion,
  plan: UploadPlan,
  options: ResolvedOptions,
  logger: Logger,
  build: { redactor: Redactor; session?: UploadSession },
): Promise<VersionResult | PreviewUploadResult | PreviewDeletedResult | UserWorkerResult> {
  const session =
    sessionServing(plan, build.session) ??
    startUpload(plan, options, logger, { readEarly: false, redactor: build.redactor })
  const interruption = watchInterruption(
    {
      outputDir: plan.outputDir,
      worker: plan.target.worker,
      accountId: () => session.ctx.accountId,
    },
    session.logger,
  )
  // Counted before its first line: while it overlaps another, its lines name its Worker (report/in-flight.ts).
  const ended = started('upload')
  try {
    // Workers for Platforms: a user Worker in a dispatch namespace (decided by the plan) has its own
    // upload, never the versions API (deploy/namespace.ts).
    if (inNamespace(session)) return await deployToNamespace(version, session, interruption)
    // The one branch point: a Preview deployment instead of a version (decided by the plan).
    if (plan.preview) {
      // Its first reads are account-scoped and start at once.
      await accountKnown(session)
      interruption.during(
        'the Preview deployment',
        'the Worker, its Preview and a deployment of it may have been created',
      )
      return await uploadPreview(version, session, plan.preview)
    }
    return await createVersionThenTraffic(version, session, options, interruption)
  } catch (error) {
    throw session.redactor.redactDeep(error)
  } finally {
    ended()
    interruption.close()
    await session.close()
  }
}

/** What the version path knows before it writes anything: the Worker's state and the request that will carry the build. */
interface BeforeWrites {
  state: WorkerState
  route: DeployRoute
  git: Record<string, string> | undefined
}

/**
 * Everything read and decided before the first write (the Worker created, the assets, a version):
 * the account, the Worker's state and the deploy path. Each refusal that the build and that state
 * can decide (a pending migration without a full deploy, a gradual rollout with nothing to roll
 * from, a missing Worker under `createWorker: false`) is thrown here, when nothing exists yet.
 */
async function beforeWrites(session: UploadSession): Promise<BeforeWrites> {
  const { plan, logger } = session
  const git = await plan.gitAnnotations
  await accountKnown(session)
  const state = await workerStateOf(session)
  // Create Version or the script upload, decided from the tag just read: a pending migration with
  // a gradual rollout or without promote is refused here, before anything is created or uploaded.
  const route = deployRoute(plan, state.migrationTag, (message) =>
    logger.warn(pc.yellow(`⚠ ${message}`)),
  )
  // A gradual rollout needs a version to roll from: refused before anything is created.
  if (plan.promote !== undefined && plan.promote < 100)
    planTraffic(state.current, 'the new version', plan.promote)
  if (state.isNew) refuseMissingWorker(session)
  return { state, route, git }
}

/**
 * The upload's steps in order: the Worker, its assets, the version, then traffic when `promote`
 * asks for it; or, where `deployRoute` says so, the script upload in place of the last two. The
 * API refuses a version that fails at startup before any traffic: preflight explains a refusal
 * (`explainRefusal`) rather than delaying every upload.
 */
async function createVersionThenTraffic(
  version: BuiltVersion,
  session: UploadSession,
  options: ResolvedOptions,
  interruption: InterruptionWatch,
): Promise<VersionResult> {
  const { plan, logger } = session
  const worker = plan.target.worker
  const { state, route, git } = await beforeWrites(session)
  // A gated rollout (`promote` as an object) is refused here, before anything is created, without one version to roll from.
  const rolloutFrom = rolloutStart(session, options, state, route.kind)
  // What will change (deploy/diff.ts). Strict mode refuses before any write, and the script upload
  // deploys at once, so both wait for it; otherwise the reads it needs overlap the Worker, the
  // assets and Create Version, which move no traffic, and it is shown before the deployment.
  const diffing = diffBeforeWrites(session, version, options, state, route)
  diffing.catch(() => undefined)
  if (options.strict || route.kind === 'script') await diffing
  // The script upload creates the Worker itself, as it does for `wrangler deploy`. Creating it and
  // uploading the assets do not depend on each other (an assets session needs no Worker, as
  // wrangler's first deploy shows), so they run together: one round trip less on a first deploy.
  const creating = state.isNew && route.kind === 'version' ? createWorkerStep(session) : undefined
  creating?.catch(() => undefined)
  const [assetsJwt] = await Promise.all([
    version.assets && uploadAssetsOf(version.assets, session),
    creating,
  ])
  // The one body of this upload: written to request.json, sent, and started in workerd to explain a refusal.
  const body = versionBody(plan, version.modules, {
    git,
    remote: { migrationTag: state.migrationTag, secrets: state.secrets, assetsJwt },
    variant: route.kind,
    migrations: { pending: route.kind === 'script' ? route.migrations : undefined },
  })
  if (route.kind === 'script')
    return deployThroughScript(version, session, options, interruption, { state, route, body })

  const { payload, kept } = body
  const result = await createVersionStep(session, body, interruption)
  interruption.settled()
  await diffing

  const report = (traffic: TrafficShare[] | undefined, settled?: DeployStepsOutcome) =>
    reportCreated(session, options, result, traffic, {
      sizeBytes: builtSize(version),
      applied: appliedSummary(state.isNew, kept, settled),
    })
  if (rolloutFrom && options.rollout) {
    // The steps, checks and rollback (deploy/rollout.ts) in place of the one deployment.
    const outcome = await runRollout({
      ctx: session.ctx,
      worker,
      newId: result.id,
      previous: rolloutFrom,
      rollout: options.rollout,
      message: payload.config.annotations?.['workers/message'],
      logger,
      interruption,
    })
    interruption.settled()
    const settled = outcome.failure ? undefined : await applyStepsOf(session, result.id)
    await reportThenFail(
      reportCreated(session, options, result, outcome.traffic, {
        sizeBytes: builtSize(version),
        applied: appliedSummary(state.isNew, kept, settled),
        rollout: outcome.steps,
        ...(outcome.cohorts && { cohorts: outcome.cohorts }),
      }),
      outcome.failure ? { applied: [], failure: outcome.failure } : settled,
    )
    return result
  }
  const deployed =
    plan.promote === undefined
      ? undefined
      : await promoteVersion(session, interruption, {
          result,
          current: state.current,
          promote: plan.promote,
          message: payload.config.annotations?.['workers/message'],
          reportCreated: () => report(undefined),
        })
  if (!deployed)
    logger.info(
      `  ${pc.yellow('no traffic yet')}: the version serves only its preview URL; set \`promote: true\` (or a percentage) to deploy it, or run \`wrangler versions deploy ${result.id}\`.`,
    )
  await reportThenFail(report(deployed?.traffic, deployed?.settled), deployed?.settled)
  if (deployed?.changed)
    throw new WorkersVersionError(
      'DEPLOYMENT_CHANGED',
      `\`promote\`: version ${result.id} was created and deployed, but ${deployed.changed} Check the traffic (\`wrangler deployments status --name ${worker}\`).`,
    )
  return result
}

/**
 * A gated rollout starts from the deployment serving now (read with the Worker's state: the plan
 * reads it for a gated rollout, plan/reads.ts): one version at 100%, or nothing is created.
 */
function rolloutStart(
  session: UploadSession,
  options: ResolvedOptions,
  state: WorkerState,
  route: DeployRoute['kind'],
): Deployment | undefined {
  if (!options.rollout || session.plan.promote === undefined) return undefined
  const worker = session.plan.target.worker
  if (route === 'script')
    throw new WorkersVersionError(
      'PROMOTE_NOT_POSSIBLE',
      `\`promote\`: Worker ${quoteValue(worker)} has a pending Durable Object migration, which only a full deploy applies; a gated rollout cannot. Deploy the migration with \`promote: true\` first.`,
    )
  return refuseRolloutFrom(state.isNew ? undefined : state.current, worker)
}

/**
 * Create Version with the upload's body, written to request.json before it is sent (what the API
 * receives is on disk even when the request fails); a refusal is explained by preflight.
 */
async function createVersionStep(
  session: UploadSession,
  { payload, kept }: VersionBody,
  interruption: InterruptionWatch,
): Promise<VersionResult> {
  const { plan, logger, redactor, ctx } = session
  const worker = plan.target.worker
  writeRequestJson(plan.outputDir, payload)
  const outline = toRequestBody(payload, false)
  logger.info(`${pc.cyan('↑')} creating a version of ${pc.bold(worker)} …`)
  const started = performance.now()
  interruption.during('Create Version', 'a version may have been created')
  const result = await createVersion({
    ...ctx,
    worker,
    body: () => bodyChunks(payload, BODY_LAYOUT_PRETTY),
    contentLength: bodyByteLength(payload, BODY_LAYOUT_PRETTY),
    identity: identityOfPayload(payload),
    describe: (pointer) => describePointer(outline, pointer),
  }).catch((error: unknown) => explainRefusal(error, session, payload))
  const elapsed = performance.now() - started
  logger.info(
    `${pc.green('✓')} created version ${pc.bold(String(result.number))} of ${pc.bold(worker)}`,
  )
  for (const line of formatVersionResult(result, elapsed, redactor)) logger.info(`  ${line}`)
  if (kept.length > 0)
    logger.info(`  kept secrets: ${kept.map((name) => quoteValue(name)).join(', ')}`)
  return result
}

/** What the deployment step left: the traffic, the deploy steps applied, and a rollout's note that the deployment changed meanwhile. */
interface Promoted {
  traffic: TrafficShare[]
  settled: DeployStepsOutcome | undefined
  changed?: string
}

/**
 * The deployment step (`promote`): the new version's traffic, as a split with the deployment read
 * before when the rollout is gradual, then the deploy steps that follow a promote. A deployment
 * that fails reports the created version (`reportCreated`) before the build fails with it.
 */
async function promoteVersion(
  session: UploadSession,
  interruption: InterruptionWatch,
  step: {
    result: VersionResult
    current: WorkerState['current']
    promote: number
    message: string | undefined
    reportCreated: () => Promise<void>
  },
): Promise<Promoted> {
  const { plan, logger, ctx } = session
  const worker = plan.target.worker
  const { result } = step
  interruption.during(
    'the deployment',
    `version ${result.id} was created, and traffic may have moved to it`,
  )
  const traffic = planTraffic(step.current, result.id, step.promote)
  const deployment = { versions: traffic, message: step.message }
  let changed: string | undefined
  try {
    // A split keeps traffic on the version read before: checked against the deployment read (api/deployments.ts).
    if (traffic.length > 1 && step.current)
      changed = (await deployRollout(ctx, worker, step.current, deployment)).changed
    else await createDeployment(ctx, worker, deployment)
  } catch (error) {
    // The version exists whatever the deployment did: reported (result.json, CI outputs) before the build fails.
    const reason = error instanceof Error ? error.message : String(error)
    // A rollout that found the deployment changed already names the version created, and deployed nothing.
    const failure =
      error instanceof WorkersVersionError && error.code === 'DEPLOYMENT_CHANGED'
        ? error
        : new WorkersVersionError(
            'DEPLOYMENT_FAILED',
            `Version ${result.id} (number ${String(result.number)}) of ${worker} WAS created; its deployment (${trafficLine(deployment.versions, result.id)}) failed: ${reason}\n` +
              `To deploy this version without creating another: \`wrangler versions deploy ${deployment.versions.map((t) => `${t.version_id}@${t.percentage}%`).join(' ')} --name ${worker}\`.`,
            { cause: error },
          )
    interruption.settled()
    await reportThenFail(step.reportCreated(), { applied: [], failure })
  }
  interruption.settled()
  logger.info(`${pc.green('✓')} deployed: ${trafficLine(traffic, result.id)}`)
  const settled = await applyStepsOf(session, result.id)
  return { traffic, settled, changed }
}

/**
 * The script upload in place of Create Version and the deployment: it deploys at 100%, so the
 * Worker settings and triggers follow it as they follow a promote.
 */
async function deployThroughScript(
  version: BuiltVersion,
  session: UploadSession,
  options: ResolvedOptions,
  interruption: InterruptionWatch,
  {
    state,
    route,
    body,
  }: { state: WorkerState; route: DeployRoute & { kind: 'script' }; body: VersionBody },
): Promise<VersionResult> {
  const { plan, ctx, logger, redactor } = session
  interruption.during(
    'the script upload',
    'a version may have been created and deployed at 100%, with its migrations applied',
  )
  const deployed = await deployScript({
    plan,
    body,
    route,
    isNew: state.isNew,
    ctx,
    logger,
    redactor,
  }).catch((error: unknown) => explainRefusal(error, session, body.payload))
  interruption.settled()
  const settled = await applyStepsOf(session, deployed.result.id)
  const applied = appliedSummary(state.isNew, [], settled, deployed.migrations)
  await reportThenFail(
    reportCreated(session, options, deployed.result, deployed.traffic, {
      sizeBytes: builtSize(version),
      applied,
    }),
    settled,
    deployed.unread,
  )
  return deployed.result as VersionResult
}
