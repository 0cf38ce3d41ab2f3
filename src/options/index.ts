import { isAbsolute, resolve } from 'node:path'
import { WorkersVersionError } from '../core/errors.js'
import { compileRules, type ModuleRule, type RuleMatcher } from '../core/content-types.js'
import type { VersionResult } from '../core/body.js'
import { Problems, describe } from './issues.js'
import type { VersionConfig } from './schema.js'
import { redactSecrets, secretBindings, type SecretsOption } from './secrets.js'
import { validateVersionConfig } from './validate.js'
import { findWranglerConfig, readWranglerConfig } from './wrangler.js'

export type { ModuleRule } from '../core/content-types.js'
export type { VersionConfig } from './schema.js'
export type { SecretsOption } from './secrets.js'

/** Options of `workersVersion()`, the same for every bundler. */
export interface WorkersVersionOptions {
  /** The Worker's id or name (the `{worker_id}` of the request). Required to upload; default: `name` from the wrangler config. */
  worker?: string
  /** Cloudflare account id. Default: `account_id` from the wrangler config, else `CLOUDFLARE_ACCOUNT_ID`. */
  accountId?: string
  /** Every field of the Create Version body except `main_module` and `modules`, spelled as the API spells them. Overrides the wrangler config field by field. */
  version?: VersionConfig
  /** Secrets the new version keeps (`inherit`) or sets from the build's environment (`fromEnv`); the Versions API drops any secret not listed. */
  secrets?: SecretsOption
  /** Read `wrangler.jsonc` / `wrangler.json` / `wrangler.toml` from the project root (`true`) or this path. */
  wrangler?: boolean | string
  /** The wrangler environment (`env.<name>`) to use. Default: `CLOUDFLARE_ENV`. */
  env?: string
  /** Write `worker-env.d.ts` declaring `Env` from the bindings (`true`) or to this path. */
  types?: boolean | string
  /** Which entry chunk is the main module when the build has several: its output file name or entry name. */
  mainModule?: string
  /** Attach each chunk's source map as `<module>.map`. Default: `true` (only when the bundler produced maps). */
  sourcemaps?: boolean
  /** Extra or overriding content-type rules, e.g. `{ test: '*.md', type: 'text/plain' }`; `type: false` leaves files out. */
  rules?: ModuleRule[]
  /** Where `request.json` and `result.json` go, relative to the project root. Default: `.workers-version`. */
  outputDir?: string
  /** Create the version at build end. Default: only in Vite when the mode equals `uploadMode`. */
  upload?: boolean
  /** The Vite mode that uploads (`vite build --mode deploy`). Default: `'deploy'`. */
  uploadMode?: string
  /** Vite only: the environment that builds the Worker. Default: the single server environment. */
  environment?: string
  /** Project root for relative paths and the wrangler config. Default: the bundler's root, else the current directory. */
  root?: string
  /** API token (preferred). Default: `CLOUDFLARE_API_TOKEN`. */
  apiToken?: string
  /** Global API key, with `email`. Default: `CLOUDFLARE_API_KEY`. */
  apiKey?: string
  /** Account e-mail for `apiKey`. Default: `CLOUDFLARE_EMAIL`. */
  email?: string
  /** API base URL. Default: `CLOUDFLARE_API_BASE_URL`, else `https://api.cloudflare.com/client/v4`. */
  apiBaseUrl?: string
  /** `'silent'` prints nothing, `'warn'` only warnings and retries. Default: `'info'`, or silent when the bundler's own log level is silent. */
  logLevel?: 'info' | 'warn' | 'silent'
  /** Called with the created version after a successful upload. */
  onVersion?: (version: VersionResult) => void | Promise<void>
  /** Network limits of the upload. Defaults: connect 10 s, headers 60 s, body 60 s, whole upload 5 min; 5 attempts, backoff 0.5–10 s. */
  network?: {
    timeouts?: { connectMs?: number; headersMs?: number; bodyMs?: number; deadlineMs?: number }
    retries?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number }
  }
}

export const DEFAULT_API_BASE_URL = 'https://api.cloudflare.com/client/v4'
export const DEFAULT_OUTPUT_DIR = '.workers-version'
export const DEFAULT_TYPES_FILE = 'worker-env.d.ts'

