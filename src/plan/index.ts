import { isAbsolute, join, resolve } from 'node:path'
import type { ApiCredentials } from '../api/auth.js'
import { checkAccountId, checkWorkerName } from '../api/identifiers.js'
import { parseBaseUrl } from '../api/url.js'
import type { Withheld } from '../core/child-env.js'
import { WorkersVersionError } from '../core/errors.js'
import { Redactor, secretsInBindings } from '../core/redact.js'
import type { BuildInfo, GeneratedWorker, TaggedMigrationStep } from '../core/stage-types.js'
import type { SourceMapChoice } from '../core/types.js'
import type { GitCommit } from './git.js'
import { ciCommit, readCiContext, type CiContext } from './ci-context.js'
import {
  createWorkerByDefault,
  DEFAULTS,
  sourceMapsByDefault,
  ENV_FALLBACKS,
  uploadFromEnv,
  withEnvFallback,
} from '../options/defaults.js'
import type { DispatchTarget } from '../options/dispatch.js'
import type { ResolvedOptions } from '../options/resolve.js'
import { secretBindings, type SecretsOption } from '../options/secrets.js'
import { MESSAGE_LIMIT, truncateUtf8, validateVersionConfig } from '../options/validate.js'
import { todayUtc, type VersionConfig } from '../options/version-schema.js'
import { planDeploySteps, urlTransformationsStep, type DeployStep } from './triggers.js'
import type { DeploySettings } from '../wrangler/deploy-settings.js'
import { findWranglerConfig } from '../wrangler/find.js'
import type { WranglerPreviews } from '../wrangler/index.js'
import { decidePreview, type PlannedPreview } from './preview.js'

/** Where and as whom to upload: every value resolved, environment fallbacks applied. */
interface UploadTarget {
  /** None configured: the upload looks it up from the token (`findAccountId`) before anything account-scoped. */
  accountId?: string
  /**
   * `''` only in the plan of a build whose Workers' configs are generated (`generatesConfig`) and
   * name them: each Worker is then uploaded along its own plan, which has its name.
   */
  worker: string
  baseUrl: string
  credentials: ApiCredentials
}

/** What every plan settles, uploading or not. */
interface PlanFields {
  bundler: BuildInfo['bundler']
  /** Whether the summary gzips the code to show its compressed size (Vite's `build.reportCompressedSize`). */
  compressedSizes: boolean
  root: string
  /** Absolute directory of `request.json` and `result.json`. */
  outputDir: string
  /** Absolute path of `worker-env.d.ts`, when `types` is on. */
  typesFile?: string
  /** The Worker's name, when known (for the summary). */
  worker?: string
  /** The output file a generated config names as `main`: the Worker's main module unless `mainModule` is set. */
  mainModule?: string
  /**
   * The body's fields, the wrangler config merged under the options and validated once, with the
   * secret bindings as they are sent: an upload's `fromEnv` values read, a dry run's placeholders.
   */
  version: VersionConfig
  /** The secrets as configured (`worker-env.d.ts` types the inherited ones). */
  secrets?: SecretsOption
  /** wrangler's tagged migration steps: the body carries the ones the Worker has not applied. */
  migrationSteps?: TaggedMigrationStep[]
  /** The static assets directory to upload before the version, and where that choice came from. */
  assets?: PlannedAssets
  /**
   * What a promote to 100% applies after its deployment (routes, schedules, queue consumers,
   * Workflows, script settings), from the wrangler config or Build Output; none without a config or
   * without `promote: true`. A dry run writes them as `deploy-steps.json`.
   */
  deploySteps?: DeployStep[]
  /** Which chunks' source maps are sent: the `sourcemaps` option, else the wrangler config's `upload_source_maps`, else the linked ones. */
  sourcemaps: SourceMapChoice
  /** Warnings found while planning (the wrangler config's). */
  warnings: string[]
  /** A Preview deployment instead of a version: the Preview, decided before anything is sent. */
  preview?: PlannedPreview
  /** What the CI's environment says about the commit, branch and pull request (read once, no process). */
  ci: CiContext
  /** Workers for Platforms: the build is a user Worker uploaded into this dispatch namespace, with these tags. */
  dispatch?: DispatchTarget
}

