import { compileRules, type ModuleRule, type RuleMatcher } from '../modules/content-types.js'
import { DEFAULT_WRITTEN_VERSION } from '../build-output/layout.js'
import { DEFAULTS, preflightByDefault } from './defaults.js'
import { resolveStrict, type ResolvedStrict } from './strict.js'
import type {
  AssetsOptions,
  NetworkOptions,
  UrlTransformations,
  WorkersVersionOptions,
} from './types.js'
import type { VersionConfig } from './version-schema.js'
import { parseOptions } from './options-schema.js'
import { validateVersionConfig } from './validate.js'
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { resolveRollout, type ResolvedRollout } from './rollout.js'
import { resolveDispatch, type DispatchTarget } from './dispatch.js'

/**
 * The options as the user wrote them, checked and with their static defaults: decided once,
 * when the plugin is created, without any I/O. What depends on the project (its root, the
 * wrangler config, the environment, upload or not) is settled per build by `createPlan`.
 */
export type ResolvedOptions = Pick<
  WorkersVersionOptions,
  | 'worker'
  | 'accountId'
  | 'secrets'
  | 'env'
  | 'mainModule'
  | 'upload'
  | 'environment'
  | 'root'
  | 'apiBaseUrl'
  | 'logLevel'
  | 'onVersion'
  | 'createWorker'
> & {
  /** The Cloudflare Build Output version to write as well, if any. */
  buildOutput: false | 'v0' | 'v1'
} & {
  /** The `version` option, validated, without secret bindings. */
  version: VersionConfig
  /** `'when-present'`: the root's config file if there is one; `true`: it must exist; a path; `false`: none. */
  wrangler: boolean | string
  /** `worker-env.d.ts` path relative to the root, when `types` is on. */
  types?: string
  /** Unset: the wrangler config's `upload_source_maps` decides (the plan settles it). */
  sourcemaps?: boolean
  rules: readonly ModuleRule[]
  matchRule: RuleMatcher
  outputDir: string
  uploadMode: string
  credentials: Pick<WorkersVersionOptions, 'apiToken' | 'apiKey' | 'email'>
  network: NetworkOptions
  /** Traffic after the upload, in percent; none leaves the version without traffic. */
  promote?: number
  /** A health-gated rollout (`promote` as an object): it ends at 100%, so `promote` is 100 with it. */
  rollout?: ResolvedRollout
  /** A Preview deployment instead of a version: the name, the branch's (`true`), or `'auto'`. */
  preview?: true | 'auto' | { name: string }
  productionBranch: string
  /** Whether a pull request from a fork may make a Preview (its own, `pr-<number>`). */
  previewForks: boolean
  preflight: boolean
  /** Strict mode and the changes it acknowledges; undefined when off. */
  strict?: ResolvedStrict
  /** A dry run compares with the deployed Worker (reads only); uploads always do. */
  diff: boolean
  /** `false` uploads none even when a config names a directory. */
  assets: ResolvedAssetsOptions | false
  gitAnnotations: boolean
  /** The `images.urlTransformations` option, as the API takes it (`deploy/image-transformations` sends it). */
  urlTransformations?: UrlTransformations
  /** Workers for Platforms: the dispatch namespace the build uploads into, and the user Worker's tags. */
  dispatch?: DispatchTarget
  /** Warnings found while checking (printed once by the plugin). */
  warnings: string[]
}

type ResolvedAssetsOptions = AssetsOptions &
  Required<Pick<AssetsOptions, 'maxFiles' | 'concurrency'>>

export function resolveOptions(input: WorkersVersionOptions = {}): ResolvedOptions {
  parseOptions(input)
  // Secret names are checked with the other bindings once the plan has merged the wrangler config.
  const { config: version, warnings } = validateVersionConfig(input.version ?? {})
  // Before `promote` and `preview` are read: with a namespace they are refused, saying why.
  const dispatch = resolveDispatch(input)
  // A gated rollout ends at 100%: everything that follows a promote to 100% (triggers, settings) follows it.
  const rollout = isRecord(input.promote) ? resolveRollout(input.promote) : undefined
  const promote =
    input.promote === true || rollout
      ? 100
      : input.promote === false
        ? undefined
        : (input.promote as number | undefined)
  const preview = resolvePreview(input.preview, promote)
  return {
    worker: input.worker,
    accountId: input.accountId,
    version,
    secrets: input.secrets,
    wrangler: input.wrangler ?? DEFAULTS.wrangler,
    env: input.env,
    types: input.types
      ? typeof input.types === 'string'
        ? input.types
        : DEFAULTS.typesFile
      : undefined,
    mainModule: input.mainModule,
    sourcemaps: input.sourcemaps,
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
    promote,
    ...(rollout && { rollout }),
    preview,
    productionBranch: input.productionBranch?.trim() ?? DEFAULTS.productionBranch,
    previewForks: input.previewForks ?? DEFAULTS.previewForks,
    preflight: input.preflight ?? preflightByDefault(promote),
    createWorker: input.createWorker,
    strict: resolveStrict(input.strict),
    diff: input.diff ?? false,
    gitAnnotations: input.gitAnnotations ?? DEFAULTS.gitAnnotations,
    buildOutput:
      input.buildOutput === true
        ? DEFAULT_WRITTEN_VERSION
        : (input.buildOutput ?? DEFAULTS.buildOutput),
    // Its limits apply to a directory the wrangler config names as well.
    assets:
      input.assets === false
        ? false
        : {
            ...input.assets,
            maxFiles: input.assets?.maxFiles ?? DEFAULTS.assetsMaxFiles,
            concurrency: input.assets?.concurrency ?? DEFAULTS.assetsConcurrency,
          },
    urlTransformations: resolveUrlTransformations(input.images, preview),
    dispatch,
    warnings,
  }
}

/**
 * The option in the API's terms. A Preview changes no Worker setting, and wrangler refuses the
 * setting in Previews: with `preview: true` or a name it is refused; with `'auto'` it is applied on
 * the production branch's promote only (the plan says so on a Preview).
 */
function resolveUrlTransformations(
  images: WorkersVersionOptions['images'],
  preview: ResolvedOptions['preview'],
): UrlTransformations | undefined {
  if (images === undefined) return undefined
  if (preview !== undefined && preview !== 'auto')
    throw new WorkersVersionError(
      'INVALID_OPTIONS',
      `\`images.urlTransformations\` is a setting of the deployed Worker, and a Preview (\`preview: ${JSON.stringify(preview === true ? true : preview.name)}\`) changes no Worker setting, as wrangler refuses it in Previews: remove \`images.urlTransformations\`, or use \`preview: 'auto'\` to apply it on the production branch's deploy.`,
    )
  const { enabled, allowedOrigins } = images.urlTransformations
  return { enabled, ...(allowedOrigins !== undefined && { allowed_origins: [...allowedOrigins] }) }
}

/** `preview: 'auto'` decides per branch; any other Preview has no traffic to give, so `promote` with it is a contradiction. */
function resolvePreview(
  preview: boolean | string | undefined,
  promote: number | undefined,
): ResolvedOptions['preview'] {
  if (preview === undefined || preview === false) return undefined
  if (preview !== 'auto' && promote !== undefined) {
    throw new WorkersVersionError(
      'INVALID_OPTIONS',
      `\`preview: ${JSON.stringify(preview)}\` deploys a Preview, which takes no traffic, so \`promote\` cannot be set with it: remove \`promote\`, or use \`preview: 'auto'\` to deploy on the production branch and make a Preview elsewhere.`,
    )
  }
  return preview === true || preview === 'auto' ? preview : { name: preview.trim() }
}
