import pc from 'picocolors'
import { buildVersion } from './build.js'
import type { AdapterContext, PrepareInfo } from './bundlers/context.js'
import { WorkersVersionError } from './core/errors.js'
import type { OutputFile } from './core/types.js'
import type { ResolvedOptions } from './options/resolve.js'
import { createPlan, type BuildPlan } from './plan.js'
import { createLogger, logLevelOf, type LogLevel } from './report/logger.js'

/**
 * The plugin's side of every adapter: `prepare` makes the build's plan, `complete` turns the
 * bundler's output into a version along it. The plan of the build in progress is the only state.
 */
export function createContext(options: ResolvedOptions): AdapterContext {
  let bundlerLevel: LogLevel = 'info'
  const logger = createLogger(() => options.logLevel ?? bundlerLevel)
  let plan: BuildPlan | undefined
  let warned = false

  return {
    options,
    async prepare(info: PrepareInfo) {
      bundlerLevel = logLevelOf(info.logLevel)
      if (!warned) {
        warned = true
        for (const warning of options.warnings) logger.warn(pc.yellow(`⚠ ${warning}`))
      }
      plan = await createPlan(options, info)
      for (const warning of plan.warnings) logger.warn(pc.yellow(`⚠ ${warning}`))
      return plan
    },
    async complete(files: OutputFile[]) {
      if (!plan) throw new WorkersVersionError('INTERNAL', 'The bundler finished a build the plugin was not told had started.')
      const built = await buildVersion(files, plan, options, logger)
      if (!plan.upload) return
      // Loaded only now: the HTTP client costs start-up time that a dry run never needs.
      const { uploadVersion } = await import('./upload.js')
      await uploadVersion(built, plan, options, logger)
    },
  }
}
