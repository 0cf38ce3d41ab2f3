// The options' public surface: their types (types.ts) and `resolveOptions`.
export type { ModuleRule } from '../modules/content-types.js'
export type { VersionConfig, VersionRequestBody } from './version-schema.js'
export type { SecretsOption } from './secrets.js'
export type { NetworkOptions, WorkersVersionOptions } from './types.js'
export { resolveOptions } from './resolve.js'
