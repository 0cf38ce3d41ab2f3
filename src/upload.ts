import { appendFile } from 'node:fs/promises'
import { relative } from 'node:path'
import pc from 'picocolors'
import {
  createAgent,
  createDeployment,
  createVersion,
  createWorker,
  currentDeployment,
  currentMigrationTag,
  describePointer,
  formatVersionResult,
  getWorker,
  identityOfPayload,
  listSecrets,
  pendingMigrations,
  planTraffic,
  redactorFor,
  resolveTimeouts,
  writeGithubOutput,
  type Agent,
  type ApiCallContext,
  type Deployment,
  type TrafficShare,
} from './api/index.js'
import type { VersionResult } from './core/body.js'
import { WorkersVersionError } from './core/errors.js'
import { bodyByteLength, bodyChunks, toRequestBody, type VersionPayload } from './core/serialize.js'
import type { VersionConfig } from './options/schema.js'
import type { ResolvedOptions } from './options/resolve.js'
import { versionConfigOf, type BuildPlan } from './plan.js'
import { preflight } from './preflight.js'
import type { BuiltVersion } from './build.js'
import { writeResultJson } from './report/files.js'
import type { Logger } from './report/logger.js'

/** What the Worker looks like before the version is created: read in parallel, in one round trip. */
interface WorkerState {
  isNew: boolean
  current?: Deployment
  migrationTag?: string
  secrets: string[]
}

/**
 * Creates the version from a built body, gives it traffic when `promote` says so, and reports.
 * Loaded only when a build uploads, so a dry run never loads the HTTP client. Every check that
 * can fail (preflight, a gradual rollout without a deployed version) runs before the version is
 * created; a failure throws and leaves `request.json` and the bundle as they are.
 */
export async function uploadVersion(version: BuiltVersion, plan: BuildPlan, options: ResolvedOptions, logger: Logger): Promise<VersionResult> {
  const config = await versionConfigOf(plan, 'upload')
  // One redactor knows every secret of the run; whatever leaves this function passes it.
  const redactor = redactorFor({ credentials: plan.target!.credentials, bindings: config.bindings })
  const redacted: Logger = { info: (line) => logger.info(redactor.redact(line)), warn: (line) => logger.warn(redactor.redact(line)), silent: logger.silent }
  // One connection pool for every call of the upload: connections (and TLS sessions) are reused.
  const agent = createAgent(resolveTimeouts(options.network.timeouts))
  try {
    return await deploy(version, config, plan, options, redacted, redactor, agent)
  } catch (error) {
    throw redactor.redactDeep(error)
  } finally {
    // Destroyed, not closed: an idle keep-alive socket must not hold the build's process open.
    await agent.destroy().catch(() => undefined)
  }
}

