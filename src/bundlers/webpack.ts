import { readFile } from 'node:fs/promises'
import { posix, relative, resolve } from 'node:path'
import type { Compiler as RspackCompiler } from '@rspack/core'
import type { Compilation, ExternalItemFunctionData, Compiler as WebpackCompiler } from 'webpack'
import { importedModuleType } from '../modules/content-types.js'
import {
  findPlaceholders,
  isPathSpecifier,
  isRuntimeBuiltin,
  mayImportModule,
  placeholderFor,
  relativeSpecifier,
  moduleImportPath,
  toPosix,
} from '../modules/module-imports.js'
import { inlineSourceMap, parseSourceMap, setLazyMap } from '../modules/source-maps.js'
import type { ModuleContentType, OutputFile } from '../core/types.js'
import type { AdapterContext } from '../core/stage-types.js'

const PLUGIN_NAME = 'unplugin-workers-version'
const JS_FILE = /\.[cm]?js$/

/** Non-JS files imported from source code, by placeholder index. */
type ImportedFiles = Map<number, { path: string; fromRoot: string; type: ModuleContentType }>

/**
 * Placeholders used as import specifiers: only quoted ones, since the bundlers also derive
 * identifiers from them (`__WEBPACK_EXTERNAL_MODULE___WORKERS_MODULE_1____`).
 */
