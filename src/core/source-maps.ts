import type { RawSourceMap } from './types.js'

/** Removes the leading `./` and `../` segments the platform cannot resolve (as wrangler does). */
function stripRelativePrefix(path: string): string {
  return path.replace(/^(?:\.\.?\/)+/, '')
}

export function parseSourceMap(map: RawSourceMap | string): RawSourceMap {
  return typeof map === 'string' ? (JSON.parse(map) as RawSourceMap) : map
}

/**
 * Rewrites a chunk's map for upload: `file` names the module it belongs to and
 * `sources` carry no `./` or `../` prefixes. Everything else (sourcesContent, names) is kept.
 */
export function rewriteSourceMap(map: RawSourceMap | string, moduleName: string): string {
  const parsed = parseSourceMap(map)
  const rewritten: RawSourceMap = {
    ...parsed,
    file: moduleName,
    sources: parsed.sources.map((source) => (source === null ? null : stripRelativePrefix(source))),
  }
  if (typeof parsed.sourceRoot === 'string') rewritten.sourceRoot = stripRelativePrefix(parsed.sourceRoot)
  return JSON.stringify(rewritten)
}

const INLINE_MAP = /\/\/[#@] sourceMappingURL=data:application\/json(?:;charset=[\w-]+)?;base64,([A-Za-z0-9+/=]+)\s*$/

/**
 * Decodes a map the bundler inlined into its own output (`sourcemap: 'inline'`), for
 * bundlers whose output list has no separate map for it. Only the trailing comment the
 * bundler itself wrote is read.
 */
export function inlineSourceMap(code: string): RawSourceMap | undefined {
  const match = INLINE_MAP.exec(code)
  if (!match) return undefined
  return JSON.parse(Buffer.from(match[1]!, 'base64').toString('utf8')) as RawSourceMap
}
