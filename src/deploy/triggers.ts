/**
 * Sends the steps the plan settled (`plan/triggers.ts`) after a deployment at 100%, through the
 * requests of `api/triggers.ts`. Loaded by the upload only, so a dry run never reaches the client.
 */
import type { ApiCallContext } from '../api/index.js'
import {
  findQueue,
  getWorkflow,
  patchScriptSettings,
  putCustomDomains,
  putRoutes,
  putSchedules,
  putWorkflow,
  setWorkersDev,
  upsertQueueConsumer,
} from '../api/triggers.js'
import { putUrlTransformations } from '../api/image-transformations.js'
import { WorkersVersionError } from '../core/errors.js'
import type { DeployStep } from '../plan/triggers.js'

/** What `applyDeploySteps` did: the steps applied, and the error that names what was not. */
export interface DeployStepsOutcome {
  applied: DeployStep[]
  failure?: WorkersVersionError
}

/**
 * Sends every step at once: they do not depend on each other (each sets one kind of setting of the
 * Worker, as wrangler's own steps after a deploy do), so they cost one round trip of waiting, not
 * one per step. A step that fails does not stop the others; they are reported in the plan's order.
 * The outcome's `failure` names each step that failed and why, says that the version is deployed,
 * and how to apply the rest without another version.
 */
export async function applyDeploySteps(
  ctx: ApiCallContext,
  script: string,
  steps: readonly DeployStep[],
  versionId: string,
  onApplied: (step: DeployStep) => void,
): Promise<DeployStepsOutcome> {
  const applied: DeployStep[] = []
  const failed: Array<{ step: DeployStep; reason: string }> = []
  // The image URL transformations come last, once the rest is applied, as wrangler 4.168 sets them
  // after the Worker's triggers; after a failed step they are not sent.
  const last = steps.filter((step) => step.kind === 'url-transformations')
  const first = steps.filter((step) => step.kind !== 'url-transformations')
  for (const batch of [first, last]) {
    if (failed.length > 0) {
      for (const step of batch)
        failed.push({ step, reason: 'not sent, as a step before it failed' })
      continue
    }
    const outcomes = await Promise.allSettled(batch.map((step) => applyStep(ctx, script, step)))
    outcomes.forEach((outcome, i) => {
      const step = batch[i]!
      if (outcome.status === 'fulfilled') {
        applied.push(step)
        onApplied(step)
      } else {
        const error: unknown = outcome.reason
        failed.push({ step, reason: error instanceof Error ? error.message : String(error) })
      }
    })
  }
  if (failed.length === 0) return { applied }
  const lines = failed.map(
    ({ step, reason }) => `  - ${step.title} (${step.targets.join(', ')}): ${reason}`,
  )
  const done =
    applied.length === 0
      ? 'nothing else was applied'
      : `applied: ${applied.map((s) => s.title).join(', ')}`
  const failure = new WorkersVersionError(
    'DEPLOY_STEPS_FAILED',
    `Version ${versionId} of ${script} IS deployed${first.length === 0 ? '' : ' (100% of traffic)'}, but ${failed.length === 1 ? 'one step' : `${failed.length} steps`} after the deployment failed, so ${failed.length === 1 ? 'it was' : 'they were'} not applied:\n${lines.join('\n')}\n${done}. ` +
      'Fix the cause, then apply the settings without creating another version: `wrangler triggers deploy`, or re-run the build (a new version, and every step again: each one creates or updates).',
  )
  return { applied, failure }
}

async function applyStep(ctx: ApiCallContext, script: string, step: DeployStep): Promise<void> {
  switch (step.kind) {
    case 'script-settings':
      return patchScriptSettings(ctx, script, step.body)
    case 'workers-dev':
      return setWorkersDev(ctx, script, step.body)
    case 'routes':
      return putRoutes(ctx, script, step.routes)
    case 'custom-domains':
      return putCustomDomains(ctx, script, step.body)
    case 'schedules':
      return putSchedules(ctx, script, step.crons)
    case 'queue-consumers':
      for (const { queue, body } of step.consumers)
        await upsertQueueConsumer(ctx, await findQueue(ctx, queue, script), script, body)
      return
    case 'url-transformations':
      return putUrlTransformations(ctx, script, step.body)
    case 'workflows':
      for (const { name, body } of step.workflows) {
        await refuseForeignWorkflow(ctx, name, script, body.jurisdiction)
        await putWorkflow(ctx, name, script, body)
      }
  }
}

/**
 * A Workflow of the same name that belongs to another Worker is not taken over (wrangler asks
 * first), and a jurisdiction cannot change once a Workflow exists: both are refused before the PUT.
 */
async function refuseForeignWorkflow(
  ctx: ApiCallContext,
  name: string,
  script: string,
  jurisdiction: unknown,
): Promise<void> {
  const existing = await getWorkflow(ctx, name, script)
  if (existing?.script_name !== undefined && existing.script_name !== script) {
    throw new WorkersVersionError(
      'WORKFLOW_TAKEN',
      `Workflow ${JSON.stringify(name)} belongs to Worker ${JSON.stringify(existing.script_name)}: rename it in \`workflows\`, or delete it there first.`,
    )
  }
  if (existing && jurisdiction !== undefined && existing.jurisdiction !== jurisdiction) {
    throw new WorkersVersionError(
      'WORKFLOW_JURISDICTION',
      `Workflow ${JSON.stringify(name)} exists with ${existing.jurisdiction ? `jurisdiction ${JSON.stringify(existing.jurisdiction)}` : 'no jurisdiction'}, and a jurisdiction cannot change: give the Workflow a new name in \`workflows\`.`,
    )
  }
}
