import { resolve } from 'node:path'
import { WorkersVersionError } from '../core/errors.js'
import { clip } from '../core/guards.js'
import { NETWORK_DEFAULTS } from '../core/network-defaults.js'
import type { SourceMapChoice } from '../core/types.js'

// Every default value and every environment-variable fallback of the plugin's options, in one
// place. `resolveOptions` applies the static defaults once; the build plan applies what depends on
// the project (the root, the Worker's name) and the environment fallbacks (the environment is read
// once per build, never at import time). The network limits' values are in core/network-defaults.ts,
// which the API client (`src/api`, which may not import options) reads too.

export const DEFAULTS = {
  outputDir: '.workers-version',
  typesFile: 'worker-env.d.ts',
  uploadMode: 'deploy',
  /** `wrangler` unset: read `wrangler.jsonc`/`.json`/`.toml` from the root when there is one, as @cloudflare/vite-plugin does. */
  wrangler: 'when-present',
  apiBaseUrl: 'https://api.cloudflare.com/client/v4',
  gitAnnotations: true,
  buildOutput: false,
  /** `preview: 'auto'` deploys on this branch and makes a Preview on every other one. */
  productionBranch: 'main',
  /** A fork's pull request makes no Preview unless allowed: its code would get the Preview's bindings and secrets. */
  previewForks: false,
  assetsMaxFiles: 20_000,
  assetsConcurrency: NETWORK_DEFAULTS.assetsConcurrency,
  /** `network`: decided in core/network-defaults.ts, which the API client reads too. */
  timeouts: NETWORK_DEFAULTS.timeouts,
  retries: NETWORK_DEFAULTS.retries,
} as const

/** A Worker id (32 hex digits) names a Worker that exists; only a name can be created. */
export function createWorkerByDefault(worker: string | undefined): boolean {
  return worker !== undefined && !/^[0-9a-f]{32}$/i.test(worker)
}

/**
 * Which source maps are sent: the `sourcemaps` option, else the wrangler config's
 * `upload_source_maps`, else what wrangler (4.164) sends with neither: the maps the chunks link by
 * a `sourceMappingURL` comment to a file.
 */
export function sourceMapsByDefault(
  option: boolean | undefined,
  uploadSourceMaps: boolean | undefined,
): SourceMapChoice {
  return option ?? uploadSourceMaps ?? 'linked'
}

/** Preflight runs whenever the version is to get traffic. */
export function preflightByDefault(promote: number | undefined): boolean {
  return promote !== undefined
}

/** The project root: the `root` option (a relative one from the current directory), else the bundler's own. */
export function projectRoot(option: string | undefined, bundlerRoot: string): string {
  return resolve(option ?? bundlerRoot)
}

/** The option each environment variable stands in for when that option is not set. */
export const ENV_FALLBACKS = {
  accountId: 'CLOUDFLARE_ACCOUNT_ID',
  apiToken: 'CLOUDFLARE_API_TOKEN',
  apiKey: 'CLOUDFLARE_API_KEY',
  email: 'CLOUDFLARE_EMAIL',
  apiBaseUrl: 'CLOUDFLARE_API_BASE_URL',
  env: 'CLOUDFLARE_ENV',
  /** For frameworks whose build command has no `--mode` (`waku build`): see `uploadFromEnv`. */
  upload: 'WORKERS_VERSION_UPLOAD',
} as const

/** A trimmed, non-empty value or nothing: an empty variable counts as unset. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim()
}

/** The option's value, else its environment variable's. */
export function withEnvFallback(
  option: keyof typeof ENV_FALLBACKS,
  value: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  return nonEmpty(value) ?? nonEmpty(env[ENV_FALLBACKS[option]])
}

/**
 * The `upload` option from WORKERS_VERSION_UPLOAD, for a build whose command has no `--mode`:
 * `1`/`true` uploads (as `upload: true`), `0`/`false` does not; unset or empty, the mode decides.
 * Any other value is an error, so a typo never silently skips or starts an upload.
 */
export function uploadFromEnv(env: NodeJS.ProcessEnv): boolean | undefined {
  const name = ENV_FALLBACKS.upload
  const raw = nonEmpty(env[name])
  if (raw === undefined) return undefined
  if (/^(?:1|true)$/i.test(raw)) return true
  if (/^(?:0|false)$/i.test(raw)) return false
  throw new WorkersVersionError(
    'INVALID_OPTIONS',
    `${name} is ${JSON.stringify(clip(raw, 40))}: set it to 1 (or true) to upload, or 0 (or false) not to; unset, the \`upload\` option or the mode decides.`,
  )
}
