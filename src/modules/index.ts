import { posix } from 'node:path'
import { WorkersVersionError } from '../core/errors.js'
import { SOURCE_MAP, contentTypeFor, isEsModuleType, type RuleMatcher } from './content-types.js'
import { filesImportedByChunks } from './module-imports.js'
import { plural } from '../core/plural.js'
import { linksSourceMap, rewriteSourceMap } from './source-maps.js'
import type {
  BundlerName,
  ExcludedFile,
  ModulesResult,
  OutputFile,
  SourceMapChoice,
  WorkerModule,
} from '../core/types.js'

export interface ModulesOptions {
  bundler: BundlerName
  matchRule: RuleMatcher
  /** Picks the main module among several entries: output file name, entry name, or file name without extension. */
  mainModule?: string
  /** Which chunks' source maps to attach as `<module>.map`. */
  sourcemaps: SourceMapChoice
}

/**
 * Why a file of no known module type that no chunk imports is left out (the summary groups them
 * on one line). wrangler uploads only the files its rules match and skips the rest silently, so
 * a server build's stylesheet (React Router 7 emits `assets/server-build-….css`) goes too.
 */
export const UNIMPORTED_REASON = 'no Workers module type, and no chunk imports it'

/** Why a chunk's map file is not a module. */
function mapLeftOut(choice: SourceMapChoice): string {
  return choice === false
    ? 'source map, not sent: `sourcemaps` or `upload_source_maps` is false'
    : 'source map its chunk does not link (hidden), not sent unless `sourcemaps` or `upload_source_maps` is true'
}

/** Build metadata and bundler artifacts that are never runtime modules. */
function metadataReason(fileName: string): string | undefined {
  if (fileName.startsWith('.vite/')) return 'Vite build metadata'
  if (fileName === '.assetsignore') return 'static assets ignore list'
  // @cloudflare/vite-plugin writes the deploy config and local vars beside the worker.
  if (fileName === 'wrangler.json' || fileName === '.dev.vars')
    return 'Cloudflare Vite plugin deploy config'
  return undefined
}

const MAIN_FORMAT_HINTS: Record<BundlerName, string> = {
  vite: "set `build.rollupOptions.output.format: 'es'` (Vite's default for server builds)",
  rollup: "set `output.format: 'es'`",
  rolldown: "set `output.format: 'esm'`",
  esbuild: "set `format: 'esm'`",
  webpack: 'set `experiments.outputModule: true` and `output.module: true`',
  rspack: 'set `experiments.outputModule: true` and `output.module: true`',
}

/**
 * Why a module name cannot be uploaded; undefined when it can. Names are
 * POSIX paths relative to the main module: the runtime resolves `import`s
 * against them, so a backslash, a `.`/`..` or empty segment, or a leading
 * `/` gives a module no import can reach (or one the API refuses).
 */
export function moduleNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty'
  if (name.includes('\\')) return 'contains a backslash; module names are separated by "/"'
  if (name.startsWith('/')) return 'starts with "/"; module names are relative to the main module'
  const segments = name.split('/')
  if (segments.some((segment) => segment === '.' || segment === '..'))
    return 'has a "." or ".." segment'
  if (segments.some((segment) => segment === ''))
    return 'has an empty segment ("//" or a trailing "/")'
  return undefined
}

/** Whether the build has Worker code: some entry chunk (a build of static files alone has none). */
export function hasEntryChunk(files: readonly OutputFile[]): boolean {
  return files.some((file) => file.kind === 'chunk' && file.isEntry)
}

