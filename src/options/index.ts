import { isAbsolute, resolve } from 'node:path'
import { WorkersVersionError } from '../core/errors.js'
import { compileRules, type ModuleRule, type RuleMatcher } from '../core/content-types.js'
import type { VersionResult } from '../core/body.js'
import type { VersionConfig } from './schema.js'

export type { ModuleRule } from '../core/content-types.js'
export type { VersionConfig } from './schema.js'

/** Options of `workersVersion()`, the same for every bundler. */
export interface WorkersVersionOptions {
  /** The Worker's id or name (the `{worker_id}` of the request). Required to upload. */
  worker?: string
  /** Cloudflare account id. Default: `CLOUDFLARE_ACCOUNT_ID`. */
  accountId?: string
  /** Every field of the Create Version body except `main_module` and `modules`, spelled as the API spells them. */
  version?: VersionConfig
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
  /** Project root for relative paths. Default: the bundler's root, else the current directory. */
  root?: string
  /** API token (preferred). Default: `CLOUDFLARE_API_TOKEN`. */
  apiToken?: string
  /** Global API key, with `email`. Default: `CLOUDFLARE_API_KEY`. */
  apiKey?: string
  /** Account e-mail for `apiKey`. Default: `CLOUDFLARE_EMAIL`. */
  email?: string
  /** API base URL. Default: `CLOUDFLARE_API_BASE_URL`, else `https://api.cloudflare.com/client/v4`. */
  apiBaseUrl?: string
  /** Called with the created version after a successful upload. */
  onVersion?: (version: VersionResult) => void | Promise<void>
}

export const DEFAULT_API_BASE_URL = 'https://api.cloudflare.com/client/v4'
export const DEFAULT_OUTPUT_DIR = '.workers-version'

/** Options after defaults, checked once at plugin creation. */
export interface ResolvedOptions {
  raw: WorkersVersionOptions
  worker?: string
  version: VersionConfig
  mainModule?: string
  sourcemaps: boolean
  matchRule: RuleMatcher
  uploadMode: string
  environment?: string
  /** Decided per build: explicit `upload`, or the Vite mode. */
  upload?: boolean
  onVersion?: WorkersVersionOptions['onVersion']
  /** Absolute output dir for a given project root. */
  outputDirFor(root: string): string
  /** The `version` fields as written to `request.json`: no secret values. */
  dryRunConfig(): VersionConfig
}

export function resolveOptions(options: WorkersVersionOptions = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new WorkersVersionError('INVALID_OPTIONS', `workersVersion() takes an options object, got ${options === null ? 'null' : typeof options}.`)
  }
  const outputDir = options.outputDir ?? DEFAULT_OUTPUT_DIR
  return {
    raw: options,
    worker: options.worker,
    version: options.version ?? {},
    mainModule: options.mainModule,
    sourcemaps: options.sourcemaps ?? true,
    matchRule: compileRules(options.rules),
    uploadMode: options.uploadMode ?? 'deploy',
    environment: options.environment,
    upload: options.upload,
    onVersion: options.onVersion,
    outputDirFor: (root) => (isAbsolute(outputDir) ? outputDir : resolve(options.root ?? root, outputDir)),
    dryRunConfig: () => options.version ?? {},
  }
}