/** A build that writes `request.json` and sends nothing (with `diff: true`, reads only). */
interface DryRunPlan extends PlanFields {
  upload: false
  /**
   * `diff: true`: the upload this dry run stands for, whose target the diff reads the deployed Worker
   * from (GET requests only, deploy/dry-run-diff.ts); or, when it cannot, what is not compared and why.
   * Unset when the diff is not asked for.
   */
  diff?: { reads: UploadPlan } | { notCompared: string }
}

/** A build that creates a version: everything the requests need is settled and checked. */
export interface UploadPlan extends PlanFields {
  upload: true
  target: UploadTarget
  /** Traffic for the version after the upload, in percent; none leaves it without traffic. */
  promote?: number
  /** `promote` given as an object: the version reaches `promote` through checked steps (deploy/rollout.ts). */
  gatedRollout?: boolean
  /** Start the version in workerd before anything is sent. */
  preflight: boolean
  /** Create the Worker if it does not exist. */
  createWorker: boolean
  /** `workers/tag` and `workers/message` from git for what the config leaves unset (read while the bundler works). */
  gitAnnotations?: Promise<Record<string, string>>
  /** The commit those come from, read once per build and shared by the plans of its Workers. */
  commit?: Promise<GitCommit | undefined>
}

/**
 * Everything one build needs, settled once before the bundler works: later steps
 * (adapters, modules, body, client, report) only read it.
 */
export type BuildPlan = DryRunPlan | UploadPlan

/** The upload a dry run's diff reads the deployed Worker as (`diff: true` with a target), if any. */
export function dryRunReads(plan: BuildPlan): UploadPlan | undefined {
  return !plan.upload && plan.diff && 'reads' in plan.diff ? plan.diff.reads : undefined
}

export interface PlannedAssets {
  /** Absolute path. */
  directory: string
  /** Where the directory was named: the option, the wrangler config, the Cloudflare plugin's client build. */
  source: string
  maxFiles: number
  concurrency: number
  /** `assets.allowDotfiles`. */
  allowDotfiles?: string[]
}

/** The `version` option with the binding `assets.binding` asks for, unless the config already has it. */
function withAssetsBinding(options: ResolvedOptions): VersionConfig {
  const name = options.assets ? options.assets.binding : undefined
  if (!name || options.version.bindings?.some((b) => b.name === name)) return options.version
  return {
    ...options.version,
    bindings: [...(options.version.bindings ?? []), { type: 'assets', name }],
  }
}

async function gitAnnotationsOf(
  read: Promise<GitCommit | undefined>,
  configured: VersionConfig['annotations'],
): Promise<Record<string, string>> {
  const commit = await read
  if (!commit) return {}
  const out: Record<string, string> = {}
  if (configured?.['workers/tag'] === undefined) out['workers/tag'] = commit.tag
  if (configured?.['workers/message'] === undefined && commit.subject !== '')
    out['workers/message'] = truncateUtf8(commit.subject, MESSAGE_LIMIT)
  return out
}

/**
 * Settles the build: upload or not, the wrangler config merged under the options, the final
 * body fields and, when uploading, the target and credentials. Everything an upload needs is
 * checked here, before the bundler spends any time. The root is the context's decision.
 */
