import { readFile } from 'node:fs/promises'
import { dirname, relative, resolve } from 'node:path'
import type { BuildOptions, BuildResult, Metafile, OnResolveArgs, PluginBuild } from 'esbuild'
import type { UnpluginOptions } from 'unplugin'
import { IMPORTABLE_EXTENSIONS, importedModuleType } from '../modules/content-types.js'
import {
  isPathSpecifier,
  mayImportModule,
  moduleImportPath,
  toPosix,
} from '../modules/module-imports.js'
import { inlineSourceMap, parseSourceMap, setLazyMap } from '../modules/source-maps.js'
import type { ModuleContentType, OutputFile } from '../core/types.js'
import type { AdapterContext } from '../core/stage-types.js'

/**
 * Only a pre-filter: every JS-side onResolve is a round trip out of esbuild, so without
 * `rules` only these paths pay it; `importedModuleType` still decides.
 */
const DEFAULT_IMPORTABLE = new RegExp(`\\.(?:${IMPORTABLE_EXTENSIONS.join('|')})(?:[?#].*)?$`)
const NAMESPACE = 'workers-module'
/** Marks our own `build.resolve` calls so they skip our onResolve hook. */
const NESTED_RESOLVE = Symbol('workers-version')

/**
 * esbuild adapter. Non-JavaScript imports are handed to esbuild's own `copy` loader: it
 * emits the file under `assetNames` (content-hashed), keeps the import statement with the
 * final relative path, fixes source maps and lists the file in the metafile, for
 * `write: true` and `write: false` alike. So nothing here rewrites chunks afterwards.
 */
export function esbuildAdapter(context: AdapterContext): NonNullable<UnpluginOptions['esbuild']> {
  return {
    config(options) {
      // The metafile is the bundler's own list of outputs, with entry points.
      options.metafile = true
    },
    async setup(build) {
      const cwd = build.initialOptions.absWorkingDir ?? process.cwd()
      await context.prepare({
        bundler: 'esbuild',
        root: cwd,
        logLevel: build.initialOptions.logLevel,
      })
      const root = context.root(cwd)

      // The runtime provides these (isRuntimeBuiltin's test, as a filter esbuild runs itself).
      build.onResolve({ filter: /^(?:cloudflare|node):/ }, (args) => ({
        path: args.path,
        external: true,
        sideEffects: false,
      }))

      // Source path → the content type decided for it, for the copied output file.
      const importedTypes = new Map<string, ModuleContentType>()
      const filter = context.options.rules.length > 0 ? /.*/ : DEFAULT_IMPORTABLE
      build.onResolve({ filter }, async (args) => {
        if (args.kind === 'entry-point' || args.pluginData?.[NESTED_RESOLVE]) return undefined
        const bare = moduleImportPath(args.path)
        if (bare === undefined || !mayImportModule(bare, context.options.matchRule))
          return undefined
        const path = await resolveImport(build, args, bare)
        const type = path
          ? importedModuleType(toPosix(relative(root, path)), context.options.matchRule)
          : undefined
        if (!path || type === undefined) return undefined
        importedTypes.set(path, type)
        return { path, namespace: NAMESPACE }
      })
      // A namespace of our own, so no other file pays a round trip to this onLoad.
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, async (args) => ({
        contents: await readFile(args.path),
        loader: 'copy',
      }))

      // esbuild tells plugins nothing about watch or serve mode: only the first build of a
      // context counts (if it succeeds); later ones are rebuilds (watch, serve, incremental).
      let built = false
      build.onEnd(async (result) => {
        if (built) return undefined
        built = true
        if (result.errors.length > 0) return undefined
        try {
          const files = await readOutputs(build.initialOptions, result, cwd, importedTypes)
          const { outdir, outfile } = build.initialOptions
          await context.complete([
            {
              files,
              outDir: outdir
                ? resolve(cwd, outdir)
                : outfile
                  ? dirname(resolve(cwd, outfile))
                  : undefined,
            },
          ])
          return undefined
        } catch (error) {
          // Reported as a build error, so `build()` rejects with this message.
          return {
            errors: [
              { text: error instanceof Error ? error.message : String(error), detail: error },
            ],
          }
        }
      })
    },
  }
}

