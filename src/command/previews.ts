import { resolve } from 'node:path'
import pc from 'picocolors'
import type { ApiCallContext, Preview } from '../api/index.js'
import { WorkersVersionError } from '../core/errors.js'
import type { Redactor } from '../core/redact.js'
import { nonEmpty } from '../options/defaults.js'
import { resolveOptions, type ResolvedOptions } from '../options/resolve.js'
import { readCiContext, type CiContext } from '../plan/ci-context.js'
import { createPlan, type UploadPlan } from '../plan/index.js'
import { decidePreview } from '../plan/preview.js'
import { targetContext } from '../deploy/target-context.js'
import type { Logger } from '../report/logger.js'
import {
  PREVIEWS_USAGE,
  parsePreviewsArgs,
  type PreviewsAction,
  type PreviewsArgs,
} from './previews-args.js'
import { runCommand } from './run.js'
import { findSource } from './sources.js'

/**
 * `unplugin-workers-version previews …`: deletes Previews, never the Worker. Every line and error
 * goes through a redactor that knows the environment's credentials.
 */
export async function runPreviews(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return runCommand(
    {
      name: 'previews',
      usage: PREVIEWS_USAGE,
      parse: parsePreviewsArgs,
      wantsHelp: (args) => args.help || !args.action,
      run: async (args, logger, redactor) => {
        const requested = args.action
        if (!requested) return // `wantsHelp` printed the usage
        // The event is checked before anything is read or sent.
        const action: Action =
          requested.kind === 'delete-from-event'
            ? { kind: 'delete-from-event', ci: closedPullRequest(env) }
            : requested
        const target = await targetOf(args, env, logger, redactor)
        await run(action, target, logger)
      },
    },
    argv,
    env,
  )
}

interface Target {
  worker: string
  ctx: ApiCallContext
  options: ResolvedOptions
}

/**
 * The Worker, account and credentials, found as the deploy command finds them (the wrangler config
 * or Build Output, then `--worker` and the environment), through the plan that an upload makes.
 */
async function targetOf(
  args: PreviewsArgs,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  redactor: Redactor,
): Promise<Target> {
  const cwd = resolve(args.cwd ?? process.cwd())
  const envName = args.env ?? nonEmpty(env.CLOUDFLARE_ENV)
  let source
  try {
    source = findSource({
      cwd,
      config: args.config,
      env: envName,
      explicitEnv: args.env !== undefined,
    })
  } catch (error) {
    // `--worker` alone needs no project: the environment gives the rest.
    if (args.worker === undefined || args.config !== undefined) throw error
  }
  const options = resolveOptions({
    root: source?.root ?? cwd,
    upload: true,
    gitAnnotations: false,
    ...(args.worker !== undefined && { worker: args.worker }),
    ...(source?.kind === 'wrangler' && envName !== undefined && { env: envName }),
    wrangler: source?.kind === 'wrangler' ? source.wranglerFile! : false,
    logLevel: 'info',
  })
  const entry = source?.workers[0]
  const plan = (await createPlan(
    options,
    source?.root ?? cwd,
    { bundler: 'esbuild', root: source?.root ?? cwd },
    env,
    entry?.generated,
  )) as UploadPlan
  if (!plan.upload)
    throw new WorkersVersionError('INTERNAL', 'The plan for a Preview command is an upload plan.')
  const { target } = plan
  redactor.addCredential(target.credentials.apiToken, target.credentials.apiKey)
  const ctx = targetContext(plan, options, redactor, (line) => logger.warn(pc.yellow(`  ${line}`)))
  if (target.accountId === undefined) {
    const { findAccountId } = await import('../api/accounts.js')
    ctx.accountId = await findAccountId(ctx)
  }
  return { worker: target.worker, ctx, options }
}

/** What to do, with the closed pull request's CI context for `--from-event`. */
type Action =
  | Exclude<PreviewsAction, { kind: 'delete-from-event' }>
  | { kind: 'delete-from-event'; ci: CiContext }

