/**
 * A dry run's diff (`diff: true`, `deploy --dry-run --diff`): the deployed Worker read as the upload
 * the dry run stands for would read it, through an upload's session (its credentials, account
 * lookup, pool and redactor) and the diff's own reads (deploy/diff.ts), then compared, printed and
 * written as an upload's diff is. GET requests only: nothing is created, uploaded or deployed. A read
 * that fails is a "not compared" line, never the dry run's failure; strict mode fails the dry run on
 * the guarded changes it sees, as it would refuse the deploy.
 */
import pc from 'picocolors'
import { currentMigrationTag, getWorker } from '../api/index.js'
import { redactorFor } from '../core/redact.js'
import type { ResolvedOptions } from '../options/resolve.js'
import { dryRunReads, type BuildPlan, type UploadPlan } from '../plan/index.js'
import { workerReads } from '../plan/reads.js'
import { reportDryRunDiff } from '../report/diff-report.js'
import type { Logger } from '../report/logger.js'
import type { BuiltVersion } from '../version/build.js'
import { bodyMigrations } from '../version/migrations.js'
import { diffBeforeWrites } from './diff.js'
import { migrationRoute, type DeployRoute } from './path.js'
import { startUpload, type UploadSession } from './session.js'
import { accountKnown } from './steps.js'

/**
 * Each dry-run Worker whose plan reads the deployed one, in turn (the others said why not when
 * built). A strict refusal of one does not stop the others' diffs: each Worker's diff.json is this
 * build's; the first refusal fails the dry run once all are written.
 */
export async function diffDryRuns(
  built: ReadonlyArray<{ plan: BuildPlan; version: BuiltVersion }>,
  options: ResolvedOptions,
  logger: Logger,
): Promise<void> {
  const refusals: unknown[] = []
  for (const { plan, version } of built) {
    const reads = dryRunReads(plan)
    if (reads) await diffDryRun(version, reads, options, logger).catch((e) => refusals.push(e))
  }
  if (refusals.length > 0) throw refusals[0]
}

async function diffDryRun(
  version: BuiltVersion,
  plan: UploadPlan,
  options: ResolvedOptions,
  logger: Logger,
): Promise<void> {
  const redactor = redactorFor({
    credentials: plan.target.credentials,
    bindings: plan.version.bindings,
  })
  const session = startUpload(plan, options, logger, { readEarly: false, redactor })
  try {
    let state: { isNew: boolean; route: DeployRoute }
    try {
      state = await readState(session)
    } catch (error) {
      // The account or the Worker could not be read (a network failure, a token without access).
      const reason = error instanceof Error ? error.message : String(error)
      await reportDryRunDiff(plan.outputDir, plan.target.worker, session.logger, {
        gap: `the deployed Worker (bindings, compatibility, modules, migrations, triggers): not read: ${redactor.redact(reason)}`,
        redactor,
      })
      return
    }
    await diffBeforeWrites(session, version, options, { isNew: state.isNew }, state.route, true)
  } catch (error) {
    throw redactor.redactDeep(error)
  } finally {
    await session.close()
  }
}

/**
 * What an upload reads of the Worker before the diff, reading only what the diff uses: whether the
 * Worker exists, and its migration tag when the build has migrations (a pending one is in the diff).
 */
async function readState(session: UploadSession): Promise<{ isNew: boolean; route: DeployRoute }> {
  const { ctx, plan, logger } = session
  await accountKnown(session)
  const worker = plan.target.worker
  const [info, tag] = await Promise.all([
    getWorker(ctx, worker),
    workerReads(plan).migrationTag ? currentMigrationTag(ctx, worker) : undefined,
  ])
  const pending = bodyMigrations(plan, tag, (message) => logger.warn(pc.yellow(`⚠ ${message}`)))
  return {
    isNew: info === undefined,
    route: pending === undefined ? { kind: 'version' } : migrationRoute(pending),
  }
}