async function deploy(
  { payload: built, assets }: BuiltVersion,
  uploadConfig: VersionConfig,
  plan: BuildPlan,
  options: ResolvedOptions,
  logger: Logger,
  redactor: ReturnType<typeof redactorFor>,
  agent: Agent,
): Promise<VersionResult> {
  const target = plan.target!
  const worker = target.worker
  let config = uploadConfig

  if (plan.preflight) {
    const startup = await preflight({ ...built, config }, worker, logger)
    if (startup !== undefined) logger.info(`${pc.green('✓')} preflight: the version starts in workerd (${Math.round(startup)} ms locally)`)
  }

  const ctx: ApiCallContext = {
    baseUrl: target.baseUrl,
    credentials: target.credentials,
    accountId: target.accountId,
    timeouts: options.network.timeouts,
    retries: options.network.retries,
    redactor,
    agent,
    log: (line) => logger.warn(pc.yellow(`  ${line}`)),
  }
  const state = await readWorker(ctx, plan)
  // A gradual rollout needs a version to roll from: refused before anything is created.
  if (plan.promote !== undefined && plan.promote < 100) planTraffic(state.current, 'the new version', plan.promote)
  if (state.isNew) {
    if (!plan.createWorker) {
      throw new WorkersVersionError(
        'WORKER_NOT_FOUND',
        `Worker ${JSON.stringify(worker)} does not exist in account ${target.accountId}: create it first, or set \`createWorker: true\` to let the plugin create it.`,
      )
    }
    await createWorker(ctx, worker)
    logger.info(`${pc.green('✓')} created Worker ${pc.bold(worker)} (first deploy)`)
  }

  if (plan.migrationSteps) {
    const migrations = pendingMigrations(plan.migrationSteps, state.migrationTag, (message) => logger.warn(pc.yellow(`⚠ ${message}`)))
    const { migrations: _all, ...rest } = config
    config = migrations ? { ...rest, migrations: migrations as VersionConfig['migrations'] } : rest
  }
  if (assets) {
    // No version without its assets: a failed upload throws here, before the version exists.
    // Loaded only for a Worker with assets (it needs undici's FormData, a larger part of undici).
    const [{ uploadAssets }, { createAssetsProgress }] = await Promise.all([import('./api/assets.js'), import('./assets/progress.js')])
    const progress = createAssetsProgress(logger.silent() ? { stream: { write: () => true } } : {})
    try {
      const uploaded = await uploadAssets({ ...ctx, scriptName: worker, manifest: assets, concurrency: plan.assets!.concurrency, onProgress: progress.update })
      progress.done(uploaded)
      config = { ...config, assets: { ...config.assets, jwt: uploaded.jwt } }
    } catch (error) {
      progress.stop()
      throw error
    }
  }
  const kept = state.secrets.filter((name) => !config.bindings?.some((binding) => binding.name === name))
  if (kept.length > 0) config = { ...config, bindings: [...(config.bindings ?? []), ...kept.map((name) => ({ type: 'inherit' as const, name }))] }

  const payload: VersionPayload = { ...built, config }
  const outline = toRequestBody(payload, false)
  logger.info(`${pc.cyan('↑')} creating a version of ${pc.bold(worker)} …`)
  const started = performance.now()
  const result = await createVersion({
    ...ctx,
    worker,
    body: () => bodyChunks(payload),
    contentLength: bodyByteLength(payload),
    identity: identityOfPayload(payload),
    describe: (pointer) => describePointer(outline, pointer),
  })
  const elapsed = performance.now() - started
  logger.info(`${pc.green('✓')} created version ${pc.bold(String(result.number))} of ${pc.bold(worker)}`)
  for (const line of formatVersionResult(result, elapsed, redactor)) logger.info(`  ${line}`)
  if (kept.length > 0) logger.info(`  kept secrets: ${kept.join(', ')}`)

  let traffic: TrafficShare[] | undefined
  if (plan.promote !== undefined) {
    traffic = planTraffic(state.current, result.id, plan.promote)
    await createDeployment(ctx, worker, { versions: traffic, message: config.annotations?.['workers/message'] })
    logger.info(`${pc.green('✓')} deployed: ${trafficLine(traffic, result.id)}`)
  } else {
    logger.info(
      `  ${pc.yellow('no traffic yet')}: the version serves only its preview URL; set \`promote: true\` (or a percentage) to deploy it, or run \`wrangler versions deploy ${result.id}\`.`,
    )
  }

  const resultFile = await writeResultJson(plan.outputDir, target, redactor.redactDeep(result), traffic && { strategy: 'percentage', versions: traffic })
  logger.info(`  result: ${relative(plan.root, resultFile) || resultFile}`)
  if (process.env.GITHUB_OUTPUT) {
    await writeGithubOutput(process.env.GITHUB_OUTPUT, result, redactor)
    if (traffic) await appendFile(process.env.GITHUB_OUTPUT, `traffic=${traffic.map((t) => `${t.version_id}:${t.percentage}`).join(',')}\n`)
  }
  await options.onVersion?.(redactor.redactDeep(result))
  return result
}

/** The Worker's existence, current deployment, migration tag and secrets, each read only when needed. */
async function readWorker(ctx: ApiCallContext, plan: BuildPlan): Promise<WorkerState> {
  const worker = plan.target!.worker
  const [info, current, migrationTag, secrets] = await Promise.all([
    getWorker(ctx, worker),
    plan.promote !== undefined ? currentDeployment(ctx, worker) : undefined,
    plan.migrationSteps ? currentMigrationTag(ctx, worker) : undefined,
    listSecrets(ctx, worker),
  ])
  return { isNew: info === undefined, current, migrationTag, secrets: secrets.map((s) => s.name) }
}

function trafficLine(traffic: readonly TrafficShare[], newId: string): string {
  return traffic.map((t) => `${t.percentage}% → ${t.version_id === newId ? `${t.version_id} (new)` : t.version_id}`).join(', ')
}
