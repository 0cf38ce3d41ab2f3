import { WorkersVersionError } from '../core/errors.js'
import { clip, isRecord } from '../core/guards.js'
import type { OutputFile, RawSourceMap } from '../core/types.js'

/** Removes the leading `./` and `../` segments the platform cannot resolve (as wrangler does). */
function stripRelativePrefix(path: string): string {
  return path.replace(/^(?:\.\.?\/)+/, '')
}

/**
 * A map's JSON text as an object. Text that is not a usable map (invalid
 * JSON, no `sources`) is returned as it is: the adapters that call this do not
 * know which chunk it belongs to, and `rewriteSourceMap` reports it with the
 * chunk's and the map's names, which a bare SyntaxError here could not.
 */
export function parseSourceMap(map: RawSourceMap | string): RawSourceMap | string {
  if (typeof map !== 'string') return map
  try {
    const parsed: unknown = JSON.parse(map)
    return mapProblem(parsed) === undefined ? (parsed as RawSourceMap) : map
  } catch {
    return map
  }
}

/** Where a map came from, for messages: the chunk it belongs to and, if any, its own file. */
export interface SourceMapOrigin {
  /** Output file name of the chunk, e.g. `worker/index.js`. */
  chunk: string
  /** Output file name of the map, when the bundler emitted one (`worker/index.js.map`). */
  mapFile?: string | undefined
}

/**
 * Rewrites a chunk's map for upload: `file` names the module it belongs to and
 * `sources` carry no `./` or `../` prefixes. Everything else (sourcesContent, names) is kept.
 * A map that is not valid JSON, or has no `sources` array, is an INVALID_SOURCE_MAP
 * error naming the chunk and the map file.
 */
export function rewriteSourceMap(
  map: RawSourceMap | string,
  moduleName: string,
  origin: SourceMapOrigin = { chunk: moduleName },
): string {
  const parsed = readMap(map, origin)
  const sources = parsed.sources.map((source) =>
    source === null ? null : stripRelativePrefix(source),
  )
  const sourceRoot =
    typeof parsed.sourceRoot === 'string' ? stripRelativePrefix(parsed.sourceRoot) : undefined
  if (typeof map === 'string') {
    const spliced = spliceMembers(map, { file: moduleName, sources, sourceRoot })
    if (spliced !== undefined) return spliced
  }
  const rewritten: RawSourceMap = { ...parsed, file: moduleName, sources }
  if (sourceRoot !== undefined) rewritten.sourceRoot = sourceRoot
  return JSON.stringify(rewritten)
}

/**
 * The map's text with only the given top-level members' values replaced (a missing `file` is
 * added), the rest passed on as written: re-serialising a map of megabytes (its sourcesContent
 * and mappings) costs more than the build's own work on it. Called only with text that parsed as
 * JSON, so the scan need not validate; undefined (the caller serialises the parsed map) when a
 * replaced member appears twice, where JSON.parse keeps the last and the text both.
 */
function spliceMembers(
  text: string,
  members: { file: string; sources: (string | null)[]; sourceRoot: string | undefined },
): string | undefined {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0
  const spans = topLevelSpans(text, start)
  if (spans === undefined) return undefined
  const replaced: Array<[from: number, to: number, json: string]> = []
  const file = spans.get('file')
  const fileJson = JSON.stringify(members.file)
  if (file) replaced.push([file[0], file[1], fileJson])
  const sources = spans.get('sources')
  if (!sources) return undefined
  replaced.push([sources[0], sources[1], JSON.stringify(members.sources)])
  const root = spans.get('sourceRoot')
  if (root && members.sourceRoot !== undefined)
    replaced.push([root[0], root[1], JSON.stringify(members.sourceRoot)])
  replaced.sort((a, b) => a[0] - b[0])
  const open = text.indexOf('{', start) + 1
  let out = file ? text.slice(start, open) : `${text.slice(start, open)}"file":${fileJson},`
  let at = open
  for (const [from, to, json] of replaced) {
    out += text.slice(at, from) + json
    at = to
  }
  return out + text.slice(at)
}

/** Where each top-level member's value starts and ends in JSON text known to be valid; undefined on a repeated key. */
function topLevelSpans(text: string, start: number): Map<string, [number, number]> | undefined {
  const spans = new Map<string, [number, number]>()
  let i = skipSpace(text, start)
  if (text[i] !== '{') return undefined
  i = skipSpace(text, i + 1)
  while (text[i] === '"') {
    const keyEnd = stringEnd(text, i)
    const key = JSON.parse(text.slice(i, keyEnd)) as string
    const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1)
    const valueEnd = valueEndAt(text, valueStart)
    if (spans.has(key)) return undefined
    spans.set(key, [valueStart, valueEnd])
    i = skipSpace(text, valueEnd)
    if (text[i] === ',') i = skipSpace(text, i + 1)
  }
  return spans
}

