import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { findBuildOutput, readBuildOutput } from '../build-output/read.js'
import { WorkersVersionError, type ErrorCode } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import type { AdapterOptions, GeneratedWorker, WorkerOutput } from '../core/stage-types.js'
import { selectEnvironment } from '../wrangler/env.js'
import { findWranglerConfig } from '../wrangler/find.js'
import { parseWranglerFile } from '../wrangler/parse.js'
import { bundleSourceWorker } from './bundle.js'
import { compileRules } from '../modules/content-types.js'
import { isInside, pluginRules, readBuiltWorker } from './disk.js'

// Where the finished build is, in the command's order: Build Output, the redirected config that
// @cloudflare/vite-plugin and the frameworks on it write, then the wrangler config.

/** Relative to a project root: the file a build tool writes to point wrangler at the configs it generated. */
const REDIRECTED_CONFIG = '.wrangler/deploy/config.json'

type SourceKind = 'build-output' | 'redirected' | 'wrangler'

/** One Worker of the source: what the plan reads, and how its files are read once every plan is made. */
export interface SourceWorker {
  /** The config the Worker is planned from (a Build Output `worker.config.json` or a wrangler config). */
  configFile: string
  /** For Build Output and generated configs; none for the project's own wrangler config (the options' `wrangler`). */
  generated?: GeneratedWorker
  load(options: AdapterOptions): Promise<WorkerOutput>
}

export interface DeploySource {
  kind: SourceKind
  /** The project root: where `.workers-version/` is written and relative paths start. */
  root: string
  /** What was found, for the summary. */
  description: string
  /** The wrangler config the entry Worker's plan reads (the `wrangler` kind). */
  wranglerFile?: string
  /** The entry Worker first. */
  workers: SourceWorker[]
}

export interface SourceRequest {
  cwd: string
  config?: string
  /** The wrangler environment (`--env`, else CLOUDFLARE_ENV): a wrangler config's only. */
  env?: string
  /** `--env` was given on the command line (CLOUDFLARE_ENV is left alone for generated configs). */
  explicitEnv: boolean
}

function fail(code: ErrorCode, message: string): never {
  throw new WorkersVersionError(code, message)
}

/** Finds what to deploy; throws before anything is written when it is missing or inconsistent. */
export function findSource(request: SourceRequest): DeploySource {
  const { cwd } = request
  if (!existsSync(cwd)) fail('INVALID_ARGUMENTS', `--cwd ${cwd} does not exist.`)
  if (request.config !== undefined) {
    const file = resolve(cwd, request.config)
    if (!existsSync(file))
      fail('INVALID_ARGUMENTS', `--config ${request.config}: no such file (${file}).`)
    // The project is the directory the command runs for; a config elsewhere brings its own.
    return wranglerSource(file, request, isInside(cwd, file) ? cwd : dirname(file))
  }
  if (findBuildOutput(cwd)) {
    refuseEnv(request, 'Build Output')
    const tree = readBuildOutput(cwd)
    return {
      kind: 'build-output',
      root: cwd,
      description: `Build Output in ${tree.dir}`,
      workers: tree.workers.map((worker, index) => {
        const generated = { configFile: worker.configFile, entry: index === 0, buildOutput: true }
        return {
          configFile: worker.configFile,
          generated,
          load: async () => ({ files: worker.files, outDir: worker.bundleDir, generated }),
        }
      }),
    }
  }
  const userConfig = findUp(cwd, findWranglerConfig)
  const redirect = findUp(cwd, (dir) =>
    existsSync(join(dir, REDIRECTED_CONFIG)) ? join(dir, REDIRECTED_CONFIG) : undefined,
  )
  if (redirect) {
    // As wrangler: a redirect applies only beside the user's config, else it may be another project's.
    if (userConfig && join(dirname(userConfig), REDIRECTED_CONFIG) !== redirect) {
      fail(
        'AMBIGUOUS_CONFIG',
        `Found the wrangler config ${userConfig} and the redirected config ${redirect}, which are not in the same project directory, so it is not clear which to deploy. ` +
          `Delete ${redirect} if an earlier build left it, or run the command in the directory of the config to deploy.`,
      )
    }
    refuseEnv(request, `the generated configs of ${redirect}`)
    return redirectedSource(redirect)
  }
  if (userConfig) return wranglerSource(userConfig, request, dirname(userConfig))
  return fail(
    'NOTHING_TO_DEPLOY',
    `Nothing to deploy in ${cwd}: no Build Output (.cloudflare/output/v0 or v1), no ${REDIRECTED_CONFIG} and no wrangler.jsonc, wrangler.json or wrangler.toml here or above. ` +
      "Run the framework's or Vite's build first, or pass the config with --config.",
  )
}

