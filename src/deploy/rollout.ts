/**
 * A health-gated rollout (`promote: { steps, … }`), run once the new version exists. Each step
 * deploys the new version at its share next to the previous one; at 0% the new version gets no
 * traffic and is reached only through the version overrides header, which is where the checks go
 * first. A step below 100% then waits its interval and reads both versions' invocations from the
 * GraphQL Analytics API; `judgeStep` (rollout-rule.ts) decides. A failed check or an unhealthy
 * step deploys the previous version at 100% again and fails the build with the figures.
 */
import pc from 'picocolors'
import { readInvocations, type VersionInvocations } from '../api/analytics.js'
import {
  createDeployment,
  deployRollout,
  type Deployment,
  type TrafficShare,
} from '../api/deployments.js'
import { describeCohortSplit } from '../api/cohort-deployment.js'
import { probeVersion } from '../api/probe.js'
import type { ApiCallContext } from '../api/request.js'
import { WorkersVersionError } from '../core/errors.js'
import { quoteValue } from '../core/printable.js'
import type { ResolvedRollout } from '../options/rollout.js'
import { createLiveLine, isLiveTerminal } from '../report/live-line.js'
import type { Logger } from '../report/logger.js'
import type { InterruptionWatch } from './interruption.js'
import { describeInvocations, judgeStep, percent } from './rollout-rule.js'
import { planSteps, stepName } from './rollout-split.js'

/** One step as result.json, the CI outputs and the job summary record it. */
export interface RolloutStepRecord {
  /** The new version's share: of the cohort's requests for a cohort step, of all traffic otherwise. */
  percentage: number
  /** The cohort a cohort step gave the new version to (its requests carry `Cloudflare-Workers-Cohort`). */
  cohort?: string
  outcome: 'checked' | 'passed' | 'failed' | 'deployed' | 'not enough traffic' | 'check failed'
  started_at: string
  /** The new and the previous version's invocations in the step's window (steps below 100% after 0). */
  new?: VersionInvocations
  previous?: VersionInvocations
  checks?: number
}

export interface RolloutOutcome {
  /** The traffic the rollout left: the new version at 100%, or the previous one after a rollback. */
  traffic: TrafficShare[]
  /** The cohorts of the deployment left, when a failure left a cohort step's deployment as it was. */
  cohorts?: Deployment['cohorts']
  steps: RolloutStepRecord[]
  /** Why the build fails (a rollback, a failed check); the traffic above is still what is deployed. */
  failure?: WorkersVersionError
}

export interface RolloutRun {
  ctx: ApiCallContext
  worker: string
  newId: string
  /** The deployment read before the version was created: one version at 100% (`refuseRolloutFrom`). */
  previous: Deployment
  rollout: ResolvedRollout
  message?: string
  logger: Logger
  interruption: InterruptionWatch
}

/** Before anything is created: a gated rollout needs one version serving everything to roll from and back to. */
export function refuseRolloutFrom(current: Deployment | undefined, worker: string): Deployment {
  if (current?.cohorts?.length)
    throw new WorkersVersionError(
      'PROMOTE_NOT_POSSIBLE',
      `\`promote\`: a gated rollout of Worker ${quoteValue(worker)} starts from one version serving all traffic, and the current deployment has cohorts (${describeCohortSplit(current.versions, current.cohorts)}). Finish that rollout first (deploy one version at 100%).`,
    )
  const shares = current?.versions.filter((v) => v.percentage > 0) ?? []
  if (!current || shares.length !== 1)
    throw new WorkersVersionError(
      'PROMOTE_NOT_POSSIBLE',
      shares.length === 0
        ? `\`promote\`: a gated rollout of Worker ${quoteValue(worker)} needs a deployed version to split traffic with and to roll back to, and nothing is deployed yet. Deploy it fully first (\`promote: true\`).`
        : `\`promote\`: a gated rollout of Worker ${quoteValue(worker)} starts from one version serving all traffic, and the current deployment splits it (${shares.map((s) => `${s.version_id} at ${s.percentage}%`).join(', ')}). Finish that rollout first (\`wrangler versions deploy\`).`,
    )
  return { ...current, versions: [{ version_id: shares[0]!.version_id, percentage: 100 }] }
}