export async function createPlan(
  options: ResolvedOptions,
  root: string,
  build: BuildInfo,
  env: NodeJS.ProcessEnv = process.env,
  generated?: GeneratedWorker,
  /** The build's plan, when this one is for one of its Workers: what it read once is reused. */
  base?: BuildPlan,
): Promise<BuildPlan> {
  // The option, else WORKERS_VERSION_UPLOAD (for a build command without `--mode`), else the mode.
  const upload =
    !build.watch &&
    (options.upload ??
      uploadFromEnv(env) ??
      (build.mode !== undefined && build.mode === options.uploadMode))
  // The build's plan when each of its Workers brings a generated config: the name and the date are that config's.
  const perWorker = build.generatesConfig === true && generated === undefined
  const ci = base?.ci ?? readCiContext(env)
  const merged = await mergeWranglerConfig(options, root, env, generated)
  const outputDir = isAbsolute(options.outputDir)
    ? options.outputDir
    : resolve(root, options.outputDir)
  const target = upload
    ? uploadTarget(options, merged.worker, merged.accountId, env, perWorker)
    : undefined
  const decision = await decidePreview(options, ci, () =>
    import('./git.js').then(({ currentBranch }) =>
      currentBranch(root, {
        withheld: {
          names: merged.secrets?.fromEnv ?? [],
          values: target ? [target.credentials.apiToken, target.credentials.apiKey] : [],
        },
      }),
    ),
  )
  const preview = 'preview' in decision ? decision.preview : undefined
  const bodyFields = preview ? previewFields(merged, options) : merged.version
  // The one check of the merged fields, secret names against every other binding included, on the bindings as they are sent.
  // A Preview keeps the secrets of its own previous deployment (added with the remote state, as wrangler
  // does); an `inherit` named in the config would ask for one it may never have had.
  const secrets = secretBindings(
    preview && merged.secrets ? { ...merged.secrets, inherit: [] } : merged.secrets,
    env,
    { forUpload: upload },
  )
  const checked = validateVersionConfig(
    secrets.length === 0
      ? bodyFields
      : { ...bodyFields, bindings: [...(bodyFields.bindings ?? []), ...secrets] },
  )
  // The options' own warnings were printed when they were resolved: only the config's are its.
  const fromConfig = checked.warnings.filter((w) => !options.warnings.includes(w))
  if (merged.configFile)
    merged.warnings.push(...fromConfig.map((w) => `wrangler config ${merged.configFile}: ${w}`))
  if (merged.version.compatibility_date === undefined && !perWorker) {
    merged.warnings.push(
      `No compatibility_date is set, so the version runs with the oldest runtime behaviour; set \`version.compatibility_date\` (or \`compatibility_date\` in the wrangler config), e.g. to today, '${todayUtc()}'.`,
    )
  }
  // A dry run checks the name as an upload would, so a name the API refuses is known before the first upload.
  if (!target && merged.worker !== undefined) {
    try {
      checkWorkerName(merged.worker.trim(), workerNameSource(options))
    } catch (error) {
      merged.warnings.push(`${(error as Error).message} An upload would refuse it.`)
    }
  }
  const promote = 'promote' in decision ? decision.promote : undefined
  // A Preview changes no Worker setting; `preview: 'auto'` on the production branch is a promote.
  const deploySteps = preview
    ? previewSkipsUrlTransformations(merged, options)
    : options.dispatch
      ? namespaceSteps(merged, options.dispatch.namespace, options)
      : deployStepsFor(merged, promote, options)
  const fields: PlanFields = {
    bundler: build.bundler,
    compressedSizes: build.compressedSizes !== false,
    root,
    // Auxiliary Workers write their request.json and result.json beside the entry Worker's.
    outputDir:
      generated && !generated.entry && merged.worker
        ? join(outputDir, 'workers', merged.worker)
        : outputDir,
    typesFile: options.types === undefined ? undefined : resolve(root, options.types),
    worker: merged.worker,
    mainModule: merged.mainModule,
    version: checked.config,
    secrets: merged.secrets,
    migrationSteps: merged.migrationSteps,
    assets:
      merged.assets && options.assets
        ? {
            ...merged.assets,
            maxFiles: options.assets.maxFiles,
            concurrency: options.assets.concurrency,
            allowDotfiles: options.assets.allowDotfiles,
          }
        : undefined,
    deploySteps,
    sourcemaps: sourceMapsByDefault(options.sourcemaps, merged.uploadSourceMaps),
    warnings: merged.warnings,
    ci,
    preview,
    ...(options.dispatch && { dispatch: options.dispatch }),
  }
  const uploadPlanOf = (to: UploadTarget): UploadPlan => ({
    ...fields,
    upload: true,
    target: to,
    promote,
    ...(options.rollout !== undefined && promote !== undefined && { gatedRollout: true }),
    // `preview: 'auto'` on the production branch gives traffic: started in workerd first, as for `promote`.
    preflight:
      options.preflight ||
      ('promote' in decision && decision.promote !== undefined && options.preview === 'auto'),
    createWorker: options.createWorker ?? createWorkerByDefault(merged.worker),
  })
  if (!target)
    return {
      ...fields,
      upload: false,
      ...(options.diff && {
        diff: dryRunDiff(
          fields,
          build,
          () => {
            const to = resolveTarget(options, merged.worker, merged.accountId, env, false)
            return 'missing' in to ? to : uploadPlanOf(to)
          },
          (text) =>
            new Redactor()
              .addCredential(
                withEnvFallback('apiToken', options.credentials.apiToken, env),
                withEnvFallback('apiKey', options.credentials.apiKey, env),
              )
              .redact(text),
        ),
      }),
    }

  const plan = uploadPlanOf(target)
  const annotations = merged.version.annotations
  // Read for uploads only: the annotations matter to the version created, and a dry run stays free of git processes.
  if (
    options.gitAnnotations &&
    (annotations?.['workers/tag'] === undefined || annotations['workers/message'] === undefined)
  ) {
    // In CI the environment names the commit: no git process runs at all.
    const fromCi = ciCommit(ci)
    plan.commit = fromCi
      ? Promise.resolve(fromCi)
      : base?.upload && base.root === root && base.commit
        ? base.commit
        : import('./git.js').then(({ currentCommit }) =>
            currentCommit(root, { withheld: withheldFrom(plan) }),
          )
    plan.gitAnnotations = gitAnnotationsOf(plan.commit, annotations)
  }
  return plan
}