async function resolveImport(
  build: PluginBuild,
  args: OnResolveArgs,
  bare: string,
): Promise<string | undefined> {
  if (isPathSpecifier(bare)) return resolve(args.resolveDir, bare)
  const resolved = await build.resolve(bare, {
    kind: args.kind,
    importer: args.importer,
    resolveDir: args.resolveDir,
    pluginData: { [NESTED_RESOLVE]: true },
  })
  return resolved.errors.length === 0 && !resolved.external && resolved.namespace === 'file'
    ? resolved.path
    : undefined
}

/** The build's format: esbuild's default is ESM only for `platform: 'neutral'`. */
function formatOf(options: BuildOptions): 'esm' | 'cjs' {
  const format = options.format ?? (options.platform === 'neutral' ? 'esm' : 'cjs')
  return format === 'esm' ? 'esm' : 'cjs'
}

/** Absolute paths of the configured entry points, to tell entry chunks from dynamic-import chunks. */
function configuredEntries(options: BuildOptions, cwd: string): Set<string> {
  const entries = options.entryPoints ?? []
  const paths = Array.isArray(entries)
    ? entries.map((e) => (typeof e === 'string' ? e : e.in))
    : Object.values(entries)
  return new Set(paths.map((p) => resolve(cwd, p)))
}

/** Input paths that some module imports with `import()`: esbuild gives their chunks an `entryPoint` too. */
function dynamicImportTargets(metafile: Metafile): Set<string> {
  const targets = new Set<string>()
  for (const input of Object.values(metafile.inputs)) {
    for (const imported of input.imports)
      if (imported.kind === 'dynamic-import') targets.add(imported.path)
  }
  return targets
}

/** Reads the build's outputs, as listed in its metafile, into OutputFiles. */
async function readOutputs(
  options: BuildOptions,
  result: BuildResult,
  cwd: string,
  importedTypes: ReadonlyMap<string, ModuleContentType>,
): Promise<OutputFile[]> {
  const metafile = result.metafile
  if (!metafile) throw new Error('esbuild produced no metafile although the plugin asked for one')
  const outDir = resolve(cwd, options.outdir ?? (options.outfile ? dirname(options.outfile) : '.'))
  const inMemory = new Map(result.outputFiles?.map((file) => [file.path, file.contents]))
  const entries = configuredEntries(options, cwd)
  const dynamicTargets = dynamicImportTargets(metafile)
  const format = formatOf(options)

  const files = await Promise.all(
    Object.entries(metafile.outputs).map(async ([outputPath, output]): Promise<OutputFile> => {
      const absolute = resolve(cwd, outputPath)
      const fileName = toPosix(relative(outDir, absolute))
      const contents = inMemory.get(absolute) ?? (await readFile(absolute))
      if (!/\.[cm]?js$/.test(fileName)) {
        // A copied import lists its source as `workers-module:<path>` among the output's inputs.
        const source = Object.keys(output.inputs).find((input) => input.startsWith(`${NAMESPACE}:`))
        const importedType =
          source === undefined ? undefined : importedTypes.get(source.slice(NAMESPACE.length + 1))
        return { fileName, kind: 'asset', contents, importedType }
      }
      const { entryPoint } = output
      // A configured entry, or one that no `import()` reaches (e.g. a bare-specifier entry).
      const isEntry =
        entryPoint !== undefined &&
        (entries.has(resolve(cwd, entryPoint)) || !dynamicTargets.has(entryPoint))
      return {
        fileName,
        kind: 'chunk',
        contents,
        format,
        isEntry,
        entryName: isEntry
          ? fileName.slice(fileName.lastIndexOf('/') + 1).replace(/\.[cm]?js$/, '')
          : undefined,
      }
    }),
  )

  // esbuild writes `x.js.map` beside `x.js` (with `sourcemap: 'external'` too, just without
  // the comment); `'inline'` maps exist only inside the chunk.
  const byName = new Map(files.map((file) => [file.fileName, file]))
  for (const chunk of files) {
    if (chunk.kind !== 'chunk') continue
    const mapFile = byName.get(`${chunk.fileName}.map`)
    if (mapFile) {
      setLazyMap(chunk, () => parseSourceMap(Buffer.from(mapFile.contents).toString('utf8')))
      chunk.mapFileName = mapFile.fileName
    } else {
      setLazyMap(chunk, () => inlineSourceMap(Buffer.from(chunk.contents).toString('utf8')))
    }
  }
  return files
}