/** Chooses the entry chunk that becomes `main_module`. */
function pickMainChunk(
  files: readonly OutputFile[],
  options: Pick<ModulesOptions, 'mainModule' | 'bundler'>,
): OutputFile {
  const entries = files.filter((file) => file.kind === 'chunk' && file.isEntry)
  const list = (chunks: readonly OutputFile[]) =>
    chunks
      .map((c) => `  - ${c.fileName}${c.entryName ? ` (entry "${c.entryName}")` : ''}`)
      .join('\n')
  if (options.mainModule !== undefined) {
    const wanted = options.mainModule.replace(/^\.\//, '')
    const match = entries.find(
      (c) =>
        c.fileName === wanted ||
        c.entryName === wanted ||
        c.fileName.replace(/\.[cm]?js$/, '') === wanted,
    )
    if (!match) {
      throw new WorkersVersionError(
        'MAIN_MODULE_NOT_FOUND',
        `mainModule "${options.mainModule}" matches no entry chunk of the ${options.bundler} build. Entry chunks:\n${list(entries) || '  (none)'}`,
      )
    }
    return match
  }
  if (entries.length === 1) return entries[0]!
  if (entries.length === 0) {
    throw new WorkersVersionError(
      'NO_ENTRY',
      `The ${options.bundler} build emitted no entry chunk, so there is no main module for the Worker. ` +
        'For an assets-only Worker (static files, no code), name the directory to serve: the `assets.directory` option or `assets.directory` in the wrangler config.',
    )
  }
  throw new WorkersVersionError(
    'AMBIGUOUS_MAIN_MODULE',
    `The ${options.bundler} build has ${plural(entries.length, 'entry chunk')}; set the \`mainModule\` option to the one that exports the Worker's handlers:\n${list(entries)}`,
  )
}

/**
 * Maps the bundle onto Workers modules: content types, names relative to the main
 * module's directory, source maps attached to their chunks, non-modules left out.
 * Pure: the same files and options always give the same result.
 */
export function toWorkerModules(
  files: readonly OutputFile[],
  options: ModulesOptions,
): ModulesResult {
  const main = pickMainChunk(files, options)
  const root = posix.dirname(main.fileName)
  // Names are the file names below the main module's directory, as the bundler
  // wrote them (not normalised: a name the checks below refuse must be seen).
  const nameOf = (fileName: string) =>
    root === '.'
      ? fileName
      : fileName.startsWith(`${root}/`)
        ? fileName.slice(root.length + 1)
        : posix.relative(root, fileName)

  // Maps come from the chunks themselves; the same maps emitted as files are not modules twice.
  // Which maps are sent is decided from the chunk's code: the map itself is read only when it is
  // sent (a bundler's map object may be built on first access, and a plain build pays for none).
  const chunkMapFiles = new Map<string, boolean>()
  const sendsMap = new Set<OutputFile>()
  for (const file of files) {
    if (file.kind !== 'chunk') continue
    const sent =
      options.sourcemaps === 'linked' ? linksSourceMap(file.contents) : options.sourcemaps
    if (sent) sendsMap.add(file)
    chunkMapFiles.set(file.mapFileName ?? `${file.fileName}.map`, sent)
  }

  // Read from every chunk's text, so only once some file has no module type (most builds have none).
  let imported: Set<string> | undefined
  const isImported = (fileName: string) =>
    (imported ??= filesImportedByChunks(files.filter((file) => file.kind === 'chunk'))).has(
      fileName,
    )
  const modules: WorkerModule[] = []
  const excluded: ExcludedFile[] = []
  const unknown: string[] = []
  const outside: string[] = []
  const badNames: string[] = []
  const badMaps: string[] = []

  for (const file of files) {
    const metadata = metadataReason(file.fileName)
    if (metadata) {
      excluded.push({ fileName: file.fileName, reason: metadata })
      continue
    }
    if (file.kind === 'asset' && chunkMapFiles.has(file.fileName)) {
      if (!chunkMapFiles.get(file.fileName))
        excluded.push({ fileName: file.fileName, reason: mapLeftOut(options.sourcemaps) })
      continue
    }
    const type = contentTypeFor(file, options.matchRule)
    if (type === false) {
      excluded.push({ fileName: file.fileName, reason: 'excluded by a rule' })
      continue
    }
    if (type === undefined) {
      if (file.fileName.endsWith('.map')) {
        excluded.push({ fileName: file.fileName, reason: 'source map of no chunk' })
      } else if (isImported(file.fileName)) {
        unknown.push(file.fileName)
      } else {
        excluded.push({ fileName: file.fileName, reason: UNIMPORTED_REASON })
      }
      continue
    }
    const name = nameOf(file.fileName)
    if (name.startsWith('../') || name === '..') {
      outside.push(file.fileName)
      continue
    }
    const nameProblem = moduleNameProblem(name)
    if (nameProblem) {
      badNames.push(
        `  - ${JSON.stringify(name)}${name === file.fileName ? '' : ` (${file.fileName})`}: ${nameProblem}`,
      )
      continue
    }
    modules.push({ name, content_type: type, contents: file.contents })
    if (sendsMap.has(file) && file.map) {
      try {
        const map = rewriteSourceMap(file.map, name, {
          chunk: file.fileName,
          mapFile: file.mapFileName,
        })
        modules.push({ name: `${name}.map`, content_type: SOURCE_MAP, contents: Buffer.from(map) })
      } catch (error) {
        if (!(error instanceof WorkersVersionError)) throw error
        badMaps.push(error.message)
      }
    }
  }

  const problems: string[] = []
  if (unknown.length > 0) {
    const test = `'*${posix.extname(unknown[0]!) || unknown[0]}'`
    problems.push(
      `A chunk imports ${unknown.length === 1 ? 'this file, which has' : `these ${plural(unknown.length, 'file')}, which have`} no known Workers module type:\n${unknown.map((f) => `  - ${f}`).join('\n')}\n` +
        `If the Worker never loads ${unknown.length === 1 ? 'it' : 'them'} at run time (a stylesheet the server build only refers to), leave ${unknown.length === 1 ? 'it' : 'them'} out with a \`rules\` entry { test: ${test}, type: false }; ` +
        `if it does, give ${unknown.length === 1 ? 'it' : 'them'} the type ${unknown.length === 1 ? 'it is' : 'they are'} read as: { test: ${test}, type: 'text/plain' } (a string) or 'application/octet-stream' (an ArrayBuffer).`,
    )
  }
  if (outside.length > 0) {
    problems.push(
      `These files are outside the main module's directory "${root}" and cannot be resolved from it:\n${outside.map((f) => `  - ${f}`).join('\n')}\n` +
        "Emit them at or below the main module's directory (for example by changing the chunk or asset file names).",
    )
  }
  if (badNames.length > 0) {
    problems.push(
      `These module names cannot be uploaded (the Workers runtime resolves imports by these names, "/"-separated and relative to the main module):\n${badNames.join('\n')}\n` +
        'Change the chunk or asset file names in the bundler config (e.g. `output.chunkFileNames` / `assetFileNames`) so they are plain relative paths.',
    )
  }
  problems.push(...badMaps)
  const seen = new Map<string, number>()
  for (const mod of modules) seen.set(mod.name, (seen.get(mod.name) ?? 0) + 1)
  const duplicates = [...seen].filter(([, count]) => count > 1).map(([name]) => name)
  if (duplicates.length > 0) {
    problems.push(
      `Several files map to the same module name: ${duplicates.map((d) => `"${d}"`).join(', ')}. Module names must be unique.`,
    )
  }
  if (problems.length > 0) {
    const onlyMaps = problems.length === badMaps.length
    throw new WorkersVersionError(
      onlyMaps ? 'INVALID_SOURCE_MAP' : 'INVALID_MODULES',
      problems.join('\n\n'),
    )
  }

  const mainName = nameOf(main.fileName)
  const mainModule = modules.find((m) => m.name === mainName)
  if (!mainModule || !isEsModuleType(mainModule.content_type)) {
    throw new WorkersVersionError(
      'MAIN_NOT_ES_MODULE',
      `The main module "${mainName}" is ${mainModule ? `"${mainModule.content_type}"` : 'excluded'}, but a Worker's main module must be an ES module: ${MAIN_FORMAT_HINTS[options.bundler]}.`,
    )
  }
  // The main module first: readers (and Miniflare) take it from the top.
  modules.splice(modules.indexOf(mainModule), 1)
  modules.unshift(mainModule)
  return { mainModule: mainName, modules, excluded }
}