/**
 * The steps a promote applies, when it deploys at 100% (as `wrangler deploy`; a gradual rollout,
 * like `wrangler versions deploy`, applies none but the image URL transformations: routes, schedules
 * and consumers are not versioned, so they would act for all traffic while most of it still runs
 * the previous version). Configured settings that will not be applied are a warning.
 */
function deployStepsFor(
  merged: MergedConfig,
  promote: number | undefined,
  options: ResolvedOptions,
): DeployStep[] | undefined {
  // The `images.urlTransformations` option wins over the config's, and needs no config.
  const urlTransformations = options.urlTransformations ?? merged.deploy?.urlTransformations
  const settings = merged.deploy && { ...merged.deploy, urlTransformations }
  if (promote === 100)
    return settings
      ? planDeploySteps(settings, merged.worker ?? '{worker}')
      : urlTransformations && [urlTransformationsStep(urlTransformations)]
  const configured = settings ? configuredSettings(settings) : []
  // A gradual rollout sets it as `wrangler versions deploy` (4.168) does; the other settings wait for 100%.
  if (promote !== undefined && urlTransformations) {
    warnNotApplied(
      merged,
      configured.filter((key) => key !== 'images.url_transformations'),
      promote,
    )
    return [urlTransformationsStep(urlTransformations)]
  }
  if (!settings && urlTransformations) configured.push('images.url_transformations')
  return warnNotApplied(merged, configured, promote)
}

/** A Preview (`preview: 'auto'` off the production branch) changes no Worker setting: a configured URL transformations setting is said to be left as it is. */
function previewSkipsUrlTransformations(merged: MergedConfig, options: ResolvedOptions): undefined {
  if (options.urlTransformations ?? merged.deploy?.urlTransformations)
    merged.warnings.push(
      'images.url_transformations is a setting of the deployed Worker, which a Preview does not change (as wrangler does not in Previews): not applied; the production branch applies it',
    )
  return undefined
}

function warnNotApplied(
  merged: MergedConfig,
  configured: string[],
  promote: number | undefined,
): undefined {
  if (configured.length > 0) {
    const why =
      promote === undefined
        ? 'without `promote`'
        : `with a gradual rollout (\`promote: ${promote}\`)`
    merged.warnings.push(
      `${configured.join(', ')} ${configured.length === 1 ? 'is' : 'are'} applied only by \`promote: true\` (100%); ${why} ${configured.length === 1 ? 'it is' : 'they are'} not applied`,
    )
  }
  return undefined
}

