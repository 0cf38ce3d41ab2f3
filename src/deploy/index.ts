import { relative } from 'node:path'
import pc from 'picocolors'
import {
  ApiError,
  createAgent,
  createDeployment,
  createVersion,
  createWorker,
  currentDeployment,
  currentMigrationTag,
  deployRollout,
  describePointer,
  formatVersionResult,
  getWorker,
  identityOfPayload,
  listSecrets,
  planTraffic,
  resolveTimeouts,
  type ApiCallContext,
  type Deployment,
  type TrafficShare,
} from '../api/index.js'
import { proxyFromEnv, proxySecrets } from '../api/proxy.js'
import type { VersionResult } from '../core/body.js'
import { WorkersVersionError } from '../core/errors.js'
import type { Redactor } from '../core/redact.js'
import { quoteValue } from '../core/printable.js'
import { bodyByteLength, bodyChunks, toRequestBody } from '../core/serialize.js'
import type { ResolvedOptions } from '../options/resolve.js'
import { withheldFrom, type UploadPlan } from '../plan/index.js'
import { sameReads, workerReads } from '../plan/reads.js'
import { applyDeploySteps, type DeployStepsOutcome } from './triggers.js'
import { preflight, startInWorkerd } from '../version/preflight.js'
import { builtSize, type BuiltVersion } from '../version/build.js'
import { deployRoute } from './path.js'
import { deployScript, type KnownVersion } from './script.js'
import { writeCiOutputs } from '../report/ci-outputs.js'
import { appendStepSummary, type SummaryRow } from '../report/step-summary.js'
import {
  BODY_LAYOUT_PRETTY,
  resultJsonPath,
  unwrittenWarning,
  writeRequestJson,
  writeResultJson,
} from '../report/files.js'
import { createLiveLine, isLiveTerminal } from '../report/live-line.js'
import type { Logger } from '../report/logger.js'
import { versionBody } from '../version/body.js'
import type { PlannedPreview } from '../plan/preview.js'
import {
  uploadPreview,
  type PreviewDeletedResult,
  type PreviewUploadResult,
  type SharedSteps,
} from './preview.js'
import { watchInterruption, type InterruptionWatch } from './interruption.js'
import { deployToNamespace, inNamespace, type UserWorkerResult } from './namespace.js'

/** What the Worker looks like before the version is created: read in parallel, in one round trip. */
interface WorkerState {
  isNew: boolean
  current?: Deployment
  migrationTag?: string
  secrets: string[]
}

/**
 * A state read earlier than this before it is used is read again: it is meant to hide the
 * reads behind the bundler's work, not to act on what the Worker looked like minutes ago.
 */
const EARLY_STATE_MAX_AGE_MS = 60_000

/**
 * What the calls of one upload share: a redactor that knows every secret of the run, one
 * connection pool (connections and TLS sessions reused), and the Worker's state when it was
 * read while the bundler worked.
 */
export interface UploadSession {
  /** The plan it serves; an upload of any other plan opens its own. */
  readonly plan: UploadPlan
  readonly redactor: Redactor
  readonly logger: Logger
  readonly ctx: ApiCallContext
  /** The Worker's state and when it was read, started by `startUpload` with `readEarly`. */
  readonly early?: Promise<{ state: WorkerState; readAt: number }>
  /**
   * The account id looked up from the token, when none was configured: started at once, awaited
   * before the first account-scoped request (it sets `ctx.accountId`). Preflight runs meanwhile.
   */
  readonly account?: Promise<string>
  /**
   * Lets go of the pool: the last holder to close destroys the connections (not a graceful close:
   * an idle socket must not hold the process open). Idempotent for each holder.
   */
  close(): Promise<void>
  /**
   * Another holder of this session's pool (an upload of another plan that the session serves),
   * with its own `close`; undefined once the pool is destroyed.
   */
  share(): (() => Promise<void>) | undefined
}

