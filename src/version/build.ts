import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import pc from 'picocolors'
import { assertNoBareImports } from '../modules/bare-imports.js'
import { hasEntryChunk, toWorkerModules } from '../modules/index.js'
import { WorkersVersionError } from '../core/errors.js'
import type { ExcludedFile, WorkerModule } from '../core/types.js'
import type { WorkerOutput } from '../core/stage-types.js'
import { renderEnvTypes } from './env-types.js'
import type { ResolvedOptions } from '../options/resolve.js'
import { dryRunReads, type BuildPlan, type PlannedAssets } from '../plan/index.js'
import type { AssetsManifest } from '../assets/manifest.js'
import type { VersionPayload } from '../core/serialize.js'
import { previewDeploymentBody, versionBody, type BuiltModules } from './body.js'
import { previewAnnotations } from '../plan/ci-context.js'
import { formatBytes } from '../report/format.js'
import { plannedCalls } from '../plan/triggers.js'
import { reportDryRunDiff } from '../report/diff-report.js'
import { redactorFor } from '../core/redact.js'
import { writeDeployStepsJson, writeRequestJson, writeScriptRequestJson } from '../report/files.js'
import { namespaceBody } from './namespace-body.js'
import { plural } from '../core/plural.js'
import type { Logger } from '../report/logger.js'
import {
  assertWithinSizeLimit,
  limitWarnings,
  measureModules,
  summaryLines,
} from '../report/summary.js'
import { writeFileAtomic } from '../report/write-atomic.js'

/** One Worker's version as built locally: its modules and, when the plan has a directory, the static assets to upload first. */
export interface BuiltVersion {
  modules: BuiltModules
  assets?: AssetsManifest
}

/**
 * Everything after the bundler is done and before any request: modules, the body without
 * remote state written to `request.json`, `worker-env.d.ts` and the summary.
 */
