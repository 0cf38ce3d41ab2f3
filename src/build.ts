import { readFile } from 'node:fs/promises'
import { relative } from 'node:path'
import pc from 'picocolors'
import { assertNoBareImports } from './core/bare-imports.js'
import { toWorkerModules } from './core/modules.js'
import type { VersionPayload } from './core/serialize.js'
import type { OutputFile } from './core/types.js'
import { renderEnvTypes } from './options/env-types.js'
import type { ResolvedOptions } from './options/resolve.js'
import { versionConfigOf, type BuildPlan } from './plan.js'
import { writeRequestJson } from './report/files.js'
import type { Logger } from './report/logger.js'
import { limitWarnings, measureModules, summaryLines } from './report/summary.js'
import { writeFileAtomic } from './report/write-atomic.js'

/**
 * Everything after the bundler is done and before any request: modules, the body,
 * `request.json`, `worker-env.d.ts` and the summary. Returns what an upload sends,
 * with the dry-run config (the upload swaps in the plan's real one).
 */
export async function buildVersion(files: readonly OutputFile[], plan: BuildPlan, options: ResolvedOptions, logger: Logger): Promise<VersionPayload> {
  const { mainModule, modules, excluded } = toWorkerModules(files, {
    bundler: plan.bundler,
    matchRule: options.matchRule,
    mainModule: options.mainModule,
    sourcemaps: options.sourcemaps,
  })
  await assertNoBareImports(modules, plan.bundler)
  const payload: VersionPayload = { mainModule, modules, config: await versionConfigOf(plan, 'dry-run') }
  const [sizes, requestFile] = await Promise.all([
    measureModules(modules),
    writeRequestJson(plan.outputDir, payload),
    plan.typesFile && writeEnvTypes(plan.typesFile, plan),
  ])
  logger.info(`${pc.green('✓')} Workers version${plan.worker ? ` for ${pc.bold(plan.worker)}` : ''}:`)
  for (const line of summaryLines(mainModule, sizes, excluded)) logger.info(line)
  logger.info(`  request body: ${relative(plan.root, requestFile) || requestFile}`)
  for (const warning of limitWarnings(sizes)) logger.warn(pc.yellow(`⚠ ${warning}`))
  return payload
}

/** Writes `worker-env.d.ts` for the configured bindings; untouched when already current (no editor reloads). */
async function writeEnvTypes(file: string, plan: BuildPlan): Promise<void> {
  const content = renderEnvTypes(plan.dryRunVersion.bindings, plan.secrets)
  const current = await readFile(file, 'utf8').catch(() => undefined)
  if (current !== content) await writeFileAtomic(file, content)
}
