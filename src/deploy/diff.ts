/**
 * What a deploy will change, shown before anything is written: the deployed version and the
 * Worker's triggers are read while the bundler works (started with the upload's session, in one
 * parallel round trip, then the deployed version's content in a second), compared with the build
 * (plan/diff.ts), printed, written to `diff.json` and the job summary; strict mode then refuses
 * the changes it guards unless acknowledged. A read that fails is a "not compared" line (and, in
 * strict mode, a refusal: what cannot be checked is not let through). With static assets, when the
 * assets upload has started by the time the reads are done (not in strict mode nor on the script
 * upload, where the diff comes first), it also waits for the upload session's answer
 * (deploy/assets-answer.ts): how many files have contents Cloudflare lacks.
 */
import { createHash } from 'node:crypto'
import { relative } from 'node:path'
import pc from 'picocolors'
import { currentDeployment, type ApiCallContext, type Deployment } from '../api/index.js'
import {
  getDeployedVersion,
  getScriptSettings,
  getWorkersDev,
  listCustomDomains,
  listSchedules,
  listScriptRoutes,
} from '../api/deployed-state.js'
import { listQueueStates, listWorkflowStates } from '../api/deployed-attachments.js'
import { WorkersVersionError } from '../core/errors.js'
import { printable } from '../core/printable.js'
import type { Redactor } from '../core/redact.js'
import type { ResolvedOptions } from '../options/resolve.js'
import { diffVersion, formatDiff, type DeployedSide, type VersionDiff } from '../plan/diff.js'
import type { UploadPlan } from '../plan/index.js'
import { workerReads } from '../plan/reads.js'
import { appendDiffSummary, writeDiffJson, type DiffReport } from '../report/diff-report.js'
import { unwrittenWarning } from '../report/files.js'
import type { Logger } from '../report/logger.js'
import { describeMigrations } from '../version/migrations.js'
import type { BuiltVersion } from '../version/build.js'
import type { AssetsSide } from '../plan/diff-assets.js'
import { assetsAnswerOf } from './assets-answer.js'
import type { DeployRoute } from './path.js'
import { holdingProcessOpen } from './worker-state.js'

/** What the diff needs of an upload's session (deploy/index.ts). */
export interface DiffSession {
  readonly plan: UploadPlan
  readonly ctx: ApiCallContext
  readonly logger: Logger
  readonly redactor: Redactor
  /** The account looked up from the token, when none was configured. */
  readonly account?: Promise<string>
  /** The Worker's state read early; it holds the current deployment when the plan reads it (a gradual rollout). */
  readonly early?: Promise<{ state: { current?: Deployment } }>
}

/**
 * Starts the reads for `session` at once (`background`: while the bundler works, without holding the
 * process open). A Preview has no diff: it replaces no deployed version.
 */
export function startDiffReads(session: DiffSession, background: boolean): void {
  if (session.plan.preview || session.plan.dispatch) return
  void readsOf(session, background)
}

/**
 * What the diff compares with, for `session`'s plan. Each read is made once per session context
 * (`once`): a read already started, while the bundler worked or for another plan the session serves,
 * is taken as it is, and only the reads this plan adds go out.
 */
function readsOf(session: DiffSession, background: boolean): Promise<Omit<DeployedSide, 'isNew'>> {
  const { plan, early } = session
  // A gradual rollout reads the deployment with the Worker's state: that one read serves both.
  const deployment =
    workerReads(plan).deployment && early
      ? () => early.then(({ state }) => state.current)
      : undefined
  const reading = (session.account ?? Promise.resolve()).then(() =>
    readDeployed({ ...session.ctx, background }, plan, deployment, once(session.ctx)),
  )
  reading.catch(() => undefined)
  return reading
}

/**
 * The hook: after the Worker's state is read and the route decided, before anything is created or
 * uploaded. Prints the diff, writes `diff.json` and the job summary section, and in strict mode
 * throws UNACKNOWLEDGED_CHANGES for each guarded change `strict.allow` does not name.
 */