/**
 * A user Worker in a dispatch namespace has no routes, schedules or settings of its own to apply
 * after its upload (its dispatcher routes to it, as with `wrangler deploy --dispatch-namespace`):
 * configured ones are a warning, and nothing is applied.
 */
function namespaceSteps(
  merged: MergedConfig,
  namespace: string,
  options: ResolvedOptions,
): undefined {
  const configured = [
    ...(merged.deploy ? configuredSettings(merged.deploy) : []),
    ...(options.urlTransformations && !merged.deploy?.urlTransformations
      ? ['images.urlTransformations']
      : []),
  ]
  if (configured.length > 0)
    merged.warnings.push(
      `${configured.join(', ')} ${configured.length === 1 ? 'is' : 'are'} not applied to a user Worker in dispatch namespace ${JSON.stringify(namespace)}: its dispatcher Worker routes requests to it`,
    )
  return undefined
}

/** The config keys behind the settings, for the warning that they are not applied. */
function configuredSettings(s: DeploySettings): string[] {
  return [
    s.routes.some((r) => r.custom_domain !== true) && 'routes',
    s.routes.some((r) => r.custom_domain === true) && 'Custom Domains',
    s.crons !== undefined && 'triggers.crons',
    s.workersDev !== undefined && 'workers_dev',
    s.previewUrls !== undefined && 'preview_urls',
    s.observability !== undefined && 'observability',
    s.logpush !== undefined && 'logpush',
    s.tailConsumers !== undefined && 'tail_consumers',
    s.queueConsumers.length > 0 && 'queues.consumers',
    s.workflows.length > 0 && 'workflows (create or update)',
    s.urlTransformations !== undefined && 'images.url_transformations',
  ].filter((key): key is string => typeof key === 'string')
}

/**
 * A Preview deployment's fields: the top-level ones (compatibility, assets, migrations) with the
 * `previews` block's limits, placement and cache over them, and as bindings only the block's plus
 * the assets binding: the top-level bindings are production's, never a Preview's.
 */
function previewFields(merged: MergedConfig, options: ResolvedOptions): VersionConfig {
  const assetsBindings = (merged.version.bindings ?? []).filter((b) => b.type === 'assets')
  const ownBindings = (options.version.bindings ?? []).filter((b) => b.type !== 'assets')
  if (ownBindings.length > 0) {
    merged.warnings.push(
      `\`version.bindings\` (${ownBindings.map((b) => b.name).join(', ')}) are production's and are not sent to a Preview; declare a Preview's bindings in the wrangler config's \`previews\` block.`,
    )
  }
  if (!merged.previews && merged.configFile) {
    merged.warnings.push(
      `wrangler config ${merged.configFile}: no \`previews\` block, so the Preview gets none of its bindings, only the Worker's Preview defaults.`,
    )
  }
  const { bindings: _production, ...rest } = merged.version
  const bindings = [
    ...(merged.previews?.bindings ?? []),
    ...assetsBindings,
  ] as VersionConfig['bindings']
  return {
    ...rest,
    ...merged.previews?.fields,
    ...(bindings && bindings.length > 0 ? { bindings } : {}),
  }
}

/**
 * What no child process of an upload may see (git, preflight's workerd): the `fromEnv` names, and
 * any variable holding the credentials' or the secret bindings' values, whatever its name.
 */
export function withheldFrom(plan: UploadPlan): Withheld {
  const { apiToken, apiKey } = plan.target.credentials
  return {
    names: plan.secrets?.fromEnv ?? [],
    values: [apiToken, apiKey, ...secretsInBindings(plan.version.bindings)],
  }
}

interface MergedConfig {
  deploy?: DeploySettings
  /** The wrangler config's `previews` block, when it has one. */
  previews?: WranglerPreviews
  assets?: { directory: string; source: string }
  migrationSteps?: TaggedMigrationStep[]
  worker?: string
  mainModule?: string
  accountId?: string
  /** Merged, not yet validated: the plan validates it once, with the secret bindings. */
  version: VersionConfig
  secrets?: SecretsOption
  /** The wrangler config read, if any (its warnings are named after it). */
  configFile?: string
  /** The config's `upload_source_maps`, when it sets it. */
  uploadSourceMaps?: boolean
  warnings: string[]
}

