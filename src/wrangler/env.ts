// Which wrangler config keys an `env.<name>` section inherits from the top level,
// following wrangler 4's `normalizeAndValidateEnvironment`: "inheritable" keys
// fall back to the top-level value, binding-like keys and `vars` do not (an
// environment must redeclare them), and a few keys exist only at the top level.
import type { Path } from '../options/issues.js'
import { BINDING_SECTIONS } from './bindings.js'
import { isRecord } from '../core/guards.js'

/** Keys an environment inherits from the top level when it does not set them. */
const INHERITABLE = new Set([
  'account_id',
  'compatibility_date',
  'compatibility_flags',
  'jsx_factory',
  'jsx_fragment',
  'tsconfig',
  'rules',
  'name',
  'main',
  'find_additional_modules',
  'preserve_file_names',
  'base_dir',
  'route',
  'routes',
  'triggers',
  'assets',
  'limits',
  'placement',
  'build',
  'workers_dev',
  'preview_urls',
  'migrations',
  'logfwdr',
  'no_bundle',
  'minify',
  'keep_names',
  'first_party_worker',
  'logpush',
  'upload_source_maps',
  'observability',
  'cache',
  'compliance_region',
  'python_modules',
  'previews',
  'usage_model',
  'exports',
])

/** Keys an environment must redeclare (wrangler warns when only the top level has them): every binding section but the inheritable ones, and a few more. */
const NOT_INHERITABLE = new Set([
  ...[...BINDING_SECTIONS].filter((section) => !INHERITABLE.has(section)),
  'secrets',
  'define',
  'cloudchamber',
  'containers',
  'tail_consumers',
  'streaming_tail_consumers',
])

/** Keys that only exist at the top level (not inside `env.<name>`). */
const TOP_LEVEL_ONLY = new Set([
  '$schema',
  'legacy_env',
  'send_metrics',
  'keep_vars',
  'pages_build_output_dir',
  'dev',
  'site',
  'alias',
  'wasm_modules',
  'text_blobs',
  'data_blobs',
  'env',
])

/** The configuration in effect for one environment (or the top level). */
export interface Effective {
  /** The merged keys, as wrangler would see them for this environment. */
  config: Record<string, unknown>
  /** Where a key came from, for messages: `['env', 'staging', key]` or `[key]`. */
  pathOf: (key: string) => Path
}

/**
 * Merges `env.<name>` over the top level the way wrangler does. Unknown keys of
 * the environment are kept so the mapping can report them.
 */
export function selectEnvironment(
  raw: Record<string, unknown>,
  envName: string | undefined,
  warnings: string[],
): Effective {
  if (!envName) return { config: raw, pathOf: (key) => [key] }
  const envs = isRecord(raw.env) ? raw.env : undefined
  const section = envs && Object.hasOwn(envs, envName) ? envs[envName] : undefined
  if (section !== undefined && !isRecord(section)) {
    throw new TypeError(`env.${envName} must be a table/object`)
  }
  if (section === undefined) {
    const available = envs ? Object.keys(envs) : []
    if (available.length > 0) {
      throw new TypeError(
        `no environment "${envName}"; the configured environments are ${available.map((e) => JSON.stringify(e)).join(', ')}`,
      )
    }
    warnings.push(
      `no [env.${envName}] section; using the top-level configuration (as wrangler does)`,
    )
  }
  const env = section ?? raw
  // No prototype: a `__proto__` key in the file stays a plain (reported) key.
  const config: Record<string, unknown> = Object.create(null)
  const fromEnv = new Set<string>()
  for (const key of Object.keys(raw)) {
    if (INHERITABLE.has(key) || TOP_LEVEL_ONLY.has(key)) config[key] = raw[key]
  }
  for (const key of Object.keys(env)) {
    if (TOP_LEVEL_ONLY.has(key) && env !== raw) {
      warnings.push(`env.${envName}.${key}: only allowed at the top level; ignored`)
      continue
    }
    config[key] = env[key]
    if (env !== raw) fromEnv.add(key)
  }
  if (section !== undefined) {
    for (const key of Object.keys(raw)) {
      if (NOT_INHERITABLE.has(key) && !Object.hasOwn(section, key)) {
        warnings.push(
          `"${key}" exists at the top level but not in env.${envName}; environments do not inherit it, so it is not used`,
        )
      }
    }
  }
  if (!Object.hasOwn(env, 'name') || env === raw) {
    const top = raw.name
    if (typeof top === 'string' && top !== '') config.name = `${top}-${envName}`
  }
  return { config, pathOf: (key) => (fromEnv.has(key) ? ['env', envName, key] : [key]) }
}
