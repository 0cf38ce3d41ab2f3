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
  const matcher = ignore().add([`/${ASSETS_IGNORE_FILE}`, `/${HEADERS_FILE}`, `/${REDIRECTS_FILE}`])
  const own = await readFile(join(root, ASSETS_IGNORE_FILE), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (own !== undefined) matcher.add(own.split(/\r?\n/))
  return {
    ignoresFile: (rel) => matcher.ignores(rel),
    // The trailing slash makes `dir/` patterns match; gitignore cannot re-include a file below an
    // ignored directory, so not descending gives the same result as testing every file.
    ignoresDirectory: (rel) => matcher.ignores(`${rel}/`),
  }
}

/**
 * `assets.allowDotfiles`: which private-looking entries the user has said are public, in the same
 * gitignore syntax. A pattern naming a directory allows everything below it.
 */
export function createAllowList(patterns: readonly string[]): (rel: string, kind: 'file' | 'directory') => boolean {
  if (patterns.length === 0) return () => false
  const matcher = ignore().add([...patterns])
  return (rel, kind) => matcher.ignores(kind === 'directory' ? `${rel}/` : rel)
}
