import { isAbsolute, posix, sep } from 'node:path'
import { IMPORTABLE_EXTENSIONS, importedModuleType, type RuleMatcher } from './content-types.js'

/**
 * Non-JavaScript imports (`import wasm from './add.wasm'`) stay imports in the output:
 * the bundler marks them external under a placeholder specifier, the file is emitted
 * beside the chunks, and once file names are final the placeholder becomes the relative
 * path from the importing chunk. This keeps each such file its own Workers module.
 */
const PLACEHOLDER = /__WORKERS_MODULE_(\d+)__/g
/** What every placeholder starts with: a chunk without it has nothing to replace. */
export const PLACEHOLDER_PREFIX = '__WORKERS_MODULE_'

export function placeholderFor(index: number): string {
  return `__WORKERS_MODULE_${index}__`
}

/**
 * Every import specifier the module-import hook acts on when no `rules` are set: a runtime
 * built-in, or a name ending in an importable extension (`.wasm?module` too). With `rules`, any
 * path may match one, so there is no such pattern.
 */
export const MODULE_IMPORT_SPECIFIER = new RegExp(
  `^(?:cloudflare|node):|\\.(?:${IMPORTABLE_EXTENSIONS.join('|')})(?:\\?module)?$`,
)

/** `cloudflare:*` and `node:*` are provided by the Workers runtime, never bundled. */
export function isRuntimeBuiltin(specifier: string): boolean {
  return /^(?:cloudflare|node):/.test(specifier)
}

/** The import specifier that reaches `target` from `chunk` (both output-relative POSIX paths). */
export function relativeSpecifier(chunk: string, target: string): string {
  const path = posix.relative(posix.dirname(chunk), target)
  return path.startsWith('../') ? path : `./${path}`
}

export interface PlaceholderMatch {
  start: number
  end: number
  index: number
}

export function findPlaceholders(code: string): PlaceholderMatch[] {
  if (!code.includes(PLACEHOLDER_PREFIX)) return []
  return [...code.matchAll(PLACEHOLDER)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
    index: Number(m[1]),
  }))
}

/** A platform path with `/` separators, as module names and rule globs use them. */
export function toPosix(path: string): string {
  return path.split(sep).join('/')
}

/** A file path (resolved by joining) rather than a package name. */
export function isPathSpecifier(specifier: string): boolean {
  return specifier.startsWith('.') || isAbsolute(specifier)
}

/**
 * A cheap first look at an import. Paths always go on (rules may match their path below the
 * root, known without I/O); package specifiers only when their own name already looks like a
 * module, so ordinary package imports are never resolved twice. The decision is taken on the
 * resolved path afterwards.
 */
export function mayImportModule(specifier: string, matchRule: RuleMatcher): boolean {
  return isPathSpecifier(specifier) || importedModuleType(specifier, matchRule) !== undefined
}

/** Strips a query or hash from an import specifier written in the output (`./x.css?inline` → `./x.css`). */
function stripQuery(specifier: string): string {
  return specifier.replace(/[?#].*$/, '')
}

/**
 * The path module rules may take from an import, or undefined when the import is not theirs. A query
 * or hash asks the bundler for something of its own (Vite's `?raw`, `?url`, `?inline`, `?worker`,
 * webpack's resource queries): those stay the bundler's, whatever the file. The one exception is
 * `.wasm?module`, the suffix wrangler's CompiledWasm rule itself matches.
 */
export function moduleImportPath(specifier: string): string | undefined {
  if (!/[?#]/.test(specifier)) return specifier
  return /\.wasm\?module$/.test(specifier) ? specifier.slice(0, -'?module'.length) : undefined
}

/** Static and dynamic imports, re-exports and `require` calls with a literal specifier. */
const IMPORT_SPECIFIER =
  /\b(?:from|import)\s*\(?\s*(["'`])([^"'`\n]+)\1|\brequire\s*\(\s*(["'`])([^"'`\n]+)\3/g

export interface LiteralImport {
  specifier: string
  /** A `require` call rather than an `import` or `from`. */
  require: boolean
}

const scanned = new WeakMap<Uint8Array, LiteralImport[]>()

/**
 * The literal specifiers a chunk's text imports (and some strings and comments that look like
 * imports), read once per chunk: both the files written beside the bundle and the packages left
 * unbundled are found from them, and a large Worker's text is decoded and scanned only once.
 */
export function literalImports(contents: Uint8Array): readonly LiteralImport[] {
  let found = scanned.get(contents)
  if (!found) {
    const code = Buffer.from(contents.buffer, contents.byteOffset, contents.byteLength).toString(
      'utf8',
    )
    found = [...code.matchAll(IMPORT_SPECIFIER)].map((match) => ({
      specifier: match[2] ?? match[4] ?? '',
      require: match[4] !== undefined,
    }))
    scanned.set(contents, found)
  }
  return found
}

/**
 * Output files some chunk imports by a relative specifier (`import css from './assets/x.css'`).
 * Read from the chunks' text, so it holds for every bundler: a file no chunk names is one the
 * Worker can never load, and can be left out like wrangler leaves out files no rule matches.
 */
export function filesImportedByChunks(
  chunks: ReadonlyArray<{ fileName: string; contents: Uint8Array }>,
): Set<string> {
  const imported = new Set<string>()
  for (const chunk of chunks) {
    for (const { specifier: raw } of literalImports(chunk.contents)) {
      const specifier = stripQuery(raw)
      if (specifier.startsWith('./') || specifier.startsWith('../'))
        imported.add(posix.join(posix.dirname(chunk.fileName), specifier))
    }
  }
  return imported
}