/**
 * The wrangler config (the Cloudflare plugin's generated one for its Workers), under the plugin's
 * options, which win field by field; an auxiliary Worker takes only its own config.
 */
async function mergeWranglerConfig(
  options: ResolvedOptions,
  root: string,
  env: NodeJS.ProcessEnv,
  generated?: GeneratedWorker,
): Promise<MergedConfig> {
  const ownOptions = !generated || generated.entry
  const own: MergedConfig = ownOptions
    ? {
        worker: options.worker,
        accountId: options.accountId,
        version: withAssetsBinding(options),
        secrets: options.secrets,
        warnings: [],
      }
    : { accountId: options.accountId, version: {}, warnings: [] }
  const assetsOption = ownOptions && options.assets ? options.assets : undefined
  if (assetsOption?.directory)
    own.assets = {
      directory: resolve(root, assetsOption.directory),
      source: 'the `assets.directory` option',
    }
  const wanted = options.wrangler
  if (wanted === false && !generated) return own
  const file =
    generated?.configFile ??
    (typeof wanted === 'string' && wanted !== DEFAULTS.wrangler
      ? resolve(root, wanted)
      : findWranglerConfig(root))
  if (!file && wanted === DEFAULTS.wrangler) return own
  if (!file) {
    throw new WorkersVersionError(
      'INVALID_OPTIONS',
      `\`wrangler: true\` found no wrangler.jsonc, wrangler.json or wrangler.toml in ${root}; pass its path as \`wrangler\`.`,
    )
  }
  // Loaded only when a config is read: its parsers cost start-up time otherwise.
  const { readWranglerConfig } = await import('../wrangler/index.js')
  // The Cloudflare plugin has already applied the wrangler environment to what it generated.
  const config = generated?.buildOutput
    ? (await import('../build-output/config.js')).readBuildOutputConfig(file, root)
    : readWranglerConfig(
        file,
        generated ? { generated: true } : { env: withEnvFallback('env', options.env, env) },
      )
  const source = generated?.buildOutput ? 'Build Output' : 'wrangler config'
  // A secret the build sets from its environment is not also inherited.
  const fromEnv = new Set(own.secrets?.fromEnv ?? [])
  const inherit = [...new Set([...config.secrets.inherit, ...(own.secrets?.inherit ?? [])])].filter(
    (name) => !fromEnv.has(name),
  )
  const secrets = inherit.length > 0 || own.secrets ? { ...own.secrets, inherit } : undefined
  return {
    worker: own.worker ?? config.worker,
    mainModule: config.main,
    accountId: own.accountId ?? config.accountId,
    version: { ...config.version, ...own.version },
    configFile: file,
    uploadSourceMaps: config.uploadSourceMaps,
    previews: config.previews,
    secrets,
    deploy: config.deploy,
    migrationSteps: own.version.migrations === undefined ? config.migrationSteps : undefined,
    assets:
      options.assets === false
        ? undefined
        : (own.assets ??
          (config.assets?.directory
            ? {
                directory: config.assets.directory,
                source: generated
                  ? generated.buildOutput
                    ? 'Build Output'
                    : 'the client build of @cloudflare/vite-plugin'
                  : `assets.directory in ${file}`,
              }
            : undefined)),
    warnings: config.warnings.map((w) => `${source} ${file}: ${w}`),
  }
}

/** Where the Worker's name came from, for messages about it. */
function workerNameSource(options: ResolvedOptions): string {
  return options.worker !== undefined ? '`worker`' : "the wrangler config's `name`"
}

/**
 * Reports every missing piece at once, with the option and the environment variable that would provide
 * it. `perWorker`: the Workers' generated configs name them, so no name is needed yet.
 */
function uploadTarget(
  options: ResolvedOptions,
  worker: string | undefined,
  account: string | undefined,
  env: NodeJS.ProcessEnv,
  perWorker: boolean,
): UploadTarget {
  const target = resolveTarget(options, worker, account, env, perWorker)
  if ('missing' in target) {
    throw new WorkersVersionError(
      'MISSING_UPLOAD_TARGET',
      `Cannot create the version; missing:\n${target.missing.map((m) => `  - ${m}`).join('\n')}`,
    )
  }
  return target
}

