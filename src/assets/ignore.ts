/**
 * Which files of an assets directory are left out of the manifest: `.assetsignore` (gitignore
 * syntax, read by the `ignore` package as wrangler does), plus `.assetsignore`, `_headers` and
 * `_redirects` at the top of the directory.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import ignore from 'ignore'

export const ASSETS_IGNORE_FILE = '.assetsignore'
export const HEADERS_FILE = '_headers'
export const REDIRECTS_FILE = '_redirects'

export interface AssetsIgnore {
  /** `rel` is a posix path relative to the assets directory. */
  ignoresFile(rel: string): boolean
  ignoresDirectory(rel: string): boolean
}

export async function createAssetsIgnore(root: string): Promise<AssetsIgnore> {
  const own = await readFile(join(root, ASSETS_IGNORE_FILE), 'utf8').catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    },
  )
  const lines = own === undefined ? [] : own.replace(/^\uFEFF/, '').split(/\r?\n/)
  const matcher = indexedMatcher([
    `/${ASSETS_IGNORE_FILE}`,
    `/${HEADERS_FILE}`,
    `/${REDIRECTS_FILE}`,
    ...lines,
  ])
  return {
    ignoresFile: (rel) => matcher(rel),
    // The trailing slash makes `dir/` patterns match; gitignore cannot re-include a file below an
    // ignored directory, so not descending gives the same result as testing every file.
    ignoresDirectory: (rel) => matcher(`${rel}/`),
  }
}

/**
 * A pattern can match a path only at one of its levels (`a/`, `a/b/`, `a/b/c.txt`), and most can
 * say which: a literal last segment must be that level's name, `*.map` needs the extension
 * `map`, an anchored `build/**` needs the first segment `build`. Patterns are indexed by that key
 * (case-folded, as the `ignore` package compares by default); the few that cannot say are kept
 * for every path. A path is then decided by the `ignore` package over only the patterns that
 * could match it, in their order: a pattern that matches nowhere along the path never changes
 * the answer (the last matching pattern decides, and a parent's exclusion stands), so the answer
 * is the whole list's, while the work per path no longer grows with the list (an `.assetsignore`
 * of 100,000 names took minutes over a few thousand files, each file tested against every pattern).
 */
function indexedMatcher(patterns: readonly string[]): (path: string) => boolean {
  const byKey = new Map<string, number[]>()
  const everywhere: number[] = []
  patterns.forEach((pattern, index) => {
    // Blank lines and comments match nothing: left out, so that they do not join every path's list.
    if (pattern.trim() === '' || pattern.startsWith('#')) return
    const key = keyOf(pattern)
    if (key === undefined) everywhere.push(index)
    else {
      const bucket = byKey.get(key)
      if (bucket) bucket.push(index)
      else byKey.set(key, [index])
    }
  })
  const cache = new Map<string, boolean>()
  return (path) => {
    const known = cache.get(path)
    if (known !== undefined) return known
    const candidates = new Set(everywhere)
    for (const key of keysOf(path)) for (const index of byKey.get(key) ?? []) candidates.add(index)
    // The leading '' takes the first place, where `ignore` strips a byte-order mark: the file's own
    // was stripped above, and no other line may lose one.
    const ignored =
      candidates.size > 0 &&
      ignore()
        .add(['', ...[...candidates].sort((a, b) => a - b).map((index) => patterns[index]!)])
        .ignores(path)
    cache.set(path, ignored)
    return ignored
  }
}

const GLOB = /[*?[\]]/

/**
 * The key every path a pattern can match has at one of its levels, or undefined when the pattern
 * cannot say (a wildcard last and first segment, escapes, spaces: anything not plainly literal).
 */
function keyOf(pattern: string): string | undefined {
  const body = (pattern.startsWith('!') ? pattern.slice(1) : pattern).toLowerCase()
  // Only printable ASCII: the package folds case with its regular expressions' own rules, which
  // agree with toLowerCase() there.
  if (body === '' || /[^!-~]|[\\!#]/.test(body)) return undefined
  const core = body.endsWith('/') ? body.slice(0, -1) : body
  const anchored = core.startsWith('/') || core.includes('/')
  const segments = (core.startsWith('/') ? core.slice(1) : core).split('/')
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..'))
    return undefined
  const last = segments.at(-1)!
  if (!GLOB.test(last)) return `name:${last}`
  // The literal end after the last wildcard, e.g. `.min.js` in `*.min.js`: the name's extension.
  const tail = last.slice(
    Math.max(last.lastIndexOf('*'), last.lastIndexOf('?'), last.lastIndexOf(']')) + 1,
  )
  const dot = tail.lastIndexOf('.')
  if (dot !== -1 && dot < tail.length - 1) return `ext:${tail.slice(dot + 1)}`
  const first = segments[0]!
  if (anchored && segments.length > 1 && !GLOB.test(first)) return `first:${first}`
  return undefined
}

/** The keys of a path's levels: each level's name and extension, and the first segment. */
function keysOf(path: string): string[] {
  const segments = path
    .toLowerCase()
    .split('/')
    .filter((segment) => segment !== '')
  const keys = segments.length > 0 ? [`first:${segments[0]}`] : []
  for (const segment of segments) {
    keys.push(`name:${segment}`)
    const dot = segment.lastIndexOf('.')
    if (dot !== -1) keys.push(`ext:${segment.slice(dot + 1)}`)
  }
  return keys
}

/**
 * `assets.allowDotfiles`: which private-looking entries the user has said are public, in the same
 * gitignore syntax. A pattern naming a directory allows everything below it.
 */
export function createAllowList(
  patterns: readonly string[],
): (rel: string, kind: 'file' | 'directory') => boolean {
  if (patterns.length === 0) return () => false
  const matcher = ignore().add([...patterns])
  return (rel, kind) => matcher.ignores(kind === 'directory' ? `${rel}/` : rel)
}