export async function buildVersion(
  worker: WorkerOutput,
  plan: BuildPlan,
  options: ResolvedOptions,
  logger: Logger,
): Promise<BuiltVersion> {
  const planned = plan.assets
  const assetsOnly = isAssetsOnly(worker, plan)
  const {
    mainModule,
    modules,
    excluded,
  }: { mainModule?: string; modules: WorkerModule[]; excluded: ExcludedFile[] } = assetsOnly
    ? { modules: [], excluded: [] }
    : toWorkerModules(worker.files, {
        bundler: plan.bundler,
        matchRule: options.matchRule,
        mainModule: options.mainModule ?? plan.mainModule,
        sourcemaps: plan.sourcemaps,
      })
  await assertNoBareImports(modules, plan.bundler)
  // An assets-only build's output is the site itself: the directory holding it is the point, not a leak.
  const assets =
    planned && (await readAssets(planned, plan, assetsOnly ? undefined : worker.outDir))
  if (assets) addAssetsConfigModules(modules, assets, plan)
  const built: BuiltModules = { mainModule, modules }
  // The summary's gzip runs in the thread pool while this thread encodes and writes the files below.
  const measuring = measureModules(modules, { gzip: plan.compressedSizes })
  measuring.catch(() => undefined) // awaited below; a failure there is the one reported
  const git = plan.upload ? await plan.gitAnnotations : undefined
  const { payload } = versionBody(plan, built, { git })
  // A Preview's request.json is its deployment's body, a user Worker's its namespace upload's
  // multipart outline; Build Output stays the version it describes.
  const requestFile = plan.dispatch
    ? writeScriptRequestJson(plan.outputDir, namespaceBody(plan, built, { git }).payload)
    : writeRequestJson(
        plan.outputDir,
        plan.preview
          ? previewDeploymentBody(plan, built, { git, ci: previewAnnotations(plan.ci) }).payload
          : payload,
      )
  const account = (plan.upload ? plan.target.accountId : undefined) ?? '{account_id}'
  const name = plan.upload ? plan.target.worker : (plan.worker ?? '{worker}')
  writeDeployStepsJson(
    plan.outputDir,
    plan.deploySteps?.map((step) => ({
      step: step.title,
      calls: plannedCalls(step, name, account),
    })),
  )
  // Not over a tree the Cloudflare plugin wrote itself: that one is already this Worker's Build Output.
  const buildOutputDir =
    options.buildOutput && !worker.generated?.buildOutput && mainModule !== undefined
      ? await writeBuildOutputOf(worker, plan, options, payload, mainModule, assets?.manifest)
      : undefined
  if (plan.typesFile) writeEnvTypes(plan.typesFile, plan)
  if (assets)
    writeFileAtomic(
      join(plan.outputDir, 'assets-manifest.json'),
      `${JSON.stringify(assets.body, null, 2)}\n`,
    )
  const sizes = await measuring
  logger.info(
    `${pc.green('✓')} Workers version${plan.worker ? ` for ${pc.bold(plan.worker)}` : ''}:`,
  )
  if (mainModule === undefined)
    logger.info('  assets-only: no Worker code; the static assets are served as they are')
  else for (const line of summaryLines(mainModule, sizes, excluded)) logger.info(line)
  if (planned && assets) {
    const { files, directory } = assets.manifest
    const bytes = files.reduce((sum, file) => sum + file.size, 0)
    logger.info(
      `  assets: ${relative(plan.root, directory) || '.'} (${planned.source}): ${plural(files.length, 'file')}, ${formatBytes(bytes)}`,
    )
  }
  logger.info(`  request body: ${relative(plan.root, requestFile) || requestFile}`)
  if (plan.deploySteps)
    logger.info(
      `  after the deployment: ${plan.deploySteps.map((step) => step.title).join(', ')} (deploy-steps.json)`,
    )
  // A dry run that does not read the deployed Worker says why (an upload compares in deploy/diff.ts, a
  // dry run with `diff: true` and a target to read in deploy/dry-run-diff.ts, once its Workers are built).
  if (!plan.upload && !dryRunReads(plan))
    await reportDryRunDiff(
      plan.outputDir,
      name,
      logger,
      plan.diff && 'notCompared' in plan.diff
        ? {
            gap: plan.diff.notCompared,
            redactor: redactorFor({ bindings: plan.version.bindings }),
          }
        : undefined,
    )
  if (buildOutputDir) logger.info(`  Build Output: ${relative(plan.root, buildOutputDir)}`)
  if (options.buildOutput && mainModule === undefined)
    logger.warn(
      pc.yellow(
        '⚠ buildOutput: an assets-only Worker is not written as Build Output; its request.json is written as usual.',
      ),
    )
  for (const warning of limitWarnings(sizes)) logger.warn(pc.yellow(`⚠ ${warning}`))
  // A dry run still writes request.json to inspect (with the warning above); an upload stops here, before the version is sent.
  if (plan.upload) assertWithinSizeLimit(sizes)
  return { modules: built, assets: assets?.manifest }
}

/**
 * `_headers` and `_redirects` configure the assets, and travel as text modules of exactly those
 * names. A bundle that emits a file of the same name would make two modules of one name, which
 * the API refuses (10021) only once everything has been sent: refused here, naming both sources.
 */
function addAssetsConfigModules(
  modules: WorkerModule[],
  assets: { manifest: AssetsManifest; names: { headers: string; redirects: string } },
  plan: BuildPlan,
): void {
  const configs = [
    [assets.names.headers, assets.manifest.headers],
    [assets.names.redirects, assets.manifest.redirects],
  ] as const
  for (const [name, text] of configs) {
    if (text === undefined) continue
    if (modules.some((module) => module.name === name)) {
      throw new WorkersVersionError(
        'DUPLICATE_MODULE_NAME',
        `Two modules would be named "${name}": one from the bundle's output and one from the assets directory's ${join(relative(plan.root, assets.manifest.directory) || '.', name)}, which configures the static assets. ` +
          `Module names must be unique: rename or stop emitting the bundle's "${name}" (it is not an assets configuration file), or remove the assets directory's one.`,
      )
    }
    modules.push({ name, content_type: 'text/plain', contents: Buffer.from(text) })
  }
}