/**
 * Opens an upload's session. With `readEarly` (the context decides when: not with preflight or
 * static assets) the Worker's state is read at once, while the bundler works: against the real
 * API that hides the connection's handshakes and a round trip. Those reads do not hold the
 * process open if the build fails.
 */
export function startUpload(
  plan: UploadPlan,
  options: ResolvedOptions,
  logger: Logger,
  { readEarly, redactor }: { readEarly: boolean; redactor: Redactor },
): UploadSession {
  const { target } = plan
  const redacted: Logger = {
    info: (line) => logger.info(redactor.redact(line)),
    warn: (line) => logger.warn(redactor.redact(line)),
    silent: logger.silent,
  }
  // Before any request: a proxy's credentials are secrets of the run like the token.
  const proxy = proxyFromEnv()
  redactor.add(...proxySecrets(proxy))
  const agent = createAgent(resolveTimeouts(options.network.timeouts), proxy)
  // A request's failed attempts on one line rewritten in place, on a terminal only; each retried
  // request ends with one line of its own (the retry loop's `log`).
  const live = !logger.silent() && isLiveTerminal() ? createLiveLine() : undefined
  const ctx: ApiCallContext = {
    baseUrl: target.baseUrl,
    credentials: target.credentials,
    // Filled in by the lookup below when none is configured; `requireAccount` refuses an empty one.
    accountId: target.accountId ?? '',
    timeouts: options.network.timeouts,
    retries: options.network.retries,
    redactor,
    agent,
    log: (line) => {
      live?.clear()
      redacted.warn(pc.yellow(`  ${line}`))
    },
    live: live && ((line) => live.show(`  ${line}`)),
  }
  let closed: Promise<void> | undefined
  const account =
    target.accountId === undefined
      ? import('../api/accounts.js')
          .then(({ findAccountId }) => findAccountId({ ...ctx, background: readEarly }))
          .then((id) => {
            ctx.accountId = id
            return id
          })
      : undefined
  const early = readEarly
    ? (account ?? Promise.resolve())
        .then(() => readWorker({ ...ctx, background: true }, plan))
        .then((state) => ({ state, readAt: Date.now() }))
    : undefined
  // Handled here so that a build failing before the upload leaves no unhandled rejection behind.
  early?.catch(() => undefined)
  account?.catch(() => undefined)
  // Uploads of several plans may share the pool at once: the first to end must not destroy it
  // under the others (their requests then failed with UND_ERR_DESTROYED).
  let holders = 0
  const holder = () => {
    holders++
    let released = false
    return () => {
      // A request that gave up mid-retry (a deadline) leaves its live line: the build's error starts on a clean one.
      live?.clear()
      if (!released) {
        released = true
        holders--
      }
      return holders > 0 ? Promise.resolve() : (closed ??= agent.destroy().catch(() => undefined))
    }
  }
  const close = holder()
  const share = () => (closed === undefined ? holder() : undefined)
  return { plan, redactor, logger: redacted, ctx, early, account, close, share }
}

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
  try {
    // Workers for Platforms: a user Worker in a dispatch namespace (decided by the plan) has its own
    // upload, never the versions API (deploy/namespace.ts).
    if (inNamespace(session)) return await deployToNamespace(version, session, interruption)
    // The one branch point: a Preview deployment instead of a version (decided by the plan).
    if (hasPreview(session)) {
      // Its first reads are account-scoped and start at once.
      await accountKnown(session)
      interruption.during(
        'the Preview deployment',
        'the Worker, its Preview and a deployment of it may have been created',
      )
      return await uploadPreview(version, session, previewSteps(session, version))
    }
    return await createVersionThenTraffic(version, session, options, interruption)
  } catch (error) {
    throw session.redactor.redactDeep(error)
  } finally {
    interruption.close()
    await session.close()
  }
}

/** Waits for the account looked up from the token, when none was configured (it sets `ctx.accountId`), and names it. */
async function accountKnown(session: UploadSession): Promise<void> {
  if (session.account)
    session.logger.info(
      `  account: ${quoteValue(await holdingProcessOpen(session.account))} (the only one the token can see)`,
    )
}