/** The first directory from `dir` upwards where `find` finds something. */
function findUp(dir: string, find: (dir: string) => string | undefined): string | undefined {
  for (let current = resolve(dir); ; current = dirname(current)) {
    const found = find(current)
    if (found) return found
    if (dirname(current) === current) return undefined
  }
}

function refuseEnv(request: SourceRequest, what: string): void {
  if (!request.explicitEnv) return
  fail(
    'INVALID_ARGUMENTS',
    `--env ${request.env} applies to a wrangler config, but the Worker comes from ${what}, which the build wrote for its environment already; build for that environment instead (e.g. CLOUDFLARE_ENV=${request.env} at build time), and deploy without --env.`,
  )
}

/** `.wrangler/deploy/config.json`: `configPath` and `auxiliaryWorkers[].configPath`, relative to itself. */
function redirectedSource(file: string): DeploySource {
  const root = dirname(dirname(dirname(file)))
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    fail('INVALID_REDIRECTED_CONFIG', `${file} is not valid JSON: ${(error as Error).message}`)
  }
  if (!isRecord(parsed) || typeof parsed.configPath !== 'string' || parsed.configPath === '')
    fail(
      'INVALID_REDIRECTED_CONFIG',
      `${file} has no \`configPath\` (a string naming the generated wrangler config).`,
    )
  const auxiliary = parsed.auxiliaryWorkers ?? []
  if (
    !Array.isArray(auxiliary) ||
    !auxiliary.every((a) => isRecord(a) && typeof a.configPath === 'string' && a.configPath !== '')
  ) {
    fail(
      'INVALID_REDIRECTED_CONFIG',
      `${file}: \`auxiliaryWorkers\` must be a list of { configPath }.`,
    )
  }
  const paths = [
    parsed.configPath,
    ...auxiliary.map((a) => String((a as { configPath: string }).configPath)),
  ]
  const workers = paths.map((path, index): SourceWorker => {
    const configFile = resolve(dirname(file), path)
    if (!isInside(root, configFile))
      fail(
        'OUTSIDE_PROJECT',
        `${file} points at ${configFile}, which is outside the project ${root}; a generated config must be inside the project that built it.`,
      )
    if (!existsSync(configFile))
      fail(
        'INVALID_REDIRECTED_CONFIG',
        `${file} points at ${configFile}, which does not exist; run the build again.`,
      )
    return {
      configFile,
      generated: { configFile, entry: index === 0 },
      load: (options) => loadFromConfig(configFile, root, undefined, options),
    }
  })
  return { kind: 'redirected', root, description: `the redirected config ${file}`, workers }
}

function wranglerSource(file: string, request: SourceRequest, root: string): DeploySource {
  return {
    kind: 'wrangler',
    root,
    description: `the wrangler config ${file}${request.env ? ` (env ${request.env})` : ''}`,
    wranglerFile: file,
    workers: [
      { configFile: file, load: (options) => loadFromConfig(file, root, request.env, options) },
    ],
  }
}

/**
 * The Worker's files as its config builds them: none for an assets-only Worker (no `main`), the
 * finished files for a `main` with `no_bundle`, else `main` bundled with esbuild.
 */
async function loadFromConfig(
  configFile: string,
  root: string,
  env: string | undefined,
  options: AdapterOptions,
): Promise<WorkerOutput> {
  const { config } = selectEnvironment(parseWranglerFile(configFile), env, [])
  if (config.main === undefined) return { files: [], assetsOnly: true }
  if (typeof config.main !== 'string' || config.main === '')
    fail('INVALID_WRANGLER_CONFIG', `${configFile}: \`main\` must be a path.`)
  const main = resolve(dirname(configFile), config.main)
  if (config.no_bundle === true) {
    const { files, moduleRoot } = readBuiltWorker(
      {
        configFile,
        main,
        rules: config.rules,
        findAdditionalModules: config.find_additional_modules,
        baseDir: config.base_dir,
        uploadSourceMaps: config.upload_source_maps,
      },
      root,
    )
    return { files, outDir: moduleRoot }
  }
  // Imports take the config's module rules, as wrangler applies them while bundling.
  const rules = pluginRules({ configFile, rules: config.rules })
  return bundleSourceWorker(
    {
      main,
      projectRoot: root,
      sourceMaps: config.upload_source_maps !== false,
      minify: config.minify,
      keepNames: config.keep_names,
      define: config.define,
      alias: config.alias,
      jsxFactory: config.jsx_factory,
      jsxFragment: config.jsx_fragment,
    },
    { ...options, rules, matchRule: compileRules(rules) },
  )
}