/** The bytes of a built version's modules, as the reports show its size. */
export function builtSize(version: BuiltVersion): number {
  return version.modules.modules.reduce((sum, m) => sum + m.contents.byteLength, 0)
}

/**
 * An assets-only Worker, as wrangler deploys one without `main`: static assets and no code. The
 * build is a site (a Vite client build of HTML pages), or emitted no entry chunk, and the plan has
 * an assets directory; without one, no entry chunk stays the modules stage's error.
 */
function isAssetsOnly(worker: WorkerOutput, plan: BuildPlan): boolean {
  if (worker.assetsOnly && !plan.assets) {
    throw new WorkersVersionError(
      'NO_WORKER_CODE',
      `The ${plan.bundler} build is a static site (HTML pages whose scripts run in the browser), not Worker code. ` +
        "To deploy it as an assets-only Worker, set the `assets.directory` option to its output directory (e.g. 'dist'), or `assets.directory` in the wrangler config; " +
        'to build a Worker, build its entry as a server environment (`build.ssr`).',
    )
  }
  if (!plan.assets || (!worker.assetsOnly && hasEntryChunk(worker.files))) return false
  // wrangler refuses these too: with no code, nothing could read a binding.
  const bindings = (plan.version.bindings ?? []).map((binding) => binding.name)
  if (bindings.length > 0) {
    throw new WorkersVersionError(
      'ASSETS_ONLY_BINDINGS',
      `The build emitted no Worker code (an assets-only Worker: its static assets are the whole version), so nothing can use the bindings ${bindings.join(', ')}. ` +
        'Remove them (and `assets.binding`, in the options or the wrangler config), or build a Worker entry that uses them.',
    )
  }
  return true
}

/**
 * Reads and hashes the assets directory, after refusing one that would publish the sources or
 * the Worker itself. Loaded only for a build with assets: the hashing code costs start-up time.
 */
async function readAssets(
  planned: PlannedAssets,
  plan: BuildPlan,
  workerOutDir: string | undefined,
) {
  const [
    { assertAssetsDirectoryPlacement, manifestBody, readAssetsDirectory },
    { HEADERS_FILE, REDIRECTS_FILE },
  ] = await Promise.all([import('../assets/manifest.js'), import('../assets/ignore.js')])
  assertAssetsDirectoryPlacement(planned.directory, {
    projectRoot: plan.root,
    workerOutputDir: workerOutDir,
  })
  const manifest = await readAssetsDirectory(planned.directory, {
    maxFiles: planned.maxFiles,
    allowDotfiles: planned.allowDotfiles,
  })
  return {
    manifest,
    body: manifestBody(manifest),
    names: { headers: HEADERS_FILE, redirects: REDIRECTS_FILE },
  }
}

/** Loaded only with `buildOutput`; the entry Worker of a build (the first) starts the tree afresh. */
async function writeBuildOutputOf(
  worker: WorkerOutput,
  plan: BuildPlan,
  options: ResolvedOptions,
  payload: VersionPayload,
  mainModule: string,
  assets: AssetsManifest | undefined,
): Promise<string> {
  const { writeBuildOutput } = await import('../build-output/write.js')
  return writeBuildOutput({
    projectRoot: plan.root,
    version: options.buildOutput || 'v0',
    entry: worker.generated?.entry ?? true,
    name: plan.worker,
    mainModule,
    modules: payload.modules,
    config: payload.config,
    inherit: plan.secrets?.inherit ?? [],
    assets,
  })
}

/** Writes `worker-env.d.ts` for the configured bindings; untouched when already current (no editor reloads). */
function writeEnvTypes(file: string, plan: BuildPlan): void {
  const content = renderEnvTypes(plan.version.bindings, plan.secrets)
  if (currentText(file) !== content) writeFileAtomic(file, content)
}

function currentText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}