async function run(action: Action, target: Target, logger: Logger): Promise<void> {
  const api = await import('../api/index.js')
  const { worker, ctx } = target
  if (action.kind === 'delete') {
    // The user named it: its name, its URL label or its id, as the API finds it.
    const deleted = await api.deletePreviewNamed(ctx, worker, action.name, { exactName: false })
    if (!deleted)
      throw new WorkersVersionError(
        'PREVIEW_NOT_FOUND',
        `Worker ${JSON.stringify(worker)} has no Preview ${JSON.stringify(action.name)} (by name, URL label or id); nothing was deleted.`,
      )
    logger.info(
      `${pc.green('✓')} deleted Preview ${pc.bold(deleted.name)} of ${pc.bold(worker)} (${deleted.id}) with all its deployments`,
    )
    return
  }
  if (action.kind === 'delete-from-event') {
    const name = await closedPullRequestPreview(action.ci, target.options)
    const deleted = await api.deletePreviewNamed(ctx, worker, name, { exactName: true })
    logger.info(
      deleted
        ? `${pc.green('✓')} pull request closed: deleted Preview ${pc.bold(deleted.name)} of ${pc.bold(worker)} (${deleted.id})`
        : `${pc.green('✓')} pull request closed: Worker ${pc.bold(worker)} has no Preview ${pc.bold(name)}; nothing to delete`,
    )
    return
  }
  await prune(action, target, logger)
}

/** The CI's context, when it is a GitHub event closing a pull request; otherwise a refusal naming the event. */
function closedPullRequest(env: NodeJS.ProcessEnv): CiContext {
  const ci = readCiContext(env)
  const event = nonEmpty(env.GITHUB_EVENT_NAME)
  if (ci.build?.kind !== 'pull-request' || ci.build.closed !== true) {
    throw new WorkersVersionError(
      'NOT_A_CLOSED_PULL_REQUEST',
      `--from-event deletes the Preview of a closed pull request, and this is ${event === undefined ? 'no GitHub event (GITHUB_EVENT_NAME is not set)' : `a ${JSON.stringify(event)} event that closes no pull request`} (it needs \`pull_request\` or \`pull_request_target\` with \`action: closed\` in GITHUB_EVENT_PATH); nothing was deleted.`,
    )
  }
  return ci
}

/**
 * The name `preview: 'auto'` gave the closed pull request's Preview, by the same decision: the head
 * branch, or `pr-<number>` for a fork (whatever `previewForks` said: deleting runs none of its code).
 */
async function closedPullRequestPreview(ci: CiContext, options: ResolvedOptions): Promise<string> {
  const decision = await decidePreview(
    {
      preview: 'auto',
      previewForks: true,
      productionBranch: options.productionBranch,
      promote: undefined,
    },
    ci,
    async () => undefined,
  )
  if (!('preview' in decision) || !decision.preview.pullRequestClosed)
    throw new WorkersVersionError('INTERNAL', 'A closed pull request decides a Preview to delete.')
  return decision.preview.name
}

/** When a Preview last changed: its latest deployment, else its creation; undefined when the API says neither. */
async function lastActivity(
  ctx: ApiCallContext,
  worker: string,
  preview: Preview,
): Promise<number | undefined> {
  const { latestPreviewDeployment } = await import('../api/index.js')
  const latest = await latestPreviewDeployment(ctx, worker, preview.id)
  const when = latest?.created_on ?? preview.created_on
  return when === undefined ? undefined : Date.parse(when)
}

async function prune(
  action: Extract<PreviewsAction, { kind: 'prune' }>,
  { worker, ctx }: Target,
  logger: Logger,
): Promise<void> {
  const { deletePreview, listPreviews } = await import('../api/index.js')
  const cutoff = Date.now() - action.olderThanMs
  const previews = await listPreviews(ctx, worker)
  const old: Array<{ preview: Preview; at: number }> = []
  for (const preview of previews) {
    const at = await lastActivity(ctx, worker, preview)
    if (at === undefined)
      logger.warn(
        pc.yellow(
          `⚠ Preview ${preview.name} (${preview.id}): the API gives no creation or deployment time, so it is kept`,
        ),
      )
    else if (at < cutoff) old.push({ preview, at })
  }
  const verb = action.dryRun ? 'would delete' : 'deleting'
  for (const { preview, at } of old) {
    logger.info(
      `  ${verb} Preview ${pc.bold(preview.name)} (${preview.id}), last deployed ${new Date(at).toISOString()}`,
    )
    if (!action.dryRun) await deletePreview(ctx, worker, preview.id)
  }
  const kept = previews.length - old.length
  logger.info(
    `${pc.green('✓')} ${action.dryRun ? 'dry run: ' : ''}${old.length} of ${previews.length} Previews of ${pc.bold(worker)} ${action.dryRun ? 'would be deleted' : 'deleted'} (no deployment in ${action.olderThan}); ${kept} kept. The Worker and its production deployments are not touched.`,
  )
}
