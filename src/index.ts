import { createUnplugin, type UnpluginFactory, type UnpluginOptions } from 'unplugin'
import type { ResolvedConfig } from 'vite'
import { createLogger, logLevelOf, type LogLevel } from './core/report.js'
import { buildVersion } from './core/pipeline.js'
import type { BundlerName, OutputFile } from './core/types.js'
import { resolveOptions, type WorkersVersionOptions } from './options/index.js'
import { resolveUploadTarget, type UploadTarget } from './options/upload-target.js'
import { uploadVersion } from './upload.js'
import { writeEnvTypes } from './env-types-file.js'
import pc from 'picocolors'
import type { AdapterContext } from './bundlers/context.js'
import type { NormalizedOutputOptions, OutputBundle, PluginContext } from 'rollup'
import { moduleImportHooks } from './bundlers/rollup.js'
import { viteAdapter } from './bundlers/vite.js'
import { esbuildAdapter } from './bundlers/esbuild.js'
import { webpackAdapter } from './bundlers/webpack.js'

export type { WorkersVersionOptions, ModuleRule, VersionConfig } from './options/index.js'
export type { VersionRequestBody, VersionResult } from './core/body.js'
export type { WorkerModule, WorkerModuleBody, OutputFile } from './core/types.js'
export { WorkersVersionError } from './core/errors.js'

const PLUGIN_NAME = 'unplugin-workers-version'

export const unpluginFactory: UnpluginFactory<WorkersVersionOptions | undefined, true> = (rawOptions, meta) => {
  const options = resolveOptions(rawOptions)
  let bundlerLogLevel: LogLevel = 'info'
  const logger = createLogger(() => options.logLevel ?? bundlerLogLevel)
  let root = rawOptions?.root ?? process.cwd()
  let target: UploadTarget | undefined

  let warned = false

  const context: AdapterContext = {
    options,
    prepare(info) {
      root = rawOptions?.root ?? info.root
      bundlerLogLevel = logLevelOf(info.logLevel)
      if (!warned) {
        warned = true
        for (const warning of options.warnings) logger.warn(pc.yellow(`⚠ ${warning}`))
      }
      if (!info.upload) return
      // Everything an upload needs is checked before the bundler spends any time.
      target = resolveUploadTarget(options.raw)
      options.uploadConfig()
    },
    async complete(files: OutputFile[], info) {
      const projectRoot = rawOptions?.root ?? info.root
      const built = await buildVersion(files, { bundler: info.bundler, root: projectRoot, logger }, options)
      const typesFile = options.typesFileFor(projectRoot)
      if (typesFile) await writeEnvTypes(typesFile, options)
      if (!info.upload) return
      target ??= resolveUploadTarget(options.raw)
      await uploadVersion(built, target, options, { root: projectRoot, logger })
    },
  }

  const importHooks = moduleImportHooks(options.matchRule, () => root)
  const rollupLike = (bundler: BundlerName) => ({
    ...importHooks.hooks,
    options(inputOptions: { logLevel?: string }) {
      context.prepare({ bundler, root: process.cwd(), upload: options.upload === true, logLevel: inputOptions.logLevel })
    },
    async writeBundle(this: PluginContext, outputOptions: NormalizedOutputOptions, bundle: OutputBundle) {
      if (this.meta.watchMode) return
      const files = await importHooks.readBundle(this, outputOptions, bundle)
      await context.complete(files, { bundler, root, upload: options.upload === true })
    },
  })

  const uploadForVite = (config: ResolvedConfig) => options.upload ?? config.mode === options.uploadMode
  const vite = viteAdapter({
    readBundle: importHooks.readBundle,
    environment: options.environment,
    worker: options.worker,
    configResolved(config) {
      context.prepare({ bundler: 'vite', root: config.root, upload: uploadForVite(config) && !config.build.watch, logLevel: config.logLevel })
    },
    complete: (files, config) => context.complete(files, { bundler: 'vite', root: config.root, upload: uploadForVite(config) }),
  })

  const main: UnpluginOptions = {
    name: PLUGIN_NAME,
    enforce: 'pre',
    rollup: rollupLike('rollup') as never,
    rolldown: rollupLike('rolldown') as never,
    vite: { ...importHooks.hooks, ...vite.main } as never,
    esbuild: esbuildAdapter(context),
    webpack: webpackAdapter('webpack', context),
    rspack: webpackAdapter('rspack', context),
  }
  if (meta.framework !== 'vite') return [main]
  return [main, { name: `${PLUGIN_NAME}:app`, vite: vite.app as never }]
}

export const workersVersion = /* #__PURE__ */ createUnplugin(unpluginFactory)
export default workersVersion
