import type { ResolvedOptions } from '../options/index.js'
import { toWorkerModules } from './modules.js'
import { limitWarnings, measureModules, summaryLines, writeRequestJson, type Logger } from './report.js'
import type { VersionPayload } from './serialize.js'
import type { BundlerName, OutputFile } from './types.js'
import pc from 'picocolors'
import { relative } from 'node:path'

export interface BuildInfo {
  bundler: BundlerName
  /** Project root: relative paths in options and messages are relative to it. */
  root: string
  logger: Logger
}

export interface BuiltVersion {
  payload: VersionPayload
  requestFile: string
}

/**
 * Everything after the bundler is done: modules, the request body, the summary and
 * `request.json`. Returns the payload so the caller can upload it.
 */
export async function buildVersion(files: readonly OutputFile[], info: BuildInfo, options: ResolvedOptions): Promise<BuiltVersion> {
  const { mainModule, modules, excluded } = toWorkerModules(files, {
    bundler: info.bundler,
    matchRule: options.matchRule,
    mainModule: options.mainModule,
    sourcemaps: options.sourcemaps,
  })
  const payload: VersionPayload = { mainModule, modules, config: options.dryRunConfig() }
  const [sizes, requestFile] = await Promise.all([
    measureModules(modules),
    writeRequestJson(options.outputDirFor(info.root), payload),
  ])
  info.logger.info(`${pc.green('✓')} Workers version${options.worker ? ` for ${pc.bold(options.worker)}` : ''}:`)
  for (const line of summaryLines(mainModule, sizes, excluded)) info.logger.info(line)
  info.logger.info(`  request body: ${relative(info.root, requestFile) || requestFile}`)
  for (const warning of limitWarnings(sizes)) info.logger.warn(pc.yellow(`⚠ ${warning}`))
  return { payload, requestFile }
}
