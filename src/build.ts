import { readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import pc from 'picocolors'
import { assertNoBareImports } from './core/bare-imports.js'
import { toWorkerModules } from './core/modules.js'
import type { WorkerOutput } from './core/pipeline.js'
import { renderEnvTypes } from './env-types.js'
import type { ResolvedOptions } from './options/resolve.js'
import type { BuildPlan, PlannedAssets } from './plan.js'
import type { AssetsManifest } from './assets/manifest.js'
import type { VersionPayload } from './core/serialize.js'
import { versionBody, type BuiltModules } from './version-body.js'
import { plural } from './core/plural.js'
import { formatBytes } from './report/format.js'
import { writeRequestJson } from './report/files.js'
import type { Logger } from './report/logger.js'
import { limitWarnings, measureModules, summaryLines } from './report/summary.js'
import { writeFileAtomic } from './report/write-atomic.js'

/** One Worker's version as built locally: its modules and, when the plan has a directory, the static assets to upload first. */
export interface BuiltVersion {
  modules: BuiltModules
  assets?: AssetsManifest
}

/**
 * Everything after the bundler is done and before any request: modules, the body without
 * remote state written to `request.json`, `worker-env.d.ts` and the summary.
 */
export async function buildVersion(worker: WorkerOutput, plan: BuildPlan, options: ResolvedOptions, logger: Logger): Promise<BuiltVersion> {
  const { mainModule, modules, excluded } = toWorkerModules(worker.files, {
    bundler: plan.bundler,
    matchRule: options.matchRule,
    mainModule: options.mainModule,
    sourcemaps: options.sourcemaps,
  })
  await assertNoBareImports(modules, plan.bundler)
  const planned = plan.assets
  const assets = planned && (await readAssets(planned, plan, worker.outDir))
  // `_headers` and `_redirects` configure the assets, and travel as text modules of exactly those names.
  if (assets?.manifest.headers !== undefined) modules.push({ name: assets.names.headers, content_type: 'text/plain', contents: Buffer.from(assets.manifest.headers) })
  if (assets?.manifest.redirects !== undefined) modules.push({ name: assets.names.redirects, content_type: 'text/plain', contents: Buffer.from(assets.manifest.redirects) })
  const built: BuiltModules = { mainModule, modules }
  const { payload } = versionBody(plan, built, { git: plan.upload ? await plan.gitAnnotations : undefined })
  const requestFile = writeRequestJson(plan.outputDir, payload)
  // Not over a tree the Cloudflare plugin wrote itself: that one is already this Worker's Build Output.
  const buildOutputDir = options.buildOutput && !worker.generated?.buildOutput ? await writeBuildOutputOf(worker, plan, options, payload, assets?.manifest) : undefined
  if (plan.typesFile) writeEnvTypes(plan.typesFile, plan)
  if (assets) writeFileAtomic(join(plan.outputDir, 'assets-manifest.json'), `${JSON.stringify(assets.body, null, 2)}\n`)
  const sizes = await measureModules(modules)
  logger.info(`${pc.green('✓')} Workers version${plan.worker ? ` for ${pc.bold(plan.worker)}` : ''}:`)
  for (const line of summaryLines(mainModule, sizes, excluded)) logger.info(line)
  if (planned && assets) {
    const { files, directory } = assets.manifest
    const bytes = files.reduce((sum, file) => sum + file.size, 0)
    logger.info(`  assets: ${relative(plan.root, directory) || '.'} (${planned.source}): ${plural(files.length, 'file')}, ${formatBytes(bytes)}`)
  }
  logger.info(`  request body: ${relative(plan.root, requestFile) || requestFile}`)
  if (buildOutputDir) logger.info(`  Build Output: ${relative(plan.root, buildOutputDir)}`)
  for (const warning of limitWarnings(sizes)) logger.warn(pc.yellow(`⚠ ${warning}`))
  return { modules: built, assets: assets?.manifest }
}

/**
 * Reads and hashes the assets directory, after refusing one that would publish the sources or
 * the Worker itself. Loaded only for a build with assets: the hashing code costs start-up time.
 */
async function readAssets(planned: PlannedAssets, plan: BuildPlan, workerOutDir: string | undefined) {
  const [{ assertAssetsDirectoryPlacement, manifestBody, readAssetsDirectory }, { HEADERS_FILE, REDIRECTS_FILE }] = await Promise.all([
    import('./assets/manifest.js'),
    import('./assets/ignore.js'),
  ])
  assertAssetsDirectoryPlacement(planned.directory, { projectRoot: plan.root, workerOutputDir: workerOutDir })
  const manifest = await readAssetsDirectory(planned.directory, { maxFiles: planned.maxFiles, allowDotfiles: planned.allowDotfiles })
  return { manifest, body: manifestBody(manifest), names: { headers: HEADERS_FILE, redirects: REDIRECTS_FILE } }
}

/** Loaded only with `buildOutput`; the entry Worker of a build (the first) starts the tree afresh. */
async function writeBuildOutputOf(worker: WorkerOutput, plan: BuildPlan, options: ResolvedOptions, payload: VersionPayload, assets: AssetsManifest | undefined): Promise<string> {
  const { writeBuildOutput } = await import('./build-output/write.js')
  return writeBuildOutput({
    projectRoot: plan.root,
    version: options.buildOutput || 'v0',
    entry: worker.generated?.entry ?? true,
    name: plan.worker,
    mainModule: payload.mainModule,
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
