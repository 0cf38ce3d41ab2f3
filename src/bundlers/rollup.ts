import { readFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { importedModuleType, type RuleMatcher } from '../modules/content-types.js'
import {
  findPlaceholders,
  isPathSpecifier,
  isRuntimeBuiltin,
  mayImportModule,
  MODULE_IMPORT_SPECIFIER,
  moduleImportPath,
  PLACEHOLDER_PREFIX,
  placeholderFor,
  relativeSpecifier,
  toPosix,
} from '../modules/module-imports.js'
import type { BundlerName, ModuleContentType, OutputFile } from '../core/types.js'
import type { AdapterContext } from '../core/stage-types.js'
import { setLazyMap } from '../modules/source-maps.js'

/**
 * The parts of the plugin context these hooks use. Rollup's, Rolldown's and Vite's contexts
 * all have this shape, so one set of hooks serves the three without casts.
 */
export interface BundlePluginContext {
  /** Vite only: the environment being built. */
  environment?: object
  meta: { watchMode: boolean }
  addWatchFile(id: string): void
  emitFile(file: {
    type: 'asset'
    name?: string
    fileName?: string
    originalFileName?: string
    source: Uint8Array
  }): string
  getFileName(referenceId: string): string
  resolve(
    source: string,
    importer?: string,
    options?: { skipSelf?: boolean },
  ): Promise<{ id: string } | null>
}

/** The parts of Rollup-style output options and bundles the plugin reads. */
export interface BundleOutputOptions {
  dir?: string
  file?: string
  format: string
}
type BundleItem =
  | { type: 'asset'; fileName: string; source: string | Uint8Array }
  | {
      type: 'chunk'
      fileName: string
      code: string
      isEntry: boolean
      name: string
      map: unknown
      sourcemapFileName?: string | null
    }
export type Bundle = Record<string, BundleItem>

/**
 * Hooks shared by Rollup, Rolldown and Vite (whose plugin API is Rollup's):
 * runtime built-ins stay external, non-JS imports become modules of their own.
 */
export function moduleImportHooks(
  { matchRule, rules }: { matchRule: RuleMatcher; rules: readonly unknown[] },
  rootOf: () => string,
) {
  // Per build (a Vite app build runs several): emitted file reference per placeholder index.
  const builds = new WeakMap<
    object,
    {
      byPath: Map<string, number>
      refs: Array<{ ref: string; source: Uint8Array; type: ModuleContentType }>
    }
  >()
  const standalone = {}
  // Files generateBundle put back, in any build of this instance: their names carry a content hash.
  const restored = new Set<string>()
  const stateOf = (ctx: BundlePluginContext) => {
    // Vite gives each environment its own object; Rollup and Rolldown run one build per plugin instance.
    const key = ctx.environment ?? standalone
    let state = builds.get(key)
    if (!state) builds.set(key, (state = { byPath: new Map(), refs: [] }))
    return state
  }

  /** Reads the written bundle, marking the files emitted for imports with the type decided then. */
  async function readBundle(
    ctx: BundlePluginContext,
    outputOptions: BundleOutputOptions,
    bundle: Bundle,
  ): Promise<OutputFile[]> {
    const files = await readRollupBundle(outputOptions, bundle)
    const imported = new Map(stateOf(ctx).refs.map(({ ref, type }) => [ctx.getFileName(ref), type]))
    for (const file of files) file.importedType = imported.get(file.fileName)
    return files
  }

  async function resolveModuleImport(
    this: BundlePluginContext,
    source: string,
    importer: string | undefined,
  ) {
    // Side-effect free, as bundlers treat Node's built-ins: an import left unused (Vite's
    // `node:module` require shim) is dropped instead of failing a Worker without nodejs_compat.
    if (isRuntimeBuiltin(source)) return { id: source, external: true, moduleSideEffects: false }
    if (!importer || source.startsWith('\0')) return null
    const bare = moduleImportPath(source)
    if (bare === undefined || !mayImportModule(bare, matchRule)) return null
    const path = isPathSpecifier(bare)
      ? resolve(dirname(importer), bare)
      : (await this.resolve(bare, importer, { skipSelf: true }))?.id
    if (!path) return null
    const type = importedModuleType(toPosix(relative(rootOf(), path)), matchRule)
    if (type === undefined) return null
    const state = stateOf(this)
    let index = state.byPath.get(path)
    if (index === undefined) {
      this.addWatchFile(path)
      const source = await readFile(path)
      const ref = this.emitFile({
        type: 'asset',
        name: path.split(/[\\/]/).pop(),
        originalFileName: path,
        source,
      })
      index = state.refs.push({ ref, source, type }) - 1
      state.byPath.set(path, index)
    }
    return { id: placeholderFor(index), external: true }
  }

  async function replacePlaceholders(
    this: BundlePluginContext,
    code: string,
    chunk: { fileName: string },
    outputOptions: { sourcemap?: unknown },
  ) {
    const matches = findPlaceholders(code)
    if (matches.length === 0) return null
    const state = stateOf(this)
    const replacements = matches.flatMap((m) => {
      const emitted = state.refs[m.index]
      return emitted === undefined
        ? []
        : [{ ...m, specifier: relativeSpecifier(chunk.fileName, this.getFileName(emitted.ref)) }]
    })
    if (!outputOptions.sourcemap) {
      // No map to keep in step (Vite's and Rollup's default): the text alone, without loading magic-string.
      let out = ''
      let from = 0
      for (const r of replacements) {
        out += code.slice(from, r.start) + r.specifier
        from = r.end
      }
      return { code: out + code.slice(from), map: null }
    }
    // Loaded only for chunks that import a module file (wasm, text, data) and have a source map.
    const { default: MagicString } = await import('magic-string')
    const s = new MagicString(code)
    for (const r of replacements) s.overwrite(r.start, r.end, r.specifier)
    return { code: s.toString(), map: s.generateMap({ hires: 'boundary' }) }
  }

  const hooks = {
    buildStart(this: BundlePluginContext) {
      const state = stateOf(this)
      state.byPath.clear()
      state.refs.length = 0
    },
    resolveId: {
      // Rolldown (Vite's bundler) and a Rollup that knows hook filters call the handler only for
      // the imports it can act on, instead of crossing into JavaScript for every import of the app;
      // an older Rollup ignores the filter and the handler decides alone.
      ...(rules.length === 0 && { filter: { id: MODULE_IMPORT_SPECIFIER } }),
      handler: resolveModuleImport,
    },
    renderChunk: {
      // Rolldown then hands over only the chunks that import a module file, not every chunk's text.
      filter: { code: PLACEHOLDER_PREFIX },
      handler: replacePlaceholders,
    },
    generateBundle: {
      order: 'post' as const,
      handler(this: BundlePluginContext, _options: unknown, bundle: Record<string, unknown>) {
        // Vite deletes emitted assets from server builds unless `build.emitAssets` is on, but
        // these files are modules the Worker imports: put back any that were dropped.
        for (const { ref, source } of stateOf(this).refs) {
          const fileName = this.getFileName(ref)
          if (fileName in bundle) continue
          restored.add(fileName)
          this.emitFile({ type: 'asset', fileName, source })
        }
      },
    },
    onLog(_level: string, log: { code?: string; message: string }) {
      // Rolldown warns that a file put back above "overwrites" the one Vite deleted. It is the same
      // file with the same bytes: say nothing of it, and keep every other name conflict.
      if (
        log.code === 'FILE_NAME_CONFLICT' &&
        [...restored].some((fileName) => log.message.includes(fileName))
      )
        return false
      return undefined
    },
  }
  return { hooks, readBundle }
}

function formatOf(format: string): 'esm' | 'cjs' {
  return format === 'es' || format === 'esm' || format === 'module' ? 'esm' : 'cjs'
}

/**
 * Reads Rollup-style output into OutputFiles. Chunk bytes come from disk when the bundle
 * was written there (so the `sourceMappingURL` comment the bundler appends is kept);
 * a chunk's map is the map file it emitted, else (an inline map) the chunk object's.
 */
async function readRollupBundle(
  outputOptions: BundleOutputOptions,
  bundle: Bundle,
): Promise<OutputFile[]> {
  const outDir = outputOptions.dir ?? (outputOptions.file ? dirname(outputOptions.file) : undefined)
  const format = formatOf(outputOptions.format)
  const mapFiles = new Map<string, () => string | Uint8Array>()
  return Promise.all(
    Object.values(bundle).map(async (item): Promise<OutputFile> => {
      if (item.type === 'asset') {
        // Rolldown converts `source` from native code on every read: read it once, when needed.
        let source: string | Uint8Array | undefined
        const sourceOf = () => (source ??= item.source)
        const bytes = () => {
          const read = sourceOf()
          return typeof read === 'string' ? Buffer.from(read) : read
        }
        if (!item.fileName.endsWith('.map'))
          return { fileName: item.fileName, kind: 'asset', contents: bytes() }
        // A map file: its text as the bundler gave it goes to its chunk's map; its bytes, which
        // nothing but a rule sending it as a module reads, are encoded only when read.
        mapFiles.set(item.fileName, sourceOf)
        const file = { fileName: item.fileName, kind: 'asset' } as OutputFile
        let contents: OutputFile['contents'] | undefined
        Object.defineProperty(file, 'contents', {
          enumerable: true,
          configurable: true,
          get: () => (contents ??= bytes()),
          set: (next: OutputFile['contents']) => {
            contents = next
          },
        })
        return file
      }
      const written = outDir
        ? await readFile(join(outDir, item.fileName)).catch(() => undefined)
        : undefined
      const chunk: OutputFile = {
        fileName: item.fileName,
        kind: 'chunk',
        contents: written ?? Buffer.from(item.code),
        format,
        isEntry: item.isEntry,
        entryName: item.isEntry ? item.name : undefined,
        mapFileName: item.sourcemapFileName ?? undefined,
      }
      // The map file the bundler emitted is the map as written (what wrangler reads), and its text
      // is one string: `item.map` would have the bundler build the map as an object (Rolldown
      // converts it from native code) only for it to be serialised again. The text goes on as
      // text, for the module stage to change only `file` and `sources` in it. Hidden maps have
      // their file too; inline ones have none and come from the chunk.
      setLazyMap(chunk, () => {
        const mapFile = item.sourcemapFileName
        if (!mapFile || !mapFiles.has(mapFile)) return item.map as OutputFile['map']
        // From disk when written there (Rolldown's `source` getter costs three times the read).
        const emitted =
          (outDir && readTextIfPresent(join(outDir, mapFile))) ?? mapFiles.get(mapFile)!()
        return typeof emitted === 'string'
          ? emitted
          : Buffer.from(emitted.buffer, emitted.byteOffset, emitted.byteLength).toString('utf8')
      })
      return chunk
    }),
  )
}

function readTextIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/**
 * Rollup and Rolldown adapter: the plan is made in `buildStart`, before any module is read;
 * the written bundle completes the build (never in watch mode).
 */
export function rollupAdapter(
  context: AdapterContext,
  bundler: Extract<BundlerName, 'rollup' | 'rolldown'>,
) {
  const imports = moduleImportHooks(context.options, () => context.root(process.cwd()))
  return {
    ...imports.hooks,
    async buildStart(this: BundlePluginContext, inputOptions: object) {
      imports.hooks.buildStart.call(this)
      // Rollup normalises `logLevel`; Rolldown's normalised options may not carry it.
      const logLevel =
        'logLevel' in inputOptions && typeof inputOptions.logLevel === 'string'
          ? inputOptions.logLevel
          : undefined
      await context.prepare({ bundler, root: process.cwd(), watch: this.meta.watchMode, logLevel })
    },
    async writeBundle(
      this: BundlePluginContext,
      outputOptions: BundleOutputOptions,
      bundle: Bundle,
    ) {
      if (this.meta.watchMode) return
      const outDir =
        outputOptions.dir ?? (outputOptions.file ? dirname(outputOptions.file) : undefined)
      await context.complete([
        {
          files: await imports.readBundle(this, outputOptions, bundle),
          outDir: outDir && resolve(outDir),
        },
      ])
    },
  }
}
