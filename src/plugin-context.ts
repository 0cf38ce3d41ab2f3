import { basename } from 'node:path'
import pLimit from 'p-limit'
import pc from 'picocolors'
import { buildVersion, type BuiltVersion } from './version/build.js'
import { WorkersVersionError } from './core/errors.js'
import { plural } from './core/plural.js'
import { redactorFor, type Redactor } from './core/redact.js'
import type { AdapterContext, PrepareInfo, WorkerOutput } from './core/stage-types.js'
import { projectRoot } from './options/defaults.js'
import type { ResolvedOptions } from './options/resolve.js'
import { createPlan, dryRunReads, type BuildPlan, type UploadPlan } from './plan/index.js'
import { workerReads } from './plan/reads.js'
import { removeStaleResults } from './report/files.js'
import { createLogger, logLevelOf, type LogLevel } from './report/logger.js'
import { started, workerLogger } from './report/in-flight.js'
import { LATE_FRAMEWORKS, placeholderLeft, unfinishedMessage } from './modules/unfinished.js'
import type { UploadSession } from './deploy/index.js'
import { describeOutcome } from './deploy/outcome.js'

/** The config file a plan's warning names (plan/index.ts prefixes them so): the same warning of two files is one. */
const WARNING_SOURCE = /^(?:wrangler config|Build Output) .+?: /

/** How many Workers of one build upload at once. */
const PARALLEL_UPLOADS = 4

/**
 * The plugin's side of every adapter: `prepare` decides the build's root and makes its plan,
 * `complete` turns the bundler's output into versions along it. The plan of the build in
 * progress is the only state.
 */