/** Options after defaults, the wrangler config and validation: decided once, at plugin creation. */
export interface ResolvedOptions {
  raw: WorkersVersionOptions
  worker?: string
  accountId?: string
  version: VersionConfig
  secrets?: SecretsOption
  mainModule?: string
  sourcemaps: boolean
  matchRule: RuleMatcher
  uploadMode: string
  environment?: string
  upload?: boolean
  onVersion?: WorkersVersionOptions['onVersion']
  logLevel?: WorkersVersionOptions['logLevel']
  /** Warnings found while resolving (printed once by the plugin). */
  warnings: string[]
  /** Absolute path of `worker-env.d.ts` to write, if `types` is on. */
  typesFileFor(root: string): string | undefined
  /** Absolute output dir for a given project root. */
  outputDirFor(root: string): string
  /** The `version` fields as written to `request.json`: no secret values. */
  dryRunConfig(): VersionConfig
  /** The `version` fields as uploaded: `fromEnv` secrets read now (throws when one is unset). */
  uploadConfig(env?: NodeJS.ProcessEnv): VersionConfig
}

type Check = (value: unknown) => string | undefined
const isString: Check = (v) => (typeof v === 'string' && v.trim() !== '' ? undefined : `expected a non-empty string, got ${describe(v)}`)
const isBoolean: Check = (v) => (typeof v === 'boolean' ? undefined : `expected true or false, got ${describe(v)}`)
const either = (...checks: Check[]): Check => (v) => (checks.some((c) => c(v) === undefined) ? undefined : checks.map((c) => c(v)).join(' or '))
const isFunction: Check = (v) => (typeof v === 'function' ? undefined : `expected a function, got ${describe(v)}`)
const isObject: Check = (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : `expected an object, got ${describe(v)}`)
const isArray: Check = (v) => (Array.isArray(v) ? undefined : `expected an array, got ${describe(v)}`)

/** Every top-level option and the check of its shape; anything else is a typo worth reporting. */
const OPTION_CHECKS: Record<keyof WorkersVersionOptions, Check> = {
  worker: isString, accountId: isString, version: isObject, secrets: isObject, wrangler: either(isBoolean, isString),
  env: isString, types: either(isBoolean, isString), mainModule: isString, sourcemaps: isBoolean, rules: isArray,
  outputDir: isString, upload: isBoolean, uploadMode: isString, environment: isString, root: isString,
  apiToken: isString, apiKey: isString, email: isString, apiBaseUrl: isString, onVersion: isFunction, network: isObject,
  logLevel: (v) => (v === 'info' || v === 'warn' || v === 'silent' ? undefined : `expected 'info', 'warn' or 'silent', got ${describe(v)}`),
}

function checkShape(options: Record<string, unknown>, problems: Problems): void {
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue
    const check = Object.hasOwn(OPTION_CHECKS, key) ? OPTION_CHECKS[key as keyof WorkersVersionOptions] : undefined
    if (!check) {
      problems.error([key], `is not an option of workersVersion() (known: ${Object.keys(OPTION_CHECKS).join(', ')})`)
      continue
    }
    const message = check(value)
    if (message) problems.error([key], message)
  }
  if (Array.isArray(options.rules)) {
    options.rules.forEach((rule: unknown, i) => {
      if (isObject(rule) !== undefined) return problems.error(['rules', i], 'expected { test, type }')
      const { test, type } = rule as Record<string, unknown>
      const tests = Array.isArray(test) ? test : [test]
      if (tests.length === 0 || tests.some((t) => typeof t !== 'string' && !(t instanceof RegExp))) {
        problems.error(['rules', i, 'test'], 'expected a glob, a RegExp, or an array of them')
      }
      if (type !== false && isString(type) !== undefined) problems.error(['rules', i, 'type'], 'expected a content type string, or false to leave the files out')
    })
  }
  checkNetwork(options.network, problems)
  const secrets = options.secrets
  if (secrets && isObject(secrets) === undefined) {
    for (const [key, names] of Object.entries(secrets)) {
      if (key !== 'inherit' && key !== 'fromEnv') problems.error(['secrets', key], 'is not an option (use inherit or fromEnv)')
      else if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) problems.error(['secrets', key], 'expected an array of secret names')
    }
  }
}

const NETWORK_FIELDS: Record<string, readonly string[]> = {
  timeouts: ['connectMs', 'headersMs', 'bodyMs', 'deadlineMs'],
  retries: ['attempts', 'baseDelayMs', 'maxDelayMs'],
}

