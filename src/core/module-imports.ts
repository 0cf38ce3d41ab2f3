import { posix } from 'node:path'

/**
 * Non-JavaScript imports (`import wasm from './add.wasm'`) stay imports in the output:
 * the bundler marks them external under a placeholder specifier, the file is emitted
 * beside the chunks, and once file names are final the placeholder becomes the relative
 * path from the importing chunk. This keeps each such file its own Workers module.
 */
const PLACEHOLDER = /__WORKERS_MODULE_(\d+)__/g

export function placeholderFor(index: number): string {
  return `__WORKERS_MODULE_${index}__`
}

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
  if (!code.includes('__WORKERS_MODULE_')) return []
  return [...code.matchAll(PLACEHOLDER)].map((m) => ({ start: m.index, end: m.index + m[0].length, index: Number(m[1]) }))
}

/** Strips a query or hash a bundler may have appended to an import (`./x.wasm?module`). */
export function stripQuery(specifier: string): string {
  return specifier.replace(/[?#].*$/, '')
}