export function createPluginContext(options: ResolvedOptions): AdapterContext {
  let bundlerLevel: LogLevel = 'info'
  const logger = createLogger(() => options.logLevel ?? bundlerLevel)
  let build:
    | {
        info: PrepareInfo
        plan: BuildPlan
        redactor?: Redactor
        upload?: Promise<UploadSession | undefined>
      }
    | undefined
  let warned = false
  // What this build has warned of: one build plans the project's config and then each Worker the
  // Cloudflare plugin generated from it, and their warnings repeat (the `observability` key twice).
  let printed = new Set<string>()
  const warnOnce = (warning: string) => {
    const key = warning.replace(WARNING_SOURCE, '')
    if (printed.has(key)) return
    printed.add(key)
    logger.warn(pc.yellow(`⚠ ${warning}`))
  }

  return {
    options,
    async prepare(info: PrepareInfo) {
      bundlerLevel = logLevelOf(info.logLevel)
      if (!warned) {
        warned = true
        for (const warning of options.warnings) logger.warn(pc.yellow(`⚠ ${warning}`))
      }
      const plan = await createPlan(options, projectRoot(options.root, info.root), info)
      printed = new Set()
      for (const warning of plan.warnings) warnOnce(warning)
      // Before anything is sent: a result left by an earlier build must not outlive a failed upload,
      // nor stand beside a dry run's request.json as if that build had been deployed.
      for (const interrupted of removeStaleResults(plan.outputDir))
        logger.warn(pc.yellow(`⚠ ${interrupted}`))
      // A rebuild (watch, an esbuild context) after a build that failed: its early session is done with.
      void build?.upload?.then((session) => session?.close())
      // The build's one redactor, seeded here: every secret value of the build is in the build plan (the
      // credentials, `fromEnv` values and inline secrets; the Workers a Cloudflare build adds bring none).
      const redactor = plan.upload
        ? redactorFor({ credentials: plan.target.credentials, bindings: plan.version.bindings })
        : undefined
      build = {
        info,
        plan,
        redactor,
        upload:
          plan.upload && redactor && workerReads(plan).early
            ? startUploadEarly(plan, redactor)
            : undefined,
      }
      // Only a Preview is started in workerd before it is sent; a version is started there only to explain the API's refusal.
      if (plan.upload && plan.preflight && plan.preview)
        void import('./version/preflight.js').then(({ warmUpPreflight }) =>
          warmUpPreflight(plan.root),
        )
    },
    root(bundlerRoot: string) {
      return build?.plan.root ?? projectRoot(options.root, bundlerRoot)
    },
    async complete(workers: WorkerOutput[]) {
      if (!build)
        throw new WorkersVersionError(
          'INTERNAL',
          'The bundler finished a build the plugin was not told had started.',
        )
      const { info, plan, redactor, upload } = build
      // While other builds of this process complete too, this one's lines name its Worker (report/in-flight.ts).
      const ended = started('build')
      try {
        const session = await upload
        try {
          await completeBuild(info, plan, workers, redactor, session)
        } finally {
          await session?.close()
        }
      } finally {
        ended()
      }
    },
  }

  /**
   * An upload's Worker state is read while the bundler works (deploy/index.ts says when and why).
   * Loading the HTTP client here costs what it costs after the build; the reads' waits are hidden.
   */
  function startUploadEarly(
    plan: UploadPlan,
    redactor: Redactor,
  ): Promise<UploadSession | undefined> {
    const started = import('./deploy/index.js').then(({ startUpload }) =>
      startUpload(plan, options, logger, { readEarly: true, redactor }),
    )
    // Failing to start is not the build's failure: the upload then opens its own session and reports.
    return started.catch(() => undefined)
  }

  /**
   * Output a framework finishes after the bundler (Astro) is never uploaded: the upload is refused
   * before anything is sent; a dry run says, once, that its request.json is of the unfinished output.
   */
  function checkFinished(workers: WorkerOutput[], plan: BuildPlan): void {
    for (const worker of workers) {
      const left = placeholderLeft(worker.files)
      const framework = left?.framework ?? LATE_FRAMEWORKS.find((f) => f.name === worker.finishedBy)
      if (!framework) continue
      const message = unfinishedMessage(framework, left?.file, plan.upload)
      if (plan.upload) throw new WorkersVersionError('UNFINISHED_BUILD', message)
      warnOnce(message)
      return
    }
  }

  async function completeBuild(
    info: PrepareInfo,
    plan: BuildPlan,
    workers: WorkerOutput[],
    redactor: Redactor | undefined,
    session: UploadSession | undefined,
  ) {
    // Each Worker the Cloudflare plugin built is planned from its generated config.
    const built: Array<{ plan: BuildPlan; version: BuiltVersion }> = []
    checkFinished(workers, plan)
    for (const worker of workers) {
      const workerPlan = worker.generated
        ? await createPlan(options, plan.root, info, process.env, worker.generated, plan)
        : // A build expected to generate its Workers' configs that did not: planned as any other, the name required.
          plan.upload && plan.target.worker === ''
          ? await createPlan(options, plan.root, { ...info, generatesConfig: false }, process.env)
          : plan
      if (workerPlan !== plan) for (const warning of workerPlan.warnings) warnOnce(warning)
      built.push({
        plan: workerPlan,
        version: await buildVersion(
          worker,
          workerPlan,
          options,
          workerLogger(logger, workerPlan.worker ?? basename(workerPlan.root)),
        ),
      })
    }
    // A Worker's plan uploads when the build's does: both come from the same options and build.
    const uploads = built.flatMap((b) =>
      b.plan.upload ? [{ plan: b.plan, version: b.version }] : [],
    )
    // A dry run asked to compare (`diff: true`) reads each Worker's deployed state (GET requests only):
    // loaded only then, so a plain dry run never loads the HTTP client.
    if (built.some((b) => dryRunReads(b.plan)))
      await import('./deploy/dry-run-diff.js').then(({ diffDryRuns }) =>
        diffDryRuns(built, options, logger),
      )
    if (!redactor || uploads.length === 0) return
    // Loaded only for an upload: the HTTP client costs start-up time that a dry run never needs.
    const { uploadVersion } = await import('./deploy/index.js')
    const [only] = uploads
    if (only && uploads.length === 1) {
      await uploadVersion(only.version, only.plan, options, logger, { redactor, session })
      return
    }
    const limit = pLimit(PARALLEL_UPLOADS)
    const outcomes = await Promise.allSettled(
      uploads.map((u) =>
        limit(() => uploadVersion(u.version, u.plan, options, logger, { redactor, session })),
      ),
    )
    const failed: string[] = []
    const created: string[] = []
    outcomes.forEach((o, i) => {
      const worker = uploads[i]?.plan.target.worker
      if (o.status === 'rejected')
        failed.push(
          `  - ${worker}: ${o.reason instanceof Error ? o.reason.message : String(o.reason)}`,
        )
      else created.push(describeOutcome(worker, o.value))
    })
    if (failed.length === 0) return
    throw new WorkersVersionError(
      'UPLOAD_FAILED',
      `${failed.length} of ${plural(uploads.length, 'Worker')} failed to upload:\n${failed.join('\n')}\nCreated: ${created.length > 0 ? created.join(', ') : 'none'}.`,
    )
  }
}
