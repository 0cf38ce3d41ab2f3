import { relative, resolve } from 'node:path'
import pc from 'picocolors'
import { checkWorkerName } from '../api/identifiers.js'
import { describeOutcome } from '../deploy/outcome.js'
import { WorkersVersionError } from '../core/errors.js'
import type { PrepareInfo, WorkerOutput } from '../core/stage-types.js'
import { secretsInBindings, type Redactor } from '../core/redact.js'
import type { BundlerName } from '../core/types.js'
import { nonEmpty } from '../options/defaults.js'
import { resolveOptions, type ResolvedOptions } from '../options/resolve.js'
import { createPlan, dryRunReads, type BuildPlan } from '../plan/index.js'
import { removeStaleResults } from '../report/files.js'
import type { Logger } from '../report/logger.js'
import { buildVersion, type BuiltVersion } from '../version/build.js'
import type { DeployArgs } from './args.js'
import { boundWorkers, deployOrder } from './order.js'
import { findSource, type DeploySource, type SourceWorker } from './sources.js'

/** wrangler's build settings that the command applies itself (the plan warns that a bundler build ignores them). */
const APPLIED_BUILD_KEYS = new Set([
  'no_bundle',
  'rules',
  'find_additional_modules',
  'base_dir',
  'upload_source_maps',
  'minify',
  'keep_names',
  'define',
  'alias',
  'jsx_factory',
  'jsx_fragment',
])

interface Planned {
  source: SourceWorker
  plan: BuildPlan
  /** The Worker's name as it will be sent, when known. */
  name?: string
}

/**
 * `deploy`: the finished build through the plugin's own stages. Every Worker is planned first
 * (options, configs, names, credentials), then read and built locally (request.json), and only then
 * uploaded, one at a time, each Worker after the Workers it binds.
 */
export async function deployCommand(
  args: DeployArgs,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  redactor: Redactor,
): Promise<void> {
  const cwd = resolve(args.cwd ?? process.cwd())
  const envName = args.env ?? nonEmpty(env.CLOUDFLARE_ENV)
  const source = findSource({
    cwd,
    config: args.config,
    env: envName,
    explicitEnv: args.env !== undefined,
  })
  logger.info(`Deploying from ${source.description}`)
  const options = resolveOptions({
    root: source.root,
    upload: !args.dryRun,
    ...(args.promote !== undefined && { promote: args.promote }),
    ...(args.preview !== undefined && { preview: args.preview }),
    ...(args.worker !== undefined && { worker: args.worker }),
    ...(args.strict !== undefined && { strict: args.strict }),
    ...(args.diff && { diff: true }),
    ...(args.dispatchNamespace !== undefined && { dispatchNamespace: args.dispatchNamespace }),
    ...(source.kind === 'wrangler' && envName !== undefined && { env: envName }),
    wrangler: source.kind === 'wrangler' ? source.wranglerFile! : false,
    logLevel: 'info',
  })
  for (const warning of options.warnings) logger.warn(pc.yellow(`⚠ ${warning}`))
  const info: PrepareInfo = { bundler: bundlerOf(source), root: source.root }

  const planned = await planAll(source, options, info, env, logger)
  // The run's secrets, known before anything is written: every line and error goes through them.
  for (const { plan } of planned) {
    // A dry run's diff reads with the upload's credentials.
    const target = plan.upload ? plan.target : dryRunReads(plan)?.target
    if (target) redactor.addCredential(target.credentials.apiToken, target.credentials.apiKey)
    redactor.add(...secretsInBindings(plan.version.bindings))
  }
  refuseDuplicateNames(planned)
  const ordered = orderOf(planned, logger)

  // Local work: nothing is sent until every Worker has been read and built.
  removeStaleResults(planned[0]!.plan.outputDir)
  const outputs: WorkerOutput[] = []
  for (const { source: worker } of ordered) outputs.push(await worker.load(options))
  const built: Array<{ planned: Planned; version: BuiltVersion }> = []
  for (const [i, p] of ordered.entries())
    built.push({ planned: p, version: await buildVersion(outputs[i]!, p.plan, options, logger) })
  if (args.dryRun) {
    // `--diff`: each Worker compared with its deployed one, through reads only.
    const reads = built.some((b) => dryRunReads(b.planned.plan))
    if (reads) {
      const { diffDryRuns } = await import('../deploy/dry-run-diff.js')
      await diffDryRuns(
        built.map((b) => ({ plan: b.planned.plan, version: b.version })),
        options,
        logger,
      )
    }
    logger.info(
      `${pc.green('✓')} dry run: ${reads ? 'the deployed Worker was read, nothing was written' : 'nothing was sent'} (${relative(cwd, planned[0]!.plan.outputDir) || '.'}/request.json)`,
    )
    return
  }
  await uploadInOrder(built, options, logger, redactor)
}