export async function runRollout(run: RolloutRun): Promise<RolloutOutcome> {
  const { worker, newId, rollout, logger, interruption } = run
  // A rollout lasts longer than one upload's deadline: each call gets its own pool and deadline.
  const ctx: ApiCallContext = { ...run.ctx, agent: undefined }
  const previousId = run.previous.versions[0]!.version_id
  const steps: RolloutStepRecord[] = []
  const live = !logger.silent() && isLiveTerminal() ? createLiveLine() : undefined
  const progress = (line: string) => (live ? live.show(`  ${line}`) : logger.info(`  ${line}`))
  const done = (line: string) => {
    live?.clear()
    logger.info(`  ${line}`)
  }
  let read: Deployment = run.previous
  const total = rollout.steps.length

  const rollBack = async (
    step: RolloutStepRecord,
    why: string,
    code: 'ROLLOUT_CHECK_FAILED' | 'ROLLOUT_ROLLED_BACK' | 'ROLLOUT_NO_TRAFFIC',
  ): Promise<RolloutOutcome> => {
    steps.push(step)
    done(`${pc.red('✖')} rollout stopped at ${stepName(step)}: ${why}`)
    interruption.during('the rollback', `version ${previousId} may already serve 100% again`)
    const traffic = [{ version_id: previousId, percentage: 100 }]
    try {
      await createDeployment(ctx, worker, { versions: traffic, message: `rollback of ${newId}` })
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new WorkersVersionError(
        code,
        `\`promote\`: ${why}. Rolling back to version ${previousId} at 100% FAILED (${reason}): the deployment may still give version ${newId} ${stepName(step)}. Roll back by hand: \`wrangler versions deploy ${previousId}@100% --name ${worker}\`.`,
        { cause: error },
      )
    }
    interruption.settled()
    logger.info(`${pc.yellow('↩')} rolled back: 100% → ${previousId} (previous)`)
    return {
      traffic,
      steps,
      failure: new WorkersVersionError(
        code,
        `\`promote\`: the gated rollout of version ${newId} of ${worker} stopped at ${stepName(step)}: ${why}. Version ${previousId} serves 100% again; version ${newId} exists without traffic.`,
      ),
    }
  }

  /** What is deployed now, for a failure in the middle: the split stays, and the error says which. */
  let deployed: { versions: TrafficShare[]; cohorts?: Deployment['cohorts'] } | undefined
  try {
    return await steppedRollout()
  } catch (error) {
    // A failed rollback and a deployment someone else changed explain themselves.
    const explained =
      error instanceof WorkersVersionError &&
      (error.code.startsWith('ROLLOUT_') || error.code === 'DEPLOYMENT_CHANGED')
    if (deployed === undefined || explained) throw error
    live?.clear()
    const reason = (error instanceof Error ? error.message : String(error)).replace(/\.?$/, '.')
    const split = describeCohortSplit(deployed.versions, deployed.cohorts)
    return {
      traffic: deployed.versions,
      ...(deployed.cohorts && { cohorts: deployed.cohorts }),
      steps,
      failure: new WorkersVersionError(
        error instanceof WorkersVersionError ? error.code : 'DEPLOYMENT_FAILED',
        `\`promote\`: the gated rollout of version ${newId} of ${worker} stopped: ${reason} The deployment is left as it is (${split}); nothing was rolled back. Continue or roll back with \`wrangler versions deploy\`.`,
        { cause: error },
      ),
    }
  }

  async function steppedRollout(): Promise<RolloutOutcome> {
    for (const [index, plan] of planSteps(rollout.steps, newId, previousId).entries()) {
      const { percentage, versions, cohorts } = plan
      const label = `step ${index + 1}/${total}: ${plan.name}`
      const split = describeCohortSplit(versions, cohorts)
      interruption.during(
        `the gated rollout (${label})`,
        `the deployment may be ${split}, and it is left so`,
      )
      const started = new Date()
      const { made, changed } = await deployRollout(ctx, worker, read, {
        versions,
        ...(cohorts && { cohorts }),
        message: run.message,
      })
      if (changed)
        throw new WorkersVersionError(
          'DEPLOYMENT_CHANGED',
          `\`promote\`: the gated rollout of version ${newId} stopped at ${plan.name}: ${changed} Nothing was rolled back, since the traffic is no longer this build's.`,
        )
      read = made
      deployed = { versions, ...(cohorts && { cohorts }) }
      // While the step waits, a signal leaves the split as it is and says so.
      interruption.during(
        `the gated rollout (${label})`,
        `the deployment is left as it is (${split}); continue with \`wrangler versions deploy\` or run the build again`,
      )
      const step: RolloutStepRecord = {
        percentage,
        ...(plan.cohort !== undefined && { cohort: plan.cohort }),
        outcome: 'deployed',
        started_at: started.toISOString(),
      }

      if (rollout.checks.length > 0 && rollout.url !== undefined) {
        progress(`${label}: checking version ${newId} through version overrides …`)
        for (const check of rollout.checks) {
          const problem = await runCheck(rollout.url, worker, newId, check)
          if (problem)
            return rollBack(
              { ...step, outcome: 'check failed', checks: rollout.checks.length },
              `the check GET ${check.path} ${problem}`,
              'ROLLOUT_CHECK_FAILED',
            )
        }
        step.checks = rollout.checks.length
        step.outcome = 'checked'
      }
      if (percentage === 100 && plan.cohort === undefined) {
        steps.push({ ...step, outcome: 'deployed' })
        done(`${pc.green('✓')} ${label}: deployed`)
        break
      }
      if (percentage === 0 && plan.cohort === undefined) {
        steps.push(step)
        done(
          `${pc.green('✓')} ${label}: ${step.checks ? `${step.checks} check(s) passed` : 'deployed without traffic'}`,
        )
        continue
      }

      for (let round = 0; ; round++) {
        progress(`${label}: waiting ${formatMs(rollout.intervalMs)} before reading the analytics …`)
        await (rollout.wait ?? sleep)(rollout.intervalMs, {
          percentage,
          index,
          ...(plan.cohort !== undefined && { cohort: plan.cohort }),
        })
        const byVersion = await readInvocations(ctx, worker, { start: started, end: new Date() })
        const none = { requests: 0, errors: 0, subrequests: 0 }
        const newer = byVersion.get(newId) ?? none
        const older = byVersion.get(previousId) ?? none
        const figures = `new: ${describeInvocations(newer)}, previous: ${describeInvocations(older)}`
        const verdict = judgeStep(newer, older, rollout)
        const measured = { ...step, new: newer, previous: older }
        if (verdict.verdict === 'pass') {
          steps.push({ ...measured, outcome: 'passed' })
          done(`${pc.green('✓')} ${label}: healthy (${figures})`)
          break
        }
        if (verdict.verdict === 'fail')
          return rollBack(
            { ...measured, outcome: 'failed' },
            `the new version's error rate ${percent(verdict.newRate)} is above the bound ${percent(verdict.bound)} (the larger of promote.maxErrorRate ${percent(rollout.maxErrorRate)} and the previous version's ${percent(verdict.oldRate)} × promote.errorRateFactor ${rollout.errorRateFactor}); ${figures}`,
            'ROLLOUT_ROLLED_BACK',
          )
        if (round >= rollout.maxExtraIntervals)
          return rollBack(
            { ...measured, outcome: 'not enough traffic' },
            `the new version served ${newer.requests} request(s) in ${round + 1} interval(s), fewer than promote.minRequests (${rollout.minRequests}), so its health is unknown; ${figures}`,
            'ROLLOUT_NO_TRAFFIC',
          )
        progress(
          `${label}: ${newer.requests}/${rollout.minRequests} requests so far; waiting another interval`,
        )
      }
    }
    interruption.settled()
    return { traffic: [{ version_id: newId, percentage: 100 }], steps }
  }
}

/** Undefined when the answer is the one expected; otherwise what was wrong. */
async function runCheck(
  url: string,
  worker: string,
  versionId: string,
  check: ResolvedRollout['checks'][number],
): Promise<string | undefined> {
  let answer
  try {
    answer = await probeVersion(`${url}${check.path}`, worker, versionId)
  } catch (error) {
    return `got no answer (${error instanceof Error ? error.message : String(error)})`
  }
  if (answer.status !== check.status) return `answered ${answer.status}, expected ${check.status}`
  if (check.text !== undefined && !answer.text.includes(check.text))
    return `answered without the text ${JSON.stringify(check.text)}`
  return undefined
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function formatMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

/** One line per step for the job summary and the CI output `rollout`. */
export function describeSteps(steps: readonly RolloutStepRecord[]): string[] {
  return steps.map((s) => {
    const figures =
      s.new && s.previous
        ? ` (new: ${describeInvocations(s.new)}; previous: ${describeInvocations(s.previous)})`
        : ''
    return `${stepName(s)} ${s.outcome}${figures}`
  })
}
