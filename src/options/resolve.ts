import { compileRules, type ModuleRule, type RuleMatcher } from '../core/content-types.js'
import { DEFAULTS } from './defaults.js'
import type { NetworkOptions, WorkersVersionOptions } from './index.js'
import type { VersionConfig } from './schema.js'
import { secretBindings, type SecretsOption } from './secrets.js'
import { parseOptions } from './options-schema.js'
import { validateVersionConfig } from './validate.js'

/**
 * The options as the user wrote them, checked and with their static defaults: decided once,
 * when the plugin is created, without any I/O. What depends on the project (its root, the
 * wrangler config, the environment, upload or not) is settled per build by `createPlan`.
 */
export type ResolvedOptions = Pick<
  WorkersVersionOptions,
  'worker' | 'accountId' | 'secrets' | 'env' | 'mainModule' | 'upload' | 'environment' | 'root' | 'apiBaseUrl' | 'logLevel' | 'onVersion' | 'preflight' | 'createWorker' | 'assets'
> & {
  /** The `version` option, validated, without secret bindings. */
  version: VersionConfig
  /** `'when-present'`: the root's config file if there is one; `true`: it must exist; a path; `false`: none. */
  wrangler: boolean | string
  /** `worker-env.d.ts` path relative to the root, when `types` is on. */
  types?: string
  sourcemaps: boolean
  rules: readonly ModuleRule[]
  matchRule: RuleMatcher
  outputDir: string
  uploadMode: string
  credentials: Pick<WorkersVersionOptions, 'apiToken' | 'apiKey' | 'email'>
  network: NetworkOptions
  /** Traffic after the upload, in percent; none leaves the version without traffic. */
  promote?: number
  gitAnnotations: boolean
  /** Warnings found while checking (printed once by the plugin). */
  warnings: string[]
}

/** Adds secret bindings after the configured ones (the plan strips them off the same way). */
export function withSecretBindings(config: VersionConfig, secrets: NonNullable<VersionConfig['bindings']>): VersionConfig {
  return secrets.length === 0 ? config : { ...config, bindings: [...(config.bindings ?? []), ...secrets] }
}

/**
 * Validates `version` together with the dry-run secret bindings, so secret names are checked
 * with every other binding name, and returns the config without them.
 */
export function validateWithSecrets(version: VersionConfig, secrets: SecretsOption | undefined): { config: VersionConfig; warnings: string[] } {
  const placeholders = secretBindings(secrets, {}, { forUpload: false })
  const { config, warnings } = validateVersionConfig(withSecretBindings(version, placeholders))
  if (placeholders.length === 0) return { config, warnings }
  const bindings = config.bindings!.slice(0, config.bindings!.length - placeholders.length)
  const { bindings: _dropped, ...rest } = config
  return { config: bindings.length > 0 || version.bindings ? { ...rest, bindings } : rest, warnings }
}

export function resolveOptions(input: WorkersVersionOptions = {}): ResolvedOptions {
  parseOptions(input)

  const { config: version, warnings } = validateWithSecrets(input.version ?? {}, input.secrets)
  return {
    worker: input.worker,
    accountId: input.accountId,
    version,
    secrets: input.secrets,
    wrangler: input.wrangler ?? DEFAULTS.wrangler,
    env: input.env,
    types: input.types ? (typeof input.types === 'string' ? input.types : DEFAULTS.typesFile) : undefined,
    mainModule: input.mainModule,
    sourcemaps: input.sourcemaps ?? DEFAULTS.sourcemaps,
    rules: input.rules ?? [],
    matchRule: compileRules(input.rules),
    outputDir: input.outputDir ?? DEFAULTS.outputDir,
    upload: input.upload,
    uploadMode: input.uploadMode ?? DEFAULTS.uploadMode,
    environment: input.environment,
    root: input.root,
    credentials: { apiToken: input.apiToken, apiKey: input.apiKey, email: input.email },
    apiBaseUrl: input.apiBaseUrl,
    logLevel: input.logLevel,
    network: input.network ?? {},
    onVersion: input.onVersion,
    promote: input.promote === true ? 100 : input.promote === false ? undefined : input.promote,
    preflight: input.preflight,
    createWorker: input.createWorker,
    gitAnnotations: input.gitAnnotations ?? DEFAULTS.gitAnnotations,
    assets: input.assets,
    warnings,
  }
}
