import { posix } from 'node:path'
import picomatch from '../core/picomatch.js'
import type { ModuleContentType, ModuleRule, OutputFile, RuleMatcher } from '../core/types.js'

export type { ModuleRule, RuleMatcher } from '../core/types.js'

export const ES_MODULE = 'application/javascript+module'
export const COMMONJS = 'application/javascript'
export const SOURCE_MAP = 'application/source-map'

/** Extensions the platform knows how to load, as wrangler's and Cloudflare's Vite plugin's defaults. */
const EXTENSION_TYPES: Record<string, ModuleContentType> = {
  '.mjs': ES_MODULE,
  '.cjs': COMMONJS,
  '.wasm': 'application/wasm',
  '.txt': 'text/plain',
  '.html': 'text/plain',
  '.sql': 'text/plain',
  '.bin': 'application/octet-stream',
  '.py': 'text/x-python',
}

/** Files the Workers runtime reads by exact name. */
const NAME_TYPES: Record<string, ModuleContentType> = {
  _headers: 'text/plain',
  _redirects: 'text/plain',
}

/** Content types that can be imported from JavaScript as a module of their own (not bundled). */
const IMPORTABLE_TYPES: ReadonlySet<string> = new Set([
  'application/wasm',
  'text/plain',
  'application/octet-stream',
  'text/x-python',
])

/** Extensions (without the dot) imported as modules of their own without any `rules`. */
export const IMPORTABLE_EXTENSIONS: readonly string[] = Object.entries(EXTENSION_TYPES)
  .filter(([, type]) => IMPORTABLE_TYPES.has(type))
  .map(([ext]) => ext.slice(1))

/** Compiles `rules` once; later rules win over earlier ones, so users can append overrides. */
export function compileRules(rules: readonly ModuleRule[] = []): RuleMatcher {
  const compiled = rules.map((rule) => {
    const tests = Array.isArray(rule.test) ? rule.test : [rule.test]
    const matchers = tests.map((test) =>
      typeof test === 'string'
        ? picomatch(test, { dot: true, basename: !test.includes('/') })
        : (path: string) => {
            test.lastIndex = 0
            return test.test(path)
          },
    )
    return { type: rule.type, matches: (path: string) => matchers.some((m) => m(path)) }
  })
  return (path) => {
    for (let i = compiled.length - 1; i >= 0; i--) {
      const rule = compiled[i]!
      if (rule.matches(path)) return rule.type
    }
    return undefined
  }
}

/**
 * The one place that decides a module's content type.
 * Order: the type decided when source code imported the file, user rules, then the chunk's own format, then the exact file name, then the extension.
 * `undefined` means the type is unknown (the caller reports it).
 */
export function contentTypeFor(
  file: Pick<OutputFile, 'fileName' | 'kind' | 'format' | 'importedType'>,
  matchRule: RuleMatcher,
): ModuleContentType | false | undefined {
  if (file.importedType !== undefined) return file.importedType
  const ruled = matchRule(file.fileName)
  if (ruled !== undefined) return ruled
  const ext = posix.extname(file.fileName)
  if (file.kind === 'chunk') {
    if (ext === '.cjs') return COMMONJS
    if (ext === '.mjs') return ES_MODULE
    return file.format === 'cjs' ? COMMONJS : ES_MODULE
  }
  return NAME_TYPES[posix.basename(file.fileName)] ?? EXTENSION_TYPES[ext]
}

/**
 * Content type for a non-JavaScript import (`import wasm from './add.wasm'`) in source code,
 * or `undefined` when the bundler should handle the import itself.
 */
export function importedModuleType(
  path: string,
  matchRule: RuleMatcher,
): ModuleContentType | undefined {
  const ruled = matchRule(path)
  if (ruled !== undefined) return ruled !== false && IMPORTABLE_TYPES.has(ruled) ? ruled : undefined
  const type = EXTENSION_TYPES[posix.extname(path)]
  return type !== undefined && IMPORTABLE_TYPES.has(type) ? type : undefined
}

export function isEsModuleType(type: string): boolean {
  return type === ES_MODULE || type === 'text/javascript+module'
}
