/**
 * The Preview path of an upload (`preview` option): the Worker as for a version (created when
 * missing), the static assets, the Preview (read by name, created when missing), its latest
 * deployment (migration tag, secrets to keep), then `POST …/previews/{p}/deployments` with the
 * body from `previewDeploymentBody`, and the reports. No version is created and no traffic moves.
 */
import { relative } from 'node:path'
import pc from 'picocolors'
import {
  createPreview,
  createPreviewDeployment,
  deletePreviewNamed,
  describePointer,
  getPreview,
  latestPreviewDeployment,
  quoteServerValue,
  type ApiCallContext,
  type Preview,
  type PreviewDeployment,
} from '../api/index.js'
import { builtSize, type BuiltVersion } from '../version/build.js'
import { previewAnnotations } from '../plan/ci-context.js'
import { WorkersVersionError } from '../core/errors.js'
import { bodyByteLength, bodyChunks, toRequestBody } from '../core/serialize.js'
import type { UploadPlan } from '../plan/index.js'
import type { PlannedPreview } from '../plan/preview.js'
import { writePreviewCiOutputs } from '../report/ci-outputs.js'
import {
  BODY_LAYOUT_PRETTY,
  resultJsonPath,
  unwrittenWarning,
  writePreviewResultJson,
  writeRequestJson,
} from '../report/files.js'
import { appendStepSummary } from '../report/step-summary.js'
import { writeFileAtomic } from '../report/write-atomic.js'
import type { Redactor } from '../core/redact.js'
import { firstFew, quoteValue } from '../core/printable.js'
import type { Logger } from '../report/logger.js'
import { previewDeploymentBody } from '../version/body.js'

export interface PreviewUploadResult {
  preview: Preview
  deployment: PreviewDeployment
  /** Whether this build created the Preview. */
  created: boolean
}

/** `preview: 'auto'` on a closed pull request: its Preview deleted (undefined when it had none). */
export interface PreviewDeletedResult {
  previewDeleted: Preview | undefined
}

/** What a Preview upload shares with a version upload (both live in `deploy/index.ts`). */
export interface SharedSteps {
  /** Starts the build in workerd when the plan asks for it (before anything is sent). */
  preflight: () => Promise<void>
  /** Whether the Worker is new (read while the bundler worked, when it was). */
  workerIsNew: () => Promise<boolean>
  /** Creates the Worker, or refuses when the plan may not (`createWorker: false`). */
  createWorker: () => Promise<void>
  /** Uploads the static assets and returns their completion token. */
  uploadAssets: (manifest: NonNullable<BuiltVersion['assets']>) => Promise<string>
}

/** The part of `deploy/index.ts`'s session the Preview path uses. */
export interface PreviewSession {
  readonly plan: UploadPlan & { preview: PlannedPreview }
  readonly redactor: Redactor
  readonly logger: Logger
  readonly ctx: ApiCallContext
}

export async function uploadPreview(
  version: BuiltVersion,
  session: PreviewSession,
  steps: SharedSteps,
): Promise<PreviewUploadResult | PreviewDeletedResult> {
  const { plan, logger, ctx } = session
  const { worker } = plan.target
  const planned = plan.preview
  if (planned.pullRequestClosed) return deleteClosedPreview(session, steps)
  const git = await plan.gitAnnotations
  await steps.preflight()

  // The Worker and the Preview are read at once; the Preview of a Worker that does not exist is not.
  const [isNew, found] = await Promise.all([
    steps.workerIsNew(),
    getPreview(ctx, worker, planned.name).catch((error: unknown) => ({ error })),
  ])
  if (isNew) await steps.createWorker()
  const existing = isNew ? undefined : found && 'error' in found ? raise(found.error) : found
  const redact = (text: string) => session.redactor.redact(text)
  if (existing) refuseCollision(existing, planned, redact)

  // Independent once the Worker exists: the assets, the Preview (created when missing) and its latest deployment.
  const [assetsJwt, { preview, created }] = await Promise.all([
    version.assets ? steps.uploadAssets(version.assets) : undefined,
    existing ? { preview: existing, created: false } : createPreview(ctx, worker, planned.name),
  ])
  // A create that found the name taken, or lost its answer, read the Preview by name, which the API also answers by slug.
  if (!existing) refuseCollision(preview, planned, redact)
  if (created)
    logger.info(`${pc.green('✓')} created Preview ${pc.bold(planned.name)} of ${pc.bold(worker)}`)
  const latest = created ? undefined : await latestPreviewDeployment(ctx, worker, preview.id)
  const secrets = Object.entries(latest?.env ?? {}).flatMap(([name, binding]) =>
    binding.type === 'secret_text' ? [name] : [],
  )

  const warn = (message: string) => logger.warn(pc.yellow(`⚠ ${message}`))
  const { payload, kept } = previewDeploymentBody(plan, version.modules, {
    git,
    ci: previewAnnotations(plan.ci),
    remote: { migrationTag: latest?.migration_tag, secrets, assetsJwt },
    warn,
  })
  writeRequestJson(plan.outputDir, payload)
  const outline = toRequestBody(payload, false)
  logger.info(
    `${pc.cyan('↑')} deploying to Preview ${pc.bold(planned.name)} of ${pc.bold(worker)} …`,
  )
  const deployment = await createPreviewDeployment(ctx, worker, preview.id, {
    stream: () => bodyChunks(payload, BODY_LAYOUT_PRETTY),
    contentLength: bodyByteLength(payload, BODY_LAYOUT_PRETTY),
    describe: (pointer) => describePointer(outline, pointer),
  })
  logger.info(
    `${pc.green('✓')} deployed to Preview ${pc.bold(planned.name)} (deployment ${deployment.id})`,
  )
  const more = (left: number) => `… and ${left.toLocaleString('en-US')} more, all in result.json`
  for (const url of firstFew(preview.urls, more)) logger.info(`  Preview URL: ${quoteValue(url)}`)
  for (const url of firstFew(deployment.urls, more))
    logger.info(`  deployment URL: ${quoteValue(url)}`)
  if (kept.length > 0)
    logger.info(`  kept secrets: ${kept.map((name) => quoteValue(name)).join(', ')}`)

  const result = { preview, deployment, created }
  await reportPreview(session, result, {
    sizeBytes: builtSize(version),
    applied: [
      ...(created ? [`Preview ${planned.name} created`] : []),
      ...(payload.config.migrations ? ['Durable Object migrations'] : []),
      ...(kept.length > 0 ? [`secrets kept: ${kept.join(', ')}`] : []),
    ],
  })
  return result
}

