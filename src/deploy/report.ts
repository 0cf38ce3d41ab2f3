/**
 * What an upload leaves behind once its version or Preview deployment exists: result.json, the
 * GitHub step outputs and job summary, and `onVersion`. The thing exists by now, so nothing local
 * may turn the build into a failure (a CI re-run would create and deploy another): a file that
 * cannot be written (a full disk, a directory at its name) is a warning naming the file.
 */
import { relative } from 'node:path'
import type { TrafficShare } from '../api/index.js'
import type { VersionResult } from '../core/body.js'
import { WorkersVersionError } from '../core/errors.js'
import type { ResolvedOptions } from '../options/resolve.js'
import { writeCiOutputs } from '../report/ci-outputs.js'
import { resultJsonPath, unwrittenWarning, writeResultJson } from '../report/files.js'
import { appendStepSummary, type SummaryRow } from '../report/step-summary.js'
import { describeSteps, type RolloutStepRecord } from './rollout.js'
import type { CohortSplit } from '../api/cohort-deployment.js'
import type { KnownVersion } from './script.js'
import type { UploadSession } from './session.js'
import type { DeployStepsOutcome } from './triggers.js'

/** What differs between the outcomes an upload reports: a version, a Preview deployment, a Preview deleted. */
export interface OutcomeReport {
  /** What exists now, for the warnings (`version … of … was created`). */
  done: string
  /** Writes result.json at `resultJsonPath(plan.outputDir)`. */
  writeResult: () => void
  /** Appends the step outputs to `$GITHUB_OUTPUT`'s file; none: the outcome has no outputs. */
  ciOutputs?: (file: string) => Promise<void>
  /** The outcome's row of `$GITHUB_STEP_SUMMARY`; none: the outcome has no row. */
  summaryRow?: SummaryRow
}

/** Writes each report the outcome has; one that cannot be written is a warning saying what was `done`. */
export async function reportOutcome(session: UploadSession, report: OutcomeReport): Promise<void> {
  const { plan, logger, redactor } = session
  const unwritten = unwrittenWarning(logger, report.done)
  const resultFile = resultJsonPath(plan.outputDir)
  try {
    report.writeResult()
    logger.info(`  result: ${relative(plan.root, resultFile) || resultFile}`)
  } catch (error) {
    unwritten(resultFile, error)
  }
  const ciOutputs = process.env.GITHUB_OUTPUT
  if (ciOutputs && report.ciOutputs)
    await report
      .ciOutputs(ciOutputs)
      .catch((error: unknown) => unwritten(`GITHUB_OUTPUT (${ciOutputs})`, error))
  const summary = process.env.GITHUB_STEP_SUMMARY
  if (summary && report.summaryRow)
    await appendStepSummary(summary, report.summaryRow, redactor).catch((error: unknown) =>
      unwritten(`GITHUB_STEP_SUMMARY (${summary})`, error),
    )
}

/**
 * A created version's reports, then `onVersion` with its result: only `onVersion` itself can still
 * fail the build, and its error then says which version already exists.
 */
export async function reportCreated(
  session: UploadSession,
  options: ResolvedOptions,
  result: KnownVersion,
  traffic: TrafficShare[] | undefined,
  extra: {
    sizeBytes: number
    applied: string[]
    rollout?: RolloutStepRecord[]
    /** The cohorts of a cohort deployment a stopped rollout left (`traffic` is then the split of the other requests). */
    cohorts?: CohortSplit[]
  },
): Promise<void> {
  const { plan, redactor } = session
  const { worker } = plan.target
  const created = `version ${result.id} of ${worker} was created${traffic ? ` and deployed (${trafficLine(traffic, result.id)})` : ''}`
  await reportOutcome(session, {
    done: created,
    writeResult: () =>
      writeResultJson(
        plan.outputDir,
        { worker, accountId: session.ctx.accountId },
        redactor.redactDeep(result),
        traffic && {
          strategy: extra.cohorts ? 'cohorts' : 'percentage',
          versions: traffic,
          ...(extra.cohorts && { cohorts: extra.cohorts }),
          ...(extra.rollout && { rollout: extra.rollout }),
        },
      ),
    ciOutputs: (file) =>
      writeCiOutputs(
        file,
        result,
        redactor,
        traffic,
        extra.rollout && describeSteps(extra.rollout).join('; '),
      ),
    summaryRow: versionSummaryRow(worker, result, traffic, {
      sizeBytes: extra.sizeBytes,
      applied: [
        ...extra.applied,
        ...describeSteps(extra.rollout ?? []).map((step) => `rollout ${step}`),
      ],
    }),
  })
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
 * A deploy step that failed fails the build after the report, so that result.json and onVersion
 * know the deployed version; its error wins over an onVersion error.
 */
export async function reportThenFail(
  report: Promise<void>,
  settled: DeployStepsOutcome | undefined,
  unread?: Error,
): Promise<void> {
  const failure = settled?.failure ?? unread
  await report.finally(() => failure && Promise.reject(failure))
}

/** What the job summary's "Applied" cell lists: everything this upload changed besides the code. */
export function appliedSummary(
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

/** `30% → <old>, 70% → <new> (new)`: a traffic split, the new version marked. */
export function trafficLine(traffic: readonly TrafficShare[], newId: string): string {
  return traffic
    .map(
      (t) =>
        `${t.percentage}% → ${t.version_id === newId ? `${t.version_id} (new)` : t.version_id}`,
    )
    .join(', ')
}
