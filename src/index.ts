import { createUnplugin } from 'unplugin'
import { unpluginFactory } from './factory.js'

export type {
  WorkersVersionOptions,
  ModuleRule,
  VersionConfig,
  VersionRequestBody,
  SecretsOption,
  NetworkOptions,
} from './options/index.js'
export type { VersionResult } from './core/body.js'
export type { WorkerModule, WorkerModuleBody, OutputFile } from './core/types.js'
export { WorkersVersionError } from './core/errors.js'
export { unpluginFactory }

/** Every bundler's plugin from the one factory; each entry point (`/vite`, `/rollup`, …) builds only its own. */
export const workersVersion = /* #__PURE__ */ createUnplugin(unpluginFactory)
export default workersVersion