export async function diffBeforeWrites(
  session: DiffSession,
  version: BuiltVersion,
  options: Pick<ResolvedOptions, 'strict'>,
  state: { isNew: boolean },
  route: DeployRoute,
  /**
   * A dry run's diff (deploy/dry-run-diff.ts): strict mode fails it on the guarded changes it sees,
   * saying a deploy would be refused; what could not be read stays a "not compared" line.
   */
  dryRun = false,
): Promise<VersionDiff | undefined> {
  const { plan, logger } = session
  if (plan.preview || plan.dispatch) return undefined
  const deployed = await holdingProcessOpen(readsOf(session, false))
  const assets = version.assets && (await assetsSide(version.assets))
  const diff = diffVersion(
    {
      bindings: (plan.version.bindings ?? []) as unknown as Record<string, unknown>[],
      compatibilityDate: plan.version.compatibility_date,
      compatibilityFlags: plan.version.compatibility_flags ?? [],
      mainModule: version.modules.mainModule,
      modules: version.modules.modules.map((m) => ({
        name: m.name,
        size: m.contents.byteLength,
        sha256: createHash('sha256').update(m.contents).digest('hex'),
      })),
      assetFiles: version.assets?.files.length,
      ...(assets && { assets }),
      pendingMigrations:
        route.kind === 'script' && route.migrations !== undefined
          ? describeMigrations(route.migrations)
          : undefined,
      deploySteps: plan.deploySteps,
      keepsSecrets: version.modules.mainModule !== undefined,
    },
    { ...deployed, isNew: state.isNew },
  )
  const strict = options.strict
  const guarded = diff.changes.filter((c) => c.guard !== undefined)
  const refused = strict ? guarded.filter((c) => !strict.allow.includes(c.guard!)) : []
  const report: DiffReport = {
    worker: plan.target.worker,
    compared: true,
    against: diff.against,
    changes: diff.changes,
    notCompared: diff.notCompared,
    ...(diff.kept.length > 0 && { kept: diff.kept }),
    ...(strict && {
      strict: {
        refused: refused.map((c) => c.guard!),
        acknowledged: guarded.filter((c) => strict.allow.includes(c.guard!)).map((c) => c.guard!),
      },
    }),
  }
  for (const [i, line] of formatDiff(diff).entries())
    logger.info(i === 0 ? `${pc.cyan('±')} ${printable(line)}` : colour(printable(line)))
  await writeReport(session, report)
  if (strict)
    refuseUnacknowledged(plan.target.worker, refused, dryRun ? [] : diff.notCompared, dryRun)
  return diff
}

/**
 * The assets upload session's answer, when an upload was started before the reads were done (it
 * starts right after this hook, unless the diff must come before any write: strict mode, the
 * script upload). The diff then waits for it: it is shown before the deployment either way.
 */
async function assetsSide(manifest: NonNullable<BuiltVersion['assets']>): Promise<AssetsSide> {
  const answer = assetsAnswerOf(manifest)
  if (!answer)
    return {
      known: false,
      why: 'which files Cloudflare lacks is known only from the assets upload session, and none had started when this diff was made (it is shown before any write)',
    }
  try {
    return { known: true, toUpload: await answer }
  } catch (error) {
    return {
      known: false,
      why: `the assets upload session failed (${error instanceof Error ? error.message : String(error)})`,
    }
  }
}

function colour(line: string): string {
  const sign = line.trimStart()[0]
  return sign === '+'
    ? pc.green(line)
    : sign === '-'
      ? pc.red(line)
      : sign === '~'
        ? pc.yellow(line)
        : pc.dim(line)
}

/** diff.json and the job summary; neither may fail the deploy (the refusal, if any, comes after). */
async function writeReport(session: DiffSession, report: DiffReport): Promise<void> {
  const { plan, logger, redactor } = session
  const unwritten = unwrittenWarning(logger, 'the diff was printed above')
  try {
    const file = writeDiffJson(plan.outputDir, report, redactor)
    logger.info(pc.dim(`  diff: ${relative(plan.root, file) || file}`))
  } catch (error) {
    unwritten('diff.json', error)
  }
  const summary = process.env.GITHUB_STEP_SUMMARY
  if (summary)
    await appendDiffSummary(summary, report, redactor).catch((error: unknown) =>
      unwritten(`GITHUB_STEP_SUMMARY (${summary})`, error),
    )
}

function refuseUnacknowledged(
  worker: string,
  refused: ReadonlyArray<{ line: string; guard?: string }>,
  notCompared: readonly string[],
  dryRun: boolean,
): void {
  // What could not be read cannot be checked: strict mode does not let it through unseen.
  const unchecked = notCompared.filter((gap) => UNCHECKED.test(gap))
  if (refused.length === 0 && unchecked.length === 0) return
  const lines = refused.map((c) => `  ${c.line}   acknowledge with '${c.guard}'`)
  const gaps = unchecked.map((gap) => `  could not check ${gap}`)
  throw new WorkersVersionError(
    'UNACKNOWLEDGED_CHANGES',
    (dryRun
      ? `strict: a deploy of this build to Worker ${JSON.stringify(worker)} would be refused (dry run: nothing was written): `
      : `strict: nothing was written to Worker ${JSON.stringify(worker)}: `) +
      (refused.length > 0
        ? `this deploy makes ${refused.length === 1 ? 'a change' : `${refused.length} changes`} strict mode guards:\n${lines.join('\n')}\n` +
          `To deploy anyway, list ${refused.length === 1 ? 'its key' : 'their keys'} in \`strict: { allow: [${refused.map((c) => `'${c.guard}'`).join(', ')}] }\`.`
        : '') +
      (gaps.length > 0
        ? `${refused.length > 0 ? '\n' : ''}what strict mode checks could not be read:\n${gaps.join('\n')}`
        : ''),
  )
}