/** The bundler the plan names in its hints: the generated outputs come from Vite builds, a source `main` is bundled with esbuild. */
function bundlerOf(source: DeploySource): BundlerName {
  return source.kind === 'wrangler' ? 'esbuild' : 'vite'
}

async function planAll(
  source: DeploySource,
  options: ResolvedOptions,
  info: PrepareInfo,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<Planned[]> {
  const printed = new Set<string>()
  const planned: Planned[] = []
  let base: BuildPlan | undefined
  for (const worker of source.workers) {
    const plan = await createPlan(options, source.root, info, env, worker.generated, base)
    base ??= plan
    for (const warning of plan.warnings) {
      if (isAppliedBuildSetting(warning)) continue
      const key = warning.replace(/^(?:wrangler config|Build Output) .+?: /, '')
      if (printed.has(key)) continue
      printed.add(key)
      logger.warn(pc.yellow(`⚠ ${warning}`))
    }
    const name = plan.upload ? plan.target.worker : plan.worker
    // An upload's name was checked with its target; a dry run's is checked the same way here.
    const fromFlag = options.worker !== undefined && (worker.generated?.entry ?? true)
    if (!plan.upload && name !== undefined)
      checkWorkerName(name, fromFlag ? '--worker' : `the Worker's name in ${worker.configFile}`)
    planned.push({ source: worker, plan, name })
  }
  return planned
}

/** The plan's warning that a wrangler build setting has no effect, for a setting this command does apply. */
function isAppliedBuildSetting(warning: string): boolean {
  const match = /: ((?:env\.[^.]+\.)?)(\w+): is a wrangler build setting/.exec(warning)
  return match !== null && APPLIED_BUILD_KEYS.has(match[2]!)
}

/** Two Workers of one deployment with one name would overwrite each other: refused before anything is written. */
function refuseDuplicateNames(planned: readonly Planned[]): void {
  const seen = new Map<string, string>()
  for (const { name, source } of planned) {
    if (name === undefined) continue
    const other = seen.get(name)
    if (other) {
      throw new WorkersVersionError(
        'DUPLICATE_WORKER_NAME',
        `Two Workers of this deployment are named "${name}": ${other} and ${source.configFile}. Each Worker needs its own name.`,
      )
    }
    seen.set(name, source.configFile)
  }
}

function orderOf(planned: Planned[], logger: Logger): Planned[] {
  const { order, cycle } = deployOrder(
    planned.map((p) => ({
      ...p,
      name: p.name ?? '',
      needs: boundWorkers(p.plan.version.bindings),
    })),
  )
  if (cycle.length > 0) {
    logger.warn(
      pc.yellow(
        `⚠ ${cycle.map((p) => p.name).join(', ')} bind each other, so no order creates each before the Workers that bind it; they are deployed in the build's order.`,
      ),
    )
  }
  if (planned.length > 1) logger.info(`Deploy order: ${order.map((p) => p.name).join(' → ')}`)
  return order
}

/** One Worker at a time, in dependency order; a failure stops the rest and says what exists now. */
async function uploadInOrder(
  built: Array<{ planned: Planned; version: BuiltVersion }>,
  options: ResolvedOptions,
  logger: Logger,
  redactor: Redactor,
): Promise<void> {
  const { uploadVersion } = await import('../deploy/index.js')
  const done: string[] = []
  for (const [i, { planned, version }] of built.entries()) {
    const { plan } = planned
    if (!plan.upload) continue
    try {
      const result = await uploadVersion(version, plan, options, logger, { redactor })
      done.push(describeOutcome(plan.target.worker, result))
    } catch (error) {
      if (built.length === 1) throw error
      const message = error instanceof Error ? error.message : String(error)
      const rest = built.slice(i + 1).map((b) => b.planned.name)
      throw new WorkersVersionError(
        'UPLOAD_FAILED',
        `${plan.target.worker} failed: ${message}\nDone before it: ${done.length > 0 ? done.join(', ') : 'none'}.${rest.length > 0 ? ` Not attempted: ${rest.join(', ')}.` : ''}`,
        { cause: error },
      )
    }
  }
}