function quotedPlaceholders(code: string) {
  return findPlaceholders(code).filter(
    (m) => /["'`]/.test(code[m.start - 1] ?? '') && code[m.end] === code[m.start - 1],
  )
}

/** node:crypto, loaded by webpack builds only: other bundlers' dry runs do without it. */
const sha256 = () => process.getBuiltinModule('node:crypto').createHash('sha256')

/**
 * A placeholder number derived from the file's path below the root, not from resolution order
 * or the checkout location: it is part of the external module's identifier, so module ids and
 * chunk hashes stay reproducible.
 */
function stableIndex(fromRoot: string, taken: ImportedFiles): number {
  let index = Number.parseInt(sha256().update(fromRoot).digest('hex').slice(0, 8), 16)
  while (taken.has(index) && taken.get(index)!.fromRoot !== fromRoot) index++
  return index
}

/** Resolves a bare specifier (`pkg/file.wasm`) with the compilation's resolver; `undefined` when it cannot. */
async function resolveWith(
  getResolve: ExternalItemFunctionData['getResolve'],
  dir: string,
  request: string,
): Promise<string | undefined> {
  // Both bundlers' resolve functions return a promise when called without a callback.
  const resolveRequest = getResolve?.() as
    ((context: string, request: string) => Promise<string | false | undefined>) | undefined
  const path = await resolveRequest?.(dir, request).catch(() => undefined)
  return typeof path === 'string' ? path : undefined
}

/** `add-1a2b3c4d.wasm`: named after the source file and its contents. */
function hashedName(path: string, contents: Uint8Array): string {
  const ext = posix.extname(path)
  const base = posix.basename(toPosix(path), ext)
  return `${base}-${sha256().update(contents).digest('hex').slice(0, 8)}${ext}`
}

/**
 * webpack and rspack adapter (rspack implements every compiler and compilation API used here
 * the same way). Runtime built-ins and non-JS imports become `module` externals, so they stay
 * `import` statements; non-JS files get a placeholder specifier that becomes the path relative
 * to each importing chunk once the file is emitted beside the entry chunk.
 */
export function webpackAdapter(
  bundler: 'webpack' | 'rspack',
  context: AdapterContext,
): (compiler: WebpackCompiler | RspackCompiler) => void {
  return (input) => {
    const compiler = input as WebpackCompiler
    const root = () => context.root(compiler.context)
    // Placeholder index → the imported file, for the compiler's lifetime.
    const imported: ImportedFiles = new Map()

    const externalType = () => (compiler.options.output.module ? 'module' : 'commonjs')
    // Each result names its type (`module x`), so the plugin's default type never applies.
    new compiler.webpack.ExternalsPlugin(
      'module',
      async ({ request, context: dir, getResolve }: ExternalItemFunctionData) => {
        if (!request) return undefined
        if (isRuntimeBuiltin(request)) return `${externalType()} ${request}`
        const bare = moduleImportPath(request)
        if (bare === undefined || !mayImportModule(bare, context.options.matchRule))
          return undefined
        const path = isPathSpecifier(bare)
          ? resolve(dir ?? root(), bare)
          : await resolveWith(getResolve, dir ?? root(), bare)
        if (path === undefined) return undefined
        const fromRoot = toPosix(relative(root(), path))
        const type = importedModuleType(fromRoot, context.options.matchRule)
        if (type === undefined) return undefined
        const index = stableIndex(fromRoot, imported)
        imported.set(index, { path, fromRoot, type })
        return `${externalType()} ${placeholderFor(index)}`
      },
    ).apply(compiler)

    // Not called in watch mode (webpack runs `watchRun` there), which never uploads.
    compiler.hooks.beforeRun.tapPromise(PLUGIN_NAME, async () => {
      await context.prepare({
        bundler,
        root: compiler.context,
        logLevel: compiler.options.infrastructureLogging?.level,
      })
    })

    // After emitting, webpack swaps each asset's source for a size-only stub, so the output
    // is read once processing is over and handed to `complete` only if the emit succeeds.
    const outputs = new WeakMap<Compilation, OutputFile[]>()
    compiler.hooks.thisCompilation.tap(PLUGIN_NAME, (compilation) => {
      // Emitted file name → the content type decided when source code imported it.
      const importedTypes = new Map<string, ModuleContentType>()
      compilation.hooks.processAssets.tapPromise(
        // Before minifiers and source-map tooling, so both see the final specifiers.
        { name: PLUGIN_NAME, stage: compiler.webpack.Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL },
        () => emitImportedFiles(compiler, compilation, imported, importedTypes),
      )
      compilation.hooks.afterProcessAssets.tap(PLUGIN_NAME, () => {
        if (!compiler.watchMode && compilation.errors.length === 0)
          outputs.set(compilation, readCompilation(compilation, importedTypes))
      })
    })

    compiler.hooks.afterEmit.tapPromise(PLUGIN_NAME, async (compilation) => {
      const files = outputs.get(compilation)
      if (compiler.watchMode || compilation.errors.length > 0 || !files) return
      try {
        await context.complete([{ files, outDir: compiler.outputPath }])
      } catch (error) {
        // A compilation error fails the build the usual way: stats has errors, the CLI exits 1.
        const message = error instanceof Error ? error.message : String(error)
        compilation.errors.push(new compiler.webpack.WebpackError(`[${PLUGIN_NAME}] ${message}`))
      }
    })
  }
}

/**
 * Emits each non-JS file the chunks import, in the entry chunk's directory (every module must
 * be at or under the main module's directory), and points each chunk's import at it.
 */
async function emitImportedFiles(
  compiler: WebpackCompiler,
  compilation: Compilation,
  imported: ImportedFiles,
  importedTypes: Map<string, ModuleContentType>,
) {
  const { ReplaceSource, RawSource } = compiler.webpack.sources
  const firstEntry = [...compilation.entrypoints.values()][0]?.getEntrypointChunk()
  const entryFile = [...(firstEntry?.files ?? [])].find((file) => JS_FILE.test(file))
  const dir = entryFile ? posix.dirname(entryFile) : '.'
  const emitted = new Map<number, string>()

  for (const chunk of compilation.chunks) {
    for (const file of chunk.files) {
      const asset = JS_FILE.test(file) ? compilation.getAsset(file) : undefined
      if (!asset) continue
      const code = asset.source.source().toString()
      const matches = quotedPlaceholders(code)
      if (matches.length === 0) continue
      const source = new ReplaceSource(asset.source, file)
      for (const match of matches) {
        let fileName = emitted.get(match.index)
        if (fileName === undefined) {
          const target = imported.get(match.index)
          if (target === undefined) {
            // Only if the bundler reused a module without asking the externals function again.
            const message = `${file} imports ${placeholderFor(match.index)}, a file this compiler never resolved; rebuild without the cache.`
            compilation.errors.push(
              new compiler.webpack.WebpackError(`[${PLUGIN_NAME}] ${message}`),
            )
            continue
          }
          const contents = await readFile(target.path)
          fileName = posix.join(dir, hashedName(target.fromRoot, contents))
          if (!compilation.getAsset(fileName)) {
            compilation.emitAsset(fileName, new RawSource(contents), {
              immutable: true,
              sourceFilename: target.fromRoot,
            })
          }
          compilation.fileDependencies.add(target.path)
          emitted.set(match.index, fileName)
          importedTypes.set(fileName, target.type)
        }
        source.replace(match.start, match.end - 1, relativeSpecifier(file, fileName))
      }
      compilation.updateAsset(file, source)
    }
  }
}

/** The compilation's emitted assets as OutputFiles; chunks and entries from its chunk graph. */
function readCompilation(
  compilation: Compilation,
  importedTypes: ReadonlyMap<string, ModuleContentType>,
): OutputFile[] {
  const format = compilation.outputOptions.module ? 'esm' : 'cjs'
  const chunkFiles = new Map<string, ReadonlySet<string>>() // JS file → its chunk's auxiliary files
  for (const chunk of compilation.chunks) {
    for (const file of chunk.files)
      if (JS_FILE.test(file)) chunkFiles.set(file, chunk.auxiliaryFiles)
  }
  const entryNames = new Map<string, string>()
  for (const [name, entrypoint] of compilation.entrypoints) {
    for (const file of entrypoint.getEntrypointChunk().files)
      if (JS_FILE.test(file)) entryNames.set(file, name)
  }

  const assets = compilation.getAssets()
  const contentsOf = new Map(assets.map((asset) => [asset.name, asset.source.buffer()]))
  return assets.map((asset): OutputFile => {
    const contents = contentsOf.get(asset.name)!
    const auxiliary = chunkFiles.get(asset.name)
    if (!auxiliary)
      return {
        fileName: asset.name,
        kind: 'asset',
        contents,
        importedType: importedTypes.get(asset.name),
      }
    const related = asset.info.related?.sourceMap
    const mapFileName =
      [related].flat().find((name) => name && contentsOf.has(name)) ??
      (auxiliary.has(`${asset.name}.map`) ? `${asset.name}.map` : undefined)
    const mapContents = mapFileName ? contentsOf.get(mapFileName) : undefined
    const chunk: OutputFile = {
      fileName: asset.name,
      kind: 'chunk',
      contents,
      format,
      isEntry: entryNames.has(asset.name),
      entryName: entryNames.get(asset.name),
      mapFileName: mapContents ? mapFileName : undefined,
    }
    // `hidden-source-map` emits the map without a comment; `inline-source-map` only inside the chunk.
    setLazyMap(chunk, () =>
      mapContents
        ? parseSourceMap(mapContents.toString('utf8'))
        : inlineSourceMap(contents.toString('utf8')),
    )
    return chunk
  })
}