/** The reads whose failure leaves a guarded change unchecked (bindings and compatibility, routes, Custom Domains). */
const UNCHECKED = /^(?:deployed version|routes|Custom Domains):/

/**
 * Each read made once per session context, whatever plans ask for it: a plan served by the session
 * with more deploy steps (the Cloudflare plugin's generated config, beside the user's) reads only
 * the triggers the first did not, and takes the deployment and the deployed version already read.
 */
const readOnce = new WeakMap<ApiCallContext, Map<string, Promise<unknown>>>()

type Once = <T>(key: string, read: () => Promise<T>) => Promise<T>

function once(shared: ApiCallContext): Once {
  return <T>(key: string, read: () => Promise<T>) => {
    const reads = readOnce.get(shared) ?? new Map<string, Promise<unknown>>()
    readOnce.set(shared, reads)
    if (!reads.has(key)) reads.set(key, read())
    return reads.get(key) as Promise<T>
  }
}

/**
 * The deployment and the triggers (the account's queues and Workflows among them, when the
 * promote applies consumers or Workflows) in one parallel round trip, then the deployed version's
 * content.
 */
async function readDeployed(
  ctx: ApiCallContext,
  plan: UploadPlan,
  deploymentRead: (() => Promise<Deployment | undefined>) | undefined,
  shared: Once,
): Promise<Omit<DeployedSide, 'isNew'>> {
  const worker = plan.target.worker
  const steps = new Set((plan.deploySteps ?? []).map((s) => s.kind))
  const unread: string[] = []
  // `key` names the read for `shared`; `what` names it in a "not compared" line.
  const attempt = async <T>(
    what: string,
    read: () => Promise<T>,
    key = what,
  ): Promise<T | undefined> => {
    try {
      return await shared(key, read)
    } catch (error) {
      unread.push(`${what}: ${error instanceof Error ? error.message : String(error)}`)
      return undefined
    }
  }
  const [deployment, routes, domains, crons, workersDev, settings, queues, workflows] =
    await Promise.all([
      attempt(
        'deployed version',
        deploymentRead ?? (() => currentDeployment(ctx, worker)),
        'deployment',
      ),
      steps.has('routes') ? attempt('routes', () => listScriptRoutes(ctx, worker)) : undefined,
      steps.has('custom-domains')
        ? attempt('Custom Domains', () => listCustomDomains(ctx, worker))
        : undefined,
      steps.has('schedules')
        ? attempt('cron schedules', () => listSchedules(ctx, worker))
        : undefined,
      steps.has('workers-dev')
        ? attempt('workers.dev', () => getWorkersDev(ctx, worker))
        : undefined,
      steps.has('script-settings')
        ? attempt('script settings', () => getScriptSettings(ctx, worker))
        : undefined,
      // Queue consumers and Workflows: read only when the promote applies them, as the others.
      steps.has('queue-consumers')
        ? attempt('queue consumers', () => listQueueStates(ctx, worker))
        : undefined,
      steps.has('workflows')
        ? attempt('Workflows', () => listWorkflowStates(ctx, worker))
        : undefined,
    ])
  const main = mainVersion(deployment)
  const version =
    main &&
    (await attempt(
      'deployed version',
      () => getDeployedVersion(ctx, worker, main.version_id),
      `version ${main.version_id}`,
    ))
  return {
    ...(version && { version }),
    ...(deployment && deployment.versions.length > 1 && { split: describeSplit(deployment) }),
    ...(routes && { routes }),
    ...(domains && { domains }),
    ...(crons && { crons }),
    ...(workersDev && { workersDev }),
    ...(settings && { settings }),
    ...(queues && { queues }),
    ...(workflows && { workflows }),
    unread,
  }
}

/** During a gradual rollout the new version is compared with the one serving most of the traffic. */
function mainVersion(deployment: Deployment | undefined) {
  return deployment?.versions.reduce<(typeof deployment.versions)[number] | undefined>(
    (best, v) => (best === undefined || v.percentage > best.percentage ? v : best),
    undefined,
  )
}

function describeSplit(deployment: Deployment): string {
  return deployment.versions.map((v) => `${v.version_id} at ${v.percentage}%`).join(', ')
}