function hasPreview(
  session: UploadSession,
): session is UploadSession & { plan: UploadPlan & { preview: PlannedPreview } } {
  return session.plan.preview !== undefined
}

/** What the Preview path shares with a version's: the Worker read and created, the assets uploaded. */
function previewSteps(session: UploadSession, version: BuiltVersion): SharedSteps {
  return {
    preflight: async () =>
      preflightOf(session, version, await session.plan.gitAnnotations, 'deployment'),
    workerIsNew: async () => (await workerStateOf(session)).isNew,
    createWorker: async () => {
      refuseMissingWorker(session)
      await createWorker(session.ctx, session.plan.target.worker)
      session.logger.info(
        `${pc.green('✓')} created Worker ${pc.bold(session.plan.target.worker)} (first deploy)`,
      )
    },
    uploadAssets: (manifest) => uploadAssetsOf(manifest, session),
  }
}

/**
 * The build's session serves the plan it was opened for, and also the Worker plan the Cloudflare
 * plugin's generated config gives the same Worker (same API, account, credentials) when that plan
 * needs no read the session's early one left out: the Worker's state read while the bundler worked
 * is then used, rather than read again after the build (measured through bench/network.mjs: four
 * round trips, handshakes included, off the full-stack playground's upload).
 */
function sessionServing(
  plan: UploadPlan,
  session: UploadSession | undefined,
): UploadSession | undefined {
  if (!session || session.plan === plan) return session
  const [was, now] = [session.plan, plan]
  const sameTarget =
    was.target.baseUrl === now.target.baseUrl &&
    was.target.accountId === now.target.accountId &&
    was.target.worker === now.target.worker &&
    was.target.credentials.apiToken === now.target.credentials.apiToken &&
    was.target.credentials.apiKey === now.target.credentials.apiKey &&
    was.target.credentials.email === now.target.credentials.email
  const close = sameTarget && sameReads(was, now) ? session.share() : undefined
  return close ? { ...session, plan, close } : undefined
}

/** Starts the build in workerd before anything is sent, when the plan asks for it; an assets-only build has no code to start. */
async function preflightOf(
  session: UploadSession,
  version: BuiltVersion,
  git: Record<string, string> | undefined,
  what: 'version' | 'deployment',
): Promise<void> {
  const { plan, logger } = session
  if (!plan.preflight || version.modules.mainModule === undefined) return
  const startup = await preflight(
    versionBody(plan, version.modules, { git }).payload,
    plan.target.worker,
    logger,
    withheldFrom(plan),
  )
  if (startup !== undefined)
    logger.info(
      `${pc.green('✓')} preflight: the ${what} starts in workerd (${Math.round(startup)} ms locally)`,
    )
}

/**
 * Preflight off the critical path: the API starts every version it receives and refuses one that
 * fails at startup (10021, as the emulator does) before it can be deployed, so no workerd runs
 * before the upload. When the API refuses the version as invalid and preflight is on, the version
 * is started in workerd to show where it fails, with workerd's stack trace; a refusal workerd does
 * not reproduce is the API's error as it came.
 */
