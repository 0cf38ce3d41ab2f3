import { readFile, stat } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'
import type { Plugin as VitePlugin, ResolvedConfig, ViteBuilder } from 'vite'
import { WorkersVersionError } from '../core/errors.js'
import type { OutputFile } from '../core/types.js'
import type { AdapterContext, WorkerOutput } from '../core/stage-types.js'
import { filesImportedByChunks } from '../modules/module-imports.js'
import { lateFrameworkOf, type LateFramework } from '../modules/unfinished.js'
import { moduleImportHooks } from './rollup.js'

interface EnvironmentOutput {
  name: string
  consumer: 'client' | 'server'
  files: OutputFile[]
  /** Where the environment was written (absolute). */
  outDir: string
  /** A client build of HTML pages: a static site, no Worker code (see `buildsPages`). */
  pages?: boolean
}

/** The config @cloudflare/vite-plugin writes beside each Worker environment's output. */
const GENERATED_CONFIG = 'wrangler.json'

/**
 * The Workers of an app build: with @cloudflare/vite-plugin, every Worker environment (one
 * version each, the entry Worker first, as the Cloudflare plugin orders its environments),
 * each with its generated config; otherwise the one environment that builds the Worker.
 */
function workersOf(
  outputs: readonly EnvironmentOutput[],
  options: { environment?: string; worker?: string },
): WorkerOutput[] {
  const generated = outputs.filter(
    (o) => o.consumer === 'server' && o.files.some((f) => f.fileName === GENERATED_CONFIG),
  )
  const chosen =
    options.environment !== undefined
      ? generated.filter((o) => o.name === options.environment)
      : generated
  if (chosen.length === 0) {
    // An assets-only app: the Cloudflare plugin builds the client alone and writes its config there.
    const site =
      options.environment === undefined
        ? outputs.find((o) => o.pages && o.files.some((f) => f.fileName === GENERATED_CONFIG))
        : undefined
    if (site)
      return [
        {
          files: site.files,
          outDir: site.outDir,
          generated: { configFile: join(site.outDir, GENERATED_CONFIG), entry: true },
          assetsOnly: true,
        },
      ]
    const picked = pickWorkerEnvironment(outputs, options)
    return [
      { files: picked.files, outDir: picked.outDir, ...(picked.pages && { assetsOnly: true }) },
    ]
  }
  return chosen.map((o, i) => ({
    files: o.files,
    outDir: o.outDir,
    generated: { configFile: join(o.outDir, GENERATED_CONFIG), entry: i === 0 },
  }))
}

/**
 * The project root, when @cloudflare/vite-plugin wrote this build's Worker into Build Output
 * (`experimental.newConfig.cfBuildOutput`): it then puts the entry Worker's environment in
 * `<root>/.cloudflare/output/<version>/workers/default/bundle`. Judged by this build's own output,
 * so a tree left over from an earlier build is never taken for it.
 */
function buildOutputProjectRoot(outputs: readonly EnvironmentOutput[]): string | undefined {
  for (const output of outputs) {
    const at =
      output.consumer === 'server'
        ? output.outDir.split(sep).join('/').lastIndexOf('/.cloudflare/output/')
        : -1
    if (at >= 0) return output.outDir.slice(0, at) || sep
  }
  return undefined
}

/**
 * The output with the files a framework wrote beside the bundle after Vite wrote it, when a chunk
 * imports them: @vitejs/plugin-rsc (Waku's) writes `__vite_rsc_assets_manifest.js` in its `buildApp`
 * hook, which runs before this plugin's last one. They are modules of the Worker, found on disk as
 * wrangler finds them; a file no chunk imports, or one outside the output directory, is not taken.
 */
async function withFilesWrittenBeside(worker: WorkerOutput): Promise<WorkerOutput> {
  const outDir = worker.outDir
  if (outDir === undefined || worker.assetsOnly) return worker
  const files = [...worker.files]
  const known = new Set(files.map((file) => file.fileName))
  for (;;) {
    const missing = [
      ...filesImportedByChunks(files.filter((file) => file.kind === 'chunk')),
    ].filter((name) => !known.has(name) && !name.startsWith('../'))
    const found = (
      await Promise.all(
        missing.map(async (name) =>
          (await stat(join(outDir, name)).catch(() => undefined))?.isFile()
            ? { name, contents: await readFile(join(outDir, name)) }
            : undefined,
        ),
      )
    ).filter((file) => file !== undefined)
    if (found.length === 0) break
    for (const { name, contents } of found) {
      known.add(name)
      const script = /\.[cm]?js$/.test(name)
      files.push(
        script
          ? {
              fileName: name,
              contents,
              kind: 'chunk',
              format: name.endsWith('.cjs') ? 'cjs' : 'esm',
              isEntry: false,
            }
          : { fileName: name, contents, kind: 'asset' },
      )
    }
  }
  return files.length === worker.files.length ? worker : { ...worker, files }
}