/** What a dry run's diff that reads nothing leaves uncompared: the start of each reason it gives. */
const NOT_READ = 'the deployed Worker (bindings, compatibility, modules, migrations, triggers)'

/**
 * A dry run with `diff: true` reads the deployed Worker as its upload would (the same target, resolved
 * by `resolveTarget`), unless nothing can be read: a watch build (each rebuild would read again), a
 * Preview or a user Worker in a dispatch namespace (neither replaces a deployed version, so neither
 * has a diff, as with an upload), or a target that is missing a piece or is malformed.
 */
function dryRunDiff(
  fields: PlanFields,
  build: BuildInfo,
  reads: () => UploadPlan | { missing: string[] },
  redact: (text: string) => string,
): NonNullable<DryRunPlan['diff']> {
  if (build.watch) return { notCompared: `${NOT_READ}: not read: a watch build sends no request` }
  if (fields.preview)
    return { notCompared: 'a Preview replaces no deployed version: it has no diff' }
  if (fields.dispatch)
    return {
      notCompared: 'a user Worker in a dispatch namespace replaces no version: it has no diff',
    }
  try {
    const plan = reads()
    return 'missing' in plan
      ? { notCompared: `${NOT_READ}: not read, missing ${plan.missing.join('; and ')}` }
      : { reads: plan }
  } catch (error) {
    // A malformed account id or name: the dry run reports it as an upload would refuse it, and goes
    // on. The message quotes the value, which may be a credential pasted in the wrong place.
    if (!(error instanceof WorkersVersionError)) throw error
    return { notCompared: `${NOT_READ}: not read: ${redact(error.message)}` }
  }
}

/** The upload's target, or every piece missing for it; a piece that is set but malformed throws. */
function resolveTarget(
  options: ResolvedOptions,
  worker: string | undefined,
  account: string | undefined,
  env: NodeJS.ProcessEnv,
  perWorker: boolean,
): UploadTarget | { missing: string[] } {
  const accountId = withEnvFallback('accountId', account, env)
  const apiToken = withEnvFallback('apiToken', options.credentials.apiToken, env)
  const apiKey = withEnvFallback('apiKey', options.credentials.apiKey, env)
  const email = withEnvFallback('email', options.credentials.email, env)
  // A base URL that is set must be a usable one: an empty variable is an error, not the default.
  const [baseOption, baseValue] =
    options.apiBaseUrl !== undefined
      ? ['`apiBaseUrl`', options.apiBaseUrl]
      : [ENV_FALLBACKS.apiBaseUrl, env[ENV_FALLBACKS.apiBaseUrl]]
  const baseUrl = (
    baseValue === undefined ? DEFAULTS.apiBaseUrl : parseBaseUrl(baseValue, baseOption).href
  ).replace(/\/+$/, '')
  const name = worker?.trim() || undefined

  const missing: string[] = []
  if (!name && !perWorker)
    missing.push(
      'the Worker: set the `worker` option (its name or id) or `name` in the wrangler config',
    )
  if (!apiToken && !(apiKey && email)) {
    if (apiKey && !email)
      missing.push('the e-mail for the global API key: set the `email` option or CLOUDFLARE_EMAIL')
    else if (email && !apiKey)
      missing.push(
        'the global API key for the e-mail: set the `apiKey` option or CLOUDFLARE_API_KEY',
      )
    else
      missing.push(
        'a credential: set the `apiToken` option or CLOUDFLARE_API_TOKEN (or `apiKey` + `email`, CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL)',
      )
  }
  if (missing.length > 0) return { missing }
  if (name) checkWorkerName(name, workerNameSource(options))
  if (accountId)
    checkAccountId(
      accountId,
      options.accountId !== undefined ? '`accountId`' : ENV_FALLBACKS.accountId,
    )
  const credentials: ApiCredentials = apiToken ? { apiToken } : { apiKey, email }
  return { accountId: accountId || undefined, worker: name ?? '', baseUrl, credentials }
}