async function explainRefusal(
  error: unknown,
  session: UploadSession,
  version: BuiltVersion,
  git: Record<string, string> | undefined,
): Promise<never> {
  const { plan, logger } = session
  if (!plan.preflight || version.modules.mainModule === undefined || !isValidationRefusal(error))
    throw error
  const start = await startInWorkerd(
    versionBody(plan, version.modules, { git }).payload,
    plan.target.worker,
    logger,
    withheldFrom(plan),
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
function refuseMissingWorker(session: UploadSession): void {
  if (session.plan.createWorker) return
  throw new WorkersVersionError(
    'WORKER_NOT_FOUND',
    `Worker ${JSON.stringify(session.plan.target.worker)} does not exist in account ${session.ctx.accountId}: create it first, or set \`createWorker: true\` to let the plugin create it.`,
  )
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
  const { plan, logger, redactor, ctx } = session
  const { target } = plan
  const worker = target.worker
  const git = await plan.gitAnnotations
  const warn = (message: string) => logger.warn(pc.yellow(`⚠ ${message}`))

  await accountKnown(session)
  const state = await workerStateOf(session)
  // Create Version or the script upload, decided from the tag just read: a pending migration with
  // a gradual rollout or without promote is refused here, before anything is created or uploaded.
  const route = deployRoute(plan, state.migrationTag)
  // A gradual rollout needs a version to roll from: refused before anything is created.
  if (plan.promote !== undefined && plan.promote < 100)
    planTraffic(state.current, 'the new version', plan.promote)
  if (state.isNew) refuseMissingWorker(session)
  // The script upload creates the Worker itself, as it does for `wrangler deploy`. Creating it and
  // uploading the assets do not depend on each other (an assets session needs no Worker, as
  // wrangler's first deploy shows), so they run together: one round trip less on a first deploy.
  const creating =
    state.isNew && route.kind === 'version'
      ? createWorker(ctx, worker).then(() =>
          logger.info(`${pc.green('✓')} created Worker ${pc.bold(worker)} (first deploy)`),
        )
      : undefined
  creating?.catch(() => undefined)
  const [assetsJwt] = await Promise.all([
    version.assets && uploadAssetsOf(version.assets, session),
    creating,
  ])
  const remote = { migrationTag: state.migrationTag, secrets: state.secrets, assetsJwt }
  if (route.kind === 'script') {
    interruption.during(
      'the script upload',
      'a version may have been created and deployed at 100%, with its migrations applied',
    )
    const deployed = await deployScript({
      plan,
      version,
      route,
      git,
      remote,
      isNew: state.isNew,
      ctx,
      logger,
      redactor,
      warn,
    }).catch((error: unknown) => explainRefusal(error, session, version, git))
    interruption.settled()
    // The script upload deploys at 100%, so the Worker settings and triggers follow it as they follow a promote.
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
  const { payload, kept } = versionBody(plan, version.modules, { git, remote, warn })
  // Written before it is sent: what the API receives is on disk even when the request fails.
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
  }).catch((error: unknown) => explainRefusal(error, session, version, git))
  const elapsed = performance.now() - started
  logger.info(
    `${pc.green('✓')} created version ${pc.bold(String(result.number))} of ${pc.bold(worker)}`,
  )
  for (const line of formatVersionResult(result, elapsed, redactor)) logger.info(`  ${line}`)
  if (kept.length > 0)
    logger.info(`  kept secrets: ${kept.map((name) => quoteValue(name)).join(', ')}`)

  let traffic: TrafficShare[] | undefined
  let settled: DeployStepsOutcome | undefined
  let changed: string | undefined
  interruption.settled()
  if (plan.promote !== undefined) {
    interruption.during(
      'the deployment',
      `version ${result.id} was created, and traffic may have moved to it`,
    )
    traffic = planTraffic(state.current, result.id, plan.promote)
    const deployment = {
      versions: traffic,
      message: payload.config.annotations?.['workers/message'],
    }
    try {
      // A split keeps traffic on the version read before: checked against the deployment read (api/deployments.ts).
      if (traffic.length > 1 && state.current)
        changed = (await deployRollout(ctx, worker, state.current, deployment)).changed
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
      await reportThenFail(
        reportCreated(session, options, result, undefined, {
          sizeBytes: builtSize(version),
          applied: appliedSummary(state.isNew, kept, undefined),
        }),
        { applied: [], failure },
      )
    }
    interruption.settled()
    logger.info(`${pc.green('✓')} deployed: ${trafficLine(traffic, result.id)}`)
    settled = await applyStepsOf(session, result.id)
  } else {
    logger.info(
      `  ${pc.yellow('no traffic yet')}: the version serves only its preview URL; set \`promote: true\` (or a percentage) to deploy it, or run \`wrangler versions deploy ${result.id}\`.`,
    )
  }

  const applied = appliedSummary(state.isNew, kept, settled)
  await reportThenFail(
    reportCreated(session, options, result, traffic, { sizeBytes: builtSize(version), applied }),
    settled,
  )
  if (changed)
    throw new WorkersVersionError(
      'DEPLOYMENT_CHANGED',
      `\`promote\`: version ${result.id} was created and deployed, but ${changed} Check the traffic (\`wrangler deployments status --name ${worker}\`).`,
    )
  return result
}

/** What the job summary's "Applied" cell lists: everything this upload changed besides the code. */
function appliedSummary(
  isNew: boolean,
  kept: readonly string[],
  settled: DeployStepsOutcome | undefined,
  migrations?: string,
): string[] {
  return [
    ...(isNew ? ['Worker created'] : []),
    ...(migrations ? [`Durable Object migration ${migrations}`] : []),
    ...(kept.length > 0 ? [`secrets kept: ${kept.join(', ')}`] : []),
    ...(settled?.applied.map((step) => step.title) ?? []),
  ]
}

/**
 * A deploy step that failed fails the build after the report, so that result.json and onVersion
 * know the deployed version; its error wins over an onVersion error.
 */
async function reportThenFail(
  report: Promise<void>,
  settled: DeployStepsOutcome | undefined,
  unread?: Error,
): Promise<void> {
  const failure = settled?.failure ?? unread
  await report.finally(() => failure && Promise.reject(failure))
}

/** The steps a promote applies after its deployment (deploy/triggers.ts), when the plan has any. */
async function applyStepsOf(
  session: UploadSession,
  versionId: string,
): Promise<DeployStepsOutcome | undefined> {
  const { plan, ctx, logger } = session
  if (!plan.deploySteps) return undefined
  return applyDeploySteps(ctx, plan.target.worker, plan.deploySteps, versionId, (step) =>
    logger.info(`${pc.green('✓')} ${step.title}: ${step.targets.join(', ')}`),
  )
}

/**
 * The version exists (and has its traffic) by now, so nothing local may turn the build into a
 * failure: a CI re-run would create and deploy another version. A file that cannot be written
 * (a full disk, a directory at its name) is a warning naming the file, and `onVersion` still
 * gets the result. Only `onVersion` itself can still fail the build, and its error then says
 * which version already exists.
 */
async function reportCreated(
  session: UploadSession,
  options: ResolvedOptions,
  result: KnownVersion,
  traffic: TrafficShare[] | undefined,
  extra: { sizeBytes: number; applied: string[] },
): Promise<void> {
  const { plan, logger, redactor } = session
  const { target } = plan
  const created = `version ${result.id} of ${target.worker} was created${traffic ? ` and deployed (${trafficLine(traffic, result.id)})` : ''}`
  const unwritten = unwrittenWarning(logger, created)
  const resultFile = resultJsonPath(plan.outputDir)
  try {
    writeResultJson(
      plan.outputDir,
      { worker: target.worker, accountId: session.ctx.accountId },
      redactor.redactDeep(result),
      traffic && { strategy: 'percentage', versions: traffic },
    )
    logger.info(`  result: ${relative(plan.root, resultFile) || resultFile}`)
  } catch (error) {
    unwritten(resultFile, error)
  }
  const ciOutputs = process.env.GITHUB_OUTPUT
  if (ciOutputs)
    await writeCiOutputs(ciOutputs, result, redactor, traffic).catch((error: unknown) =>
      unwritten(`GITHUB_OUTPUT (${ciOutputs})`, error),
    )
  const summary = process.env.GITHUB_STEP_SUMMARY
  if (summary)
    await appendStepSummary(
      summary,
      versionSummaryRow(target.worker, result, traffic, extra),
      redactor,
    ).catch((error: unknown) => unwritten(`GITHUB_STEP_SUMMARY (${summary})`, error))
  // A version known by its id alone (deployed, not read back) is not the full result `onVersion` is promised.
  if (typeof result.number !== 'number') return
  try {
    await options.onVersion?.(redactor.redactDeep(result as VersionResult))
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new WorkersVersionError(
      'ON_VERSION_FAILED',
      `onVersion failed: ${reason}. The upload itself succeeded: ${created}.`,
      { cause: error },
    )
  }
}

/**
 * Uploads the static assets and returns their completion token: no version without its assets,
 * so a failed upload throws here, before the version exists. Loaded only for a Worker with
 * assets (it needs undici's FormData, a larger part of undici).
 */
async function uploadAssetsOf(
  manifest: NonNullable<BuiltVersion['assets']>,
  session: UploadSession,
): Promise<string> {
  const { plan, logger, ctx } = session
  const [{ uploadAssets }, { createAssetsProgress }] = await Promise.all([
    import('../api/assets.js'),
    import('../assets/progress.js'),
  ])
  const progress = createAssetsProgress(logger.silent() ? { stream: { write: () => true } } : {})
  try {
    const uploaded = await uploadAssets({
      ...ctx,
      scriptName: plan.target.worker,
      manifest,
      concurrency: plan.assets?.concurrency,
      onProgress: progress.update,
    })
    progress.done(uploaded)
    return uploaded.jwt
  } catch (error) {
    progress.stop()
    throw error
  }
}

/** The state read while the bundler worked, when there is one and it is recent; otherwise read now. */
async function workerStateOf(session: UploadSession): Promise<WorkerState> {
  if (session.early) {
    const { state, readAt } = await holdingProcessOpen(session.early)
    if (Date.now() - readAt <= EARLY_STATE_MAX_AGE_MS) return state
  }
  return readWorker(session.ctx, session.plan)
}

/**
 * Awaits a background read. Its timers do not keep the process running, and a pending promise
 * does not either: without a handle of its own the process could end mid-upload, silently.
 */
async function holdingProcessOpen<T>(promise: Promise<T>): Promise<T> {
  const handle = setInterval(() => undefined, 2 ** 30)
  try {
    return await promise
  } finally {
    clearInterval(handle)
  }
}

/** The Worker's existence, current deployment, migration tag and secrets, each read only when needed. */
async function readWorker(ctx: ApiCallContext, plan: UploadPlan): Promise<WorkerState> {
  const worker = plan.target.worker
  const reads = workerReads(plan)
  const [info, current, migrationTag, secrets] = await Promise.all([
    getWorker(ctx, worker),
    reads.deployment ? currentDeployment(ctx, worker) : undefined,
    reads.migrationTag ? currentMigrationTag(ctx, worker) : undefined,
    reads.secrets ? listSecrets(ctx, worker) : [],
  ])
  return { isNew: info === undefined, current, migrationTag, secrets: secrets.map((s) => s.name) }
}

/** The version's row of the job summary; its id and URLs were checked by the client. */
function versionSummaryRow(
  worker: string,
  result: KnownVersion,
  traffic: TrafficShare[] | undefined,
  extra: { sizeBytes: number; applied: string[] },
): SummaryRow {
  const urls = (result.urls ?? []).filter((url): url is string => typeof url === 'string')
  return {
    worker,
    kind: traffic ? 'deployment' : 'version',
    ids: [
      [
        'Version',
        `${result.id} (number ${typeof result.number === 'number' ? String(result.number) : 'unknown: not read back'})`,
      ],
    ],
    urls: urls.map((url) => ['Version preview URL', url]),
    traffic: traffic && trafficLine(traffic, result.id),
    ...extra,
  }
}

function trafficLine(traffic: readonly TrafficShare[], newId: string): string {
  return traffic
    .map(
      (t) =>
        `${t.percentage}% → ${t.version_id === newId ? `${t.version_id} (new)` : t.version_id}`,
    )
    .join(', ')
}
