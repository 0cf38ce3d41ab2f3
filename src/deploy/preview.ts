/**
 * The Preview path of an upload (`preview` option): the Worker as for a version (created when
 * missing), the static assets, the Preview (read by name, created when missing), its latest
 * deployment (migration tag, secrets to keep), then `POST …/previews/{p}/deployments` with the
 * body from `previewDeploymentBody`, and the reports. No version is created and no traffic moves.
 */
import pc from 'picocolors'
import {
  createPreview,
  createPreviewDeployment,
  deletePreviewNamed,
  describePointer,
  getPreview,
  latestPreviewDeployment,
  quoteServerValue,
  type Preview,
  type PreviewDeployment,
} from '../api/index.js'
import { builtSize, type BuiltVersion } from '../version/build.js'
import { previewAnnotations } from '../plan/ci-context.js'
import { WorkersVersionError } from '../core/errors.js'
import { bodyByteLength, bodyChunks, toRequestBody } from '../core/serialize.js'
import type { PlannedPreview } from '../plan/preview.js'
import { writePreviewCiOutputs } from '../report/ci-outputs.js'
import {
  BODY_LAYOUT_PRETTY,
  resultJsonPath,
  writePreviewResultJson,
  writeRequestJson,
} from '../report/files.js'
import { writeFileAtomic } from '../report/write-atomic.js'
import { firstFew, quoteValue } from '../core/printable.js'
import { previewDeploymentBody, versionBody } from '../version/body.js'
import { reportOutcome } from './report.js'
import type { UploadSession } from './session.js'
import {
  createWorkerStep,
  preflightOf,
  refuseMissingWorker,
  uploadAssetsOf,
  workerStateOf,
} from './steps.js'

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

/** `planned`: the plan's Preview. */
export async function uploadPreview(
  version: BuiltVersion,
  session: UploadSession,
  planned: PlannedPreview,
): Promise<PreviewUploadResult | PreviewDeletedResult> {
  const { plan, logger, ctx } = session
  const { worker } = plan.target
  if (planned.pullRequestClosed) return deleteClosedPreview(session, planned)
  const git = await plan.gitAnnotations
  // Before anything is sent, so without the Preview's state: the body as a new Worker would get it.
  if (plan.preflight)
    await preflightOf(session, versionBody(plan, version.modules, { git }).payload, 'deployment')

  // The Worker and the Preview are read at once; the Preview of a Worker that does not exist is not.
  const [{ isNew }, found] = await Promise.all([
    workerStateOf(session),
    getPreview(ctx, worker, planned.name).catch((error: unknown) => ({ error })),
  ])
  if (isNew) {
    refuseMissingWorker(session)
    await createWorkerStep(session)
  }
  const existing = isNew ? undefined : found && 'error' in found ? raise(found.error) : found
  const redact = (text: string) => session.redactor.redact(text)
  if (existing) refuseCollision(existing, planned, redact)

  // Independent once the Worker exists: the assets, the Preview (created when missing) and its latest deployment.
  const [assetsJwt, { preview, created }] = await Promise.all([
    version.assets ? uploadAssetsOf(version.assets, session) : undefined,
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
  await reportPreview(session, planned, result, {
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
  session: UploadSession,
  { name }: PlannedPreview,
): Promise<PreviewDeletedResult> {
  const { plan, logger, ctx } = session
  const { worker } = plan.target
  // A Worker that does not exist has no Preview, and is not created to find that out.
  const deleted = (await workerStateOf(session)).isNew
    ? undefined
    : await deletePreviewNamed(ctx, worker, name, { exactName: true })
  logger.info(
    deleted
      ? `${pc.green('✓')} pull request closed: deleted Preview ${pc.bold(name)} of ${pc.bold(worker)}; nothing was deployed`
      : `${pc.green('✓')} pull request closed: Worker ${pc.bold(worker)} has no Preview ${pc.bold(name)} to delete; nothing was deployed`,
  )
  const content = {
    account_id: ctx.accountId,
    worker,
    kind: 'preview-deleted',
    previewDeleted: deleted ? { id: deleted.id, name: deleted.name } : null,
    preview: { name },
  }
  await reportOutcome(session, {
    done: deleted ? `Preview ${name} was deleted` : 'nothing was deleted',
    writeResult: () =>
      writeFileAtomic(
        resultJsonPath(plan.outputDir),
        `${JSON.stringify(session.redactor.redactDeep(content), null, 2)}\n`,
      ),
  })
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

/** The Preview deployment's reports: result.json, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY. */
function reportPreview(
  session: UploadSession,
  planned: PlannedPreview,
  result: PreviewUploadResult,
  extra: { sizeBytes: number; applied: string[] },
): Promise<void> {
  const { plan, redactor } = session
  const { worker } = plan.target
  const { preview, deployment } = result
  const { name } = planned
  return reportOutcome(session, {
    done: `deployment ${deployment.id} of Preview ${name} was created`,
    writeResult: () =>
      writePreviewResultJson(
        plan.outputDir,
        { worker, accountId: session.ctx.accountId },
        redactor.redactDeep({ ...preview, name }),
        redactor.redactDeep(deployment),
      ),
    ciOutputs: (file) =>
      writePreviewCiOutputs(
        file,
        {
          name,
          previewId: preview.id,
          deploymentId: deployment.id,
          previewUrl: preview.urls[0],
          deploymentUrl: deployment.urls[0],
        },
        redactor,
      ),
    summaryRow: {
      worker,
      kind: 'Preview',
      ids: [
        ['Preview', name],
        ['Deployment', deployment.id],
      ],
      urls: [
        ...preview.urls.map((url): [string, string] => ['Preview URL', url]),
        ...deployment.urls.map((url): [string, string] => ['Deployment URL', url]),
      ],
      ...extra,
    },
  })
}