export interface ViteAdapter {
  /** The main plugin: the shared Rollup-style import hooks plus the build's timeline. */
  main: Partial<VitePlugin>
  /** A second plugin whose `buildApp` runs last, after every environment is built. */
  app: Partial<VitePlugin>
}

/**
 * `vite build --mode deploy` must build exactly what `vite build` builds. Vite has already
 * loaded `.env.deploy` and set `MODE` to the upload mode, and a plugin cannot change the mode,
 * so the resolved env is replaced with the production one: `.env.production` (and
 * `.env`, `.env.local`, `.env.production.local`), `MODE: 'production'`, `PROD`/`DEV` as
 * NODE_ENV says. Only `import.meta.env` is affected; `config.mode` stays the upload mode.
 */
async function useProductionEnv(config: ResolvedConfig, uploadMode: string): Promise<void> {
  if (config.mode !== uploadMode || config.mode === 'production' || config.command !== 'build')
    return
  const { loadEnv } = await import('vite')
  const loaded =
    config.envDir === false ? {} : loadEnv('production', config.envDir, config.envPrefix)
  const { BASE_URL, DEV, PROD } = config.env
  const env = config.env as Record<string, unknown>
  for (const key of Object.keys(env)) delete env[key]
  Object.assign(env, loaded, { BASE_URL, MODE: 'production', DEV, PROD })
}

/**
 * Whether a client environment builds HTML pages (Vite's default input is `index.html`): its
 * output is a site to serve as static assets, and its entry chunks are browser code, never a
 * Worker's main module. A client build of a script input is still a Worker (`rollupOptions.input`).
 */
function buildsPages(
  consumer: string,
  build: {
    ssr?: unknown
    lib?: unknown
    rollupOptions?: { input?: unknown }
    rolldownOptions?: { input?: unknown }
  },
): boolean {
  if (consumer !== 'client' || build.ssr || build.lib) return false
  const input = build.rolldownOptions?.input ?? build.rollupOptions?.input
  if (input === undefined) return true
  const inputs =
    typeof input === 'string'
      ? [input]
      : Array.isArray(input)
        ? input
        : typeof input === 'object' && input !== null
          ? Object.values(input)
          : []
  return inputs.some((entry) => String(entry).endsWith('.html'))
}

/** Resolve conditions of workerd, as bundlers targeting Workers use them. */
const WORKERD_CONDITIONS = ['workerd', 'worker', 'module', 'browser']

/** Whether `@cloudflare/vite-plugin` is among the configured plugins (nested arrays included). */
function hasCloudflarePlugin(plugins: unknown): boolean {
  const list = Array.isArray(plugins) ? plugins.flat(Infinity) : []
  return list.some(
    (p) =>
      typeof p === 'object' &&
      p !== null &&
      'name' in p &&
      String(p.name).startsWith('vite-plugin-cloudflare'),
  )
}

/** Environment names Cloudflare's Vite plugin derives from a Worker name. */
function environmentNameOf(worker: string): string {
  return worker.replace(/[^a-zA-Z0-9_$]/g, '_')
}

/**
 * Chooses the environment that built the Worker: the `environment` option, else the only
 * server environment (`ssr`, or the one Cloudflare's plugin names after the Worker),
 * else the only environment built at all (a plain `rollupOptions.input` build).
 */
function pickWorkerEnvironment(
  outputs: readonly EnvironmentOutput[],
  options: { environment?: string; worker?: string },
): EnvironmentOutput {
  const names = outputs.map((o) => `"${o.name}"`).join(', ') || '(none)'
  if (options.environment !== undefined) {
    const chosen = outputs.find((o) => o.name === options.environment)
    if (!chosen) {
      throw new WorkersVersionError(
        'UNKNOWN_ENVIRONMENT',
        `The \`environment\` option names "${options.environment}", but the environments built were ${names}.`,
      )
    }
    return chosen
  }
  const servers = outputs.filter((o) => o.consumer === 'server')
  if (servers.length === 1) return servers[0]!
  if (servers.length === 0 && outputs.length === 1) return outputs[0]!
  const named = options.worker
    ? servers.find((o) => o.name === environmentNameOf(options.worker!))
    : undefined
  if (named) return named
  throw new WorkersVersionError(
    'AMBIGUOUS_ENVIRONMENT',
    `Cannot tell which Vite environment builds the Worker among ${names}; set the \`environment\` option to its name.`,
  )
}

/**
 * Vite runs plugins once per environment. To send exactly one request per application
 * build: `buildApp` (pre) marks an app build, `writeBundle` records each environment's
 * output, and `buildApp` (post) builds anything Vite would still build, then completes once.
 * A programmatic `build()` has no `buildApp`, so there `writeBundle` completes directly.
 * Both plugins are `sharedDuringBuild`, so one instance (and this state) serves every environment.
 */