/**
 * The pull request is closed: its Preview (exactly that name, never another branch's with the
 * same slug) is deleted, and nothing is uploaded. result.json says which, or that there was none.
 */
async function deleteClosedPreview(
  session: PreviewSession,
  steps: SharedSteps,
): Promise<PreviewDeletedResult> {
  const { plan, logger, ctx } = session
  const { worker } = plan.target
  const { name } = plan.preview
  // A Worker that does not exist has no Preview, and is not created to find that out.
  const deleted = (await steps.workerIsNew())
    ? undefined
    : await deletePreviewNamed(ctx, worker, name, { exactName: true })
  logger.info(
    deleted
      ? `${pc.green('✓')} pull request closed: deleted Preview ${pc.bold(name)} of ${pc.bold(worker)}; nothing was deployed`
      : `${pc.green('✓')} pull request closed: Worker ${pc.bold(worker)} has no Preview ${pc.bold(name)} to delete; nothing was deployed`,
  )
  const file = resultJsonPath(plan.outputDir)
  const content = {
    account_id: ctx.accountId,
    worker,
    kind: 'preview-deleted',
    previewDeleted: deleted ? { id: deleted.id, name: deleted.name } : null,
    preview: { name },
  }
  try {
    writeFileAtomic(file, `${JSON.stringify(session.redactor.redactDeep(content), null, 2)}\n`)
    logger.info(`  result: ${relative(plan.root, file) || file}`)
  } catch (error) {
    unwrittenWarning(logger, deleted ? `Preview ${name} was deleted` : 'nothing was deleted')(
      file,
      error,
    )
  }
  return { previewDeleted: deleted }
}

function raise(error: unknown): never {
  throw error
}

/**
 * The API finds a Preview by id, slug or name, so another branch whose name makes the same slug
 * (`feature/login` and `feature-login`) finds that branch's Preview. Deploying into it would
 * replace the other branch's build: refused, naming both.
 */
function refuseCollision(
  found: Preview,
  planned: PlannedPreview,
  redact: (text: string) => string,
): void {
  if (found.name === planned.name) return
  throw new WorkersVersionError(
    'PREVIEW_NAME_COLLISION',
    `\`preview\`: ${planned.branch ? `branch ${JSON.stringify(planned.branch)}` : `the name ${JSON.stringify(planned.name)}`} and the existing Preview ${quoteServerValue(found.name, redact)} share the URL label ${JSON.stringify(planned.slug)}, so this build would replace that Preview's deployment; nothing was deployed. Name this Preview with \`preview: '<another name>'\`.`,
  )
}

/** result.json, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY; the deployment exists, so a file that cannot be written is a warning. */
async function reportPreview(
  session: PreviewSession,
  result: PreviewUploadResult,
  extra: { sizeBytes: number; applied: string[] },
): Promise<void> {
  const { plan, logger, redactor } = session
  const { preview, deployment } = result
  const name = plan.preview?.name ?? preview.name
  const done = `deployment ${deployment.id} of Preview ${name} was created`
  const unwritten = unwrittenWarning(logger, done)
  const resultFile = resultJsonPath(plan.outputDir)
  try {
    writePreviewResultJson(
      plan.outputDir,
      { worker: plan.target.worker, accountId: session.ctx.accountId },
      redactor.redactDeep({ ...preview, name }),
      redactor.redactDeep(deployment),
    )
    logger.info(`  result: ${relative(plan.root, resultFile) || resultFile}`)
  } catch (error) {
    unwritten(resultFile, error)
  }
  const outputs = process.env.GITHUB_OUTPUT
  if (outputs) {
    await writePreviewCiOutputs(
      outputs,
      {
        name,
        previewId: preview.id,
        deploymentId: deployment.id,
        previewUrl: preview.urls[0],
        deploymentUrl: deployment.urls[0],
      },
      redactor,
    ).catch((error: unknown) => unwritten(`GITHUB_OUTPUT (${outputs})`, error))
  }
  const summary = process.env.GITHUB_STEP_SUMMARY
  if (summary) {
    const row = {
      worker: plan.target.worker,
      kind: 'Preview' as const,
      ids: [
        ['Preview', name] as [string, string],
        ['Deployment', deployment.id] as [string, string],
      ],
      urls: [
        ...preview.urls.map((url): [string, string] => ['Preview URL', url]),
        ...deployment.urls.map((url): [string, string] => ['Deployment URL', url]),
      ],
      ...extra,
    }
    await appendStepSummary(summary, row, redactor).catch((error: unknown) =>
      unwritten(`GITHUB_STEP_SUMMARY (${summary})`, error),
    )
  }
}