function skipSpace(text: string, i: number): number {
  while (
    i < text.length &&
    (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')
  )
    i++
  return i
}

/** The index after the closing quote of the string that opens at `i`. */
function stringEnd(text: string, i: number): number {
  for (let quote = text.indexOf('"', i + 1); ; quote = text.indexOf('"', quote + 1)) {
    if (quote < 0) return text.length
    let backslashes = 0
    while (text[quote - 1 - backslashes] === '\\') backslashes++
    if (backslashes % 2 === 0) return quote + 1
  }
}

/** The index after the value that starts at `i`. */
function valueEndAt(text: string, i: number): number {
  const first = text[i]
  if (first === '"') return stringEnd(text, i)
  if (first !== '{' && first !== '[') {
    let end = i
    while (end < text.length && !',}] \n\r\t'.includes(text[end]!)) end++
    return end
  }
  let depth = 0
  for (let at = i; at < text.length;) {
    const c = text[at]
    if (c === '"') {
      at = stringEnd(text, at)
      continue
    }
    if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') {
      depth--
      if (depth === 0) return at + 1
    }
    at++
  }
  return text.length
}

function readMap(map: RawSourceMap | string, origin: SourceMapOrigin): RawSourceMap {
  let parsed: unknown = map
  if (typeof map === 'string') {
    try {
      parsed = JSON.parse(map.replace(/^\uFEFF/, ''))
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw invalidMap(origin, `is not valid JSON (${clip(reason, 120)})`)
    }
  }
  const problem = mapProblem(parsed)
  if (problem) throw invalidMap(origin, problem)
  return parsed as RawSourceMap
}

/** What makes a parsed value unusable as a map; undefined when it is usable. */
function mapProblem(value: unknown): string | undefined {
  if (!isRecord(value))
    return `is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}, not a source map object`
  if (!Array.isArray(value.sources))
    return value.sources === undefined ? 'has no `sources` array' : '`sources` is not an array'
  const bad = value.sources.findIndex((source) => source !== null && typeof source !== 'string')
  if (bad >= 0) return `\`sources[${bad}]\` is ${typeof value.sources[bad]}, not a string`
  return undefined
}

function invalidMap(origin: SourceMapOrigin, problem: string): WorkersVersionError {
  const which = origin.mapFile
    ? `The source map "${origin.mapFile}" of chunk "${origin.chunk}"`
    : `The source map of chunk "${origin.chunk}"`
  return new WorkersVersionError(
    'INVALID_SOURCE_MAP',
    `${which} ${problem}. Fix the plugin or step that writes it, or set \`sourcemaps: false\` to create the version without source maps.`,
  )
}

const INLINE_MAP =
  /\/\/[#@] sourceMappingURL=data:application\/json(?:;charset=[\w-]+)?;base64,([A-Za-z0-9+/=]+)\s*$/

/**
 * Decodes a map the bundler inlined into its own output (`sourcemap: 'inline'`), for
 * bundlers whose output list has no separate map for it. Only the trailing comment the
 * bundler itself wrote is read. A comment whose content is not a usable map comes back
 * as its text, for `rewriteSourceMap` to report with the chunk's name.
 */
export function inlineSourceMap(code: string): RawSourceMap | string | undefined {
  const match = INLINE_MAP.exec(code)
  if (!match) return undefined
  return parseSourceMap(Buffer.from(match[1]!, 'base64').toString('utf8'))
}

const LINK = Buffer.from('//# sourceMappingURL=')

/**
 * Whether a chunk's code links its map by a trailing `//# sourceMappingURL=<file>` comment, the
 * way wrangler finds the maps it sends when `upload_source_maps` is unset: the last such comment,
 * followed only by blank lines or other `//#`/`//@` comments, naming a file (not a `data:` URL).
 * Reads the code's bytes only, never the bundler's map object.
 */
export function linksSourceMap(code: Uint8Array): boolean {
  const bytes = Buffer.isBuffer(code)
    ? code
    : Buffer.from(code.buffer, code.byteOffset, code.byteLength)
  const at = bytes.lastIndexOf(LINK)
  if (at < 0 || (at > 0 && bytes[at - 1] !== 0x0a && bytes[at - 1] !== 0x0d)) return false
  const [url = '', ...after] = bytes
    .subarray(at + LINK.length)
    .toString('utf8')
    .split('\n')
  const target = url.trim()
  if (target === '' || target.startsWith('data:')) return false
  return after.every((line) => {
    const trimmed = line.trim()
    return trimmed === '' || trimmed.startsWith('//#') || trimmed.startsWith('//@')
  })
}

/**
 * Gives `file.map` a value read on first access: a bundler's map object may be built when it is
 * read (and a map file must be parsed), and a map that is not sent is never read.
 */
export function setLazyMap(file: OutputFile, read: () => OutputFile['map']): void {
  let value: OutputFile['map']
  let done = false
  Object.defineProperty(file, 'map', {
    enumerable: true,
    configurable: true,
    get: () => {
      if (!done) [value, done] = [read(), true]
      return value
    },
    set: (next: OutputFile['map']) => {
      ;[value, done] = [next, true]
    },
  })
}