function checkNetwork(network: unknown, problems: Problems): void {
  if (network === undefined || isObject(network) !== undefined) return
  for (const [group, values] of Object.entries(network as Record<string, unknown>)) {
    const fields = Object.hasOwn(NETWORK_FIELDS, group) ? NETWORK_FIELDS[group]! : undefined
    if (!fields) problems.error(['network', group], 'is not an option (use timeouts or retries)')
    else if (isObject(values) !== undefined) problems.error(['network', group], isObject(values)!)
    else {
      for (const [field, value] of Object.entries(values as Record<string, unknown>)) {
        if (!fields.includes(field)) problems.error(['network', group, field], `is not an option (known: ${fields.join(', ')})`)
        else if (typeof value !== 'number' || !Number.isInteger(value) || value < (field === 'attempts' ? 1 : 0)) {
          problems.error(['network', group, field], `expected a ${field === 'attempts' ? 'positive' : 'non-negative'} whole number, got ${describe(value)}`)
        }
      }
    }
  }
}

/** Reads the wrangler config when asked; the plugin's own options win field by field. */
function withWrangler(options: WorkersVersionOptions, root: string, warnings: string[]): WorkersVersionOptions {
  if (!options.wrangler) return options
  const file = typeof options.wrangler === 'string' ? resolve(root, options.wrangler) : findWranglerConfig(root)
  if (!file) {
    throw new WorkersVersionError('INVALID_OPTIONS', `\`wrangler: true\` found no wrangler.jsonc, wrangler.json or wrangler.toml in ${root}; pass its path as \`wrangler\`.`)
  }
  const config = readWranglerConfig(file, { env: options.env ?? process.env.CLOUDFLARE_ENV })
  warnings.push(...config.warnings.map((w) => `wrangler config ${file}: ${w}`))
  // A secret the build sets from its environment is not also inherited.
  const fromEnv = new Set(options.secrets?.fromEnv ?? [])
  const inherit = [...new Set([...config.secrets.inherit, ...(options.secrets?.inherit ?? [])])].filter((name) => !fromEnv.has(name))
  return {
    ...options,
    worker: options.worker ?? config.worker,
    accountId: options.accountId ?? config.accountId,
    version: { ...config.version, ...options.version },
    secrets: inherit.length > 0 || options.secrets ? { ...options.secrets, inherit } : undefined,
  }
}

export function resolveOptions(input: WorkersVersionOptions = {}): ResolvedOptions {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new WorkersVersionError('INVALID_OPTIONS', `workersVersion() takes an options object, got ${describe(input)}.`)
  }
  const problems = new Problems('')
  checkShape(input as Record<string, unknown>, problems)
  problems.throwIfAny('Invalid workersVersion() options')

  const warnings: string[] = []
  const root = input.root ?? process.cwd()
  const options = withWrangler(input, root, warnings)
  // Secret bindings join the version before validation, so their names are checked with the rest.
  const dryRunSecrets = secretBindings(options.secrets, process.env, { forUpload: false })
  const withSecrets = (config: VersionConfig, secrets: VersionConfig['bindings'] & object): VersionConfig =>
    secrets.length === 0 ? config : { ...config, bindings: [...(config.bindings ?? []), ...secrets] }
  const validated = validateVersionConfig(withSecrets(options.version ?? {}, dryRunSecrets))
  warnings.push(...validated.warnings)
  // The version without the secret bindings, which are added per use (placeholders or real values).
  const version = validateVersionConfig(options.version ?? {}).config

  const outputDir = options.outputDir ?? DEFAULT_OUTPUT_DIR
  const base = (projectRoot: string) => options.root ?? projectRoot
  return {
    raw: options,
    worker: options.worker,
    accountId: options.accountId,
    version,
    secrets: options.secrets,
    mainModule: options.mainModule,
    sourcemaps: options.sourcemaps ?? true,
    matchRule: compileRules(options.rules),
    uploadMode: options.uploadMode ?? 'deploy',
    environment: options.environment,
    upload: options.upload,
    onVersion: options.onVersion,
    logLevel: options.logLevel,
    warnings,
    typesFileFor: (projectRoot) =>
      options.types ? resolve(base(projectRoot), typeof options.types === 'string' ? options.types : DEFAULT_TYPES_FILE) : undefined,
    outputDirFor: (projectRoot) => (isAbsolute(outputDir) ? outputDir : resolve(base(projectRoot), outputDir)),
    dryRunConfig: () => redactSecrets(validated.config),
    uploadConfig: (env = process.env) => withSecrets(version, secretBindings(options.secrets, env, { forUpload: true })),
  }
}