export function viteAdapter(context: AdapterContext): ViteAdapter {
  const imports = moduleImportHooks(context.options, () => context.root(process.cwd()))
  let inAppBuild = false
  let outputs: EnvironmentOutput[] = []
  // One plan per build: in builder mode every environment resolves its own config.
  let planned: Promise<unknown> | undefined
  // Without the Cloudflare plugin nothing else configures the Worker's environment for workerd.
  let standalone = true
  // A framework among the plugins that finishes the output after Vite's last hook (Astro).
  let late: LateFramework | undefined

  const prepare = (config: ResolvedConfig) => {
    // A framework that routes Vite's output through its own logger (Astro) sets Vite's level for Vite's
    // own messages (Astro: 'error'), not the user's wish: the plugin's summary is printed all the same.
    const logLevel = config.customLogger ? undefined : config.logLevel
    planned ??= context.prepare({
      bundler: 'vite',
      root: config.root,
      mode: config.mode,
      watch: Boolean(config.build.watch),
      logLevel,
      generatesConfig: !standalone,
      compressedSizes: config.build.reportCompressedSize,
    })
    return planned
  }
  const complete = async (workers: WorkerOutput[], plan: Promise<unknown> | undefined) => {
    planned = undefined
    await plan
    await context.complete(
      late ? workers.map((worker) => ({ ...worker, finishedBy: late!.name })) : workers,
    )
  }

  return {
    main: {
      ...imports.hooks,
      apply: 'build',
      sharedDuringBuild: true,
      options(inputOptions) {
        // Vite's client builds drop the entry's exports, but a Worker's main module must export
        // its handlers: keep them when the build's input is script, not an HTML page.
        const inputs =
          typeof inputOptions.input === 'string'
            ? [inputOptions.input]
            : Object.values(inputOptions.input ?? {})
        if (
          inputOptions.preserveEntrySignatures === false &&
          inputs.length > 0 &&
          !inputs.some((i) => i.endsWith('.html'))
        ) {
          return { ...inputOptions, preserveEntrySignatures: 'exports-only' }
        }
        return undefined
      },
      config(userConfig) {
        standalone = !hasCloudflarePlugin(userConfig.plugins)
      },
      configEnvironment(name, config) {
        const wanted = context.options.environment
        const isWorker =
          wanted !== undefined ? name === wanted : name === 'ssr' || config.consumer === 'server'
        if (!standalone || !isWorker) return undefined
        // As for workerd: npm dependencies bundled (the runtime cannot resolve packages),
        // packages' worker builds preferred, a modern target.
        return {
          resolve: {
            noExternal: true,
            conditions: [...WORKERD_CONDITIONS, 'development|production'],
            externalConditions: WORKERD_CONDITIONS,
          },
          build: { target: 'es2024' },
        }
      },
      async configResolved(config) {
        await useProductionEnv(config, context.options.uploadMode)
        late = lateFrameworkOf(config.plugins.map((plugin) => plugin.name))
        await prepare(config)
      },
      buildApp: {
        order: 'pre',
        async handler() {
          inAppBuild = true
          outputs = []
        },
      },
      buildStart() {
        imports.hooks.buildStart.call(this)
        // A framework may build one environment twice (RedwoodSDK builds its Worker once to find its
        // client components, then again): the last build is the environment's output, not the sum.
        if (inAppBuild) outputs = outputs.filter((o) => o.name !== this.environment.name)
      },
      async writeBundle(outputOptions, bundle) {
        const environment = this.environment
        if (environment.config.build.watch) return
        const files = await imports.readBundle(this, outputOptions, bundle)
        const outDir = resolve(
          environment.config.root,
          outputOptions.dir ?? environment.config.build.outDir,
        )
        const pages = buildsPages(environment.config.consumer, environment.config.build)
        if (!inAppBuild)
          return complete([{ files, outDir, ...(pages && { assetsOnly: true }) }], planned)
        const existing = outputs.find((o) => o.name === environment.name)
        if (existing) existing.files.push(...files)
        else
          outputs.push({
            name: environment.name,
            consumer: environment.config.consumer,
            files,
            outDir,
            pages,
          })
      },
    },
    app: {
      apply: 'build',
      sharedDuringBuild: true,
      buildApp: {
        order: 'post',
        async handler(builder: ViteBuilder) {
          if (!inAppBuild) return
          // Vite builds every environment after the last buildApp hook when none was built;
          // this hook is the last, so it does that itself to see their output.
          const environments = Object.values(builder.environments)
          if (environments.every((environment) => !environment.isBuilt)) {
            for (const environment of environments) await builder.build(environment)
          }
          inAppBuild = false
          if (builder.config.build.watch) return
          // In the order of the app's environments: @cloudflare/vite-plugin declares the entry Worker first.
          const order = Object.keys(builder.environments)
          outputs.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name))
          const buildOutput = buildOutputProjectRoot(outputs)
          const workers =
            buildOutput === undefined
              ? await Promise.all(
                  workersOf(outputs, {
                    environment: context.options.environment,
                    worker: context.options.worker,
                  }).map(withFilesWrittenBeside),
                )
              : (await import('../build-output/workers.js')).buildOutputWorkers(buildOutput)
          outputs = []
          await complete(workers, planned)
        },
      },
    },
  }
}
