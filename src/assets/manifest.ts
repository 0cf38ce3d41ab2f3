/**
 * Reads a static assets directory into the manifest the assets-upload-session endpoint takes:
 * every file keyed by `"/" + posix relative path`, with wrangler's hash and its size.
 * All checks (missing directory, file too large, too many files) happen here, before any request.
 */
import { DEFAULTS } from '../options/defaults.js'
import { lstatSync, readdirSync } from 'node:fs'
import { lstat, readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { WorkersVersionError } from '../core/errors.js'
import { plural } from '../core/plural.js'
import { AssetHasher } from './hash.js'
import {
  createAllowList,
  createAssetsIgnore,
  HEADERS_FILE,
  REDIRECTS_FILE,
  type AssetsIgnore,
} from './ignore.js'
import { formatBinaryBytes as formatBytes } from '../report/format.js'
import { isPrivateName } from './private-files.js'

export { assertAssetsDirectoryPlacement } from './placement.js'

/** The per-file limit of Workers static assets. */
const MAX_ASSET_FILE_BYTES = 25 * 1024 * 1024
/** Files hashed at once: enough to keep the disk and the hasher busy. */
const DEFAULT_CONCURRENCY = 8

/**
 * One file of the manifest. A class, not a plain object, so that `path` is computed from the
 * directory and the key instead of being one more string per file held for the whole upload.
 */
export class AssetFile {
  hash = ''
  constructor(
    /** Manifest key: `"/" + posix path relative to the directory`. */
    readonly key: string,
    readonly size: number,
    private readonly root: string,
  ) {}

  /** Absolute path on disk, read again only when the file's bucket is uploaded. */
  get path(): string {
    return join(this.root, ...this.key.slice(1).split('/'))
  }
}

export interface AssetsManifest {
  /** Absolute assets directory. */
  directory: string
  /** Sorted by key. */
  files: AssetFile[]
  /** Contents of `_headers` / `_redirects` at the top of the directory; they go into the version as `text/plain` modules of those names. */
  headers?: string
  redirects?: string
}

export interface ReadAssetsOptions {
  /** Default `DEFAULTS.assetsMaxFiles`, the Free plan's file-count limit (Paid allows 100,000). */
  maxFiles?: number
  /** Default 25 MiB (the platform's limit). */
  maxFileBytes?: number
  /** Files hashed at once. Default 8. */
  concurrency?: number
  /** `assets.allowDotfiles`: private-looking files and directories (gitignore syntax) that are meant to be public. */
  allowDotfiles?: readonly string[]
}

/** The JSON the API takes: `{ [key]: { hash, size } }`. Also what a dry run writes to `assets-manifest.json`. */
export function manifestBody(
  manifest: AssetsManifest,
): Record<string, { hash: string; size: number }> {
  const body: Record<string, { hash: string; size: number }> = {}
  for (const file of manifest.files) body[file.key] = { hash: file.hash, size: file.size }
  return body
}

/**
 * `{"manifest": manifestBody(manifest)}` as JSON bytes, written piece by piece: for 20,000 files
 * the intermediate object of {@link manifestBody} would be 20,000 more objects at the peak.
 */
export function manifestRequestJson(manifest: AssetsManifest): Buffer {
  const parts: string[] = []
  for (const file of manifest.files)
    parts.push(
      `${JSON.stringify(file.key)}:{"hash":${JSON.stringify(file.hash)},"size":${file.size}}`,
    )
  return Buffer.from(`{"manifest":{${parts.join(',')}}}`)
}

export async function readAssetsDirectory(
  directory: string,
  options: ReadAssetsOptions = {},
): Promise<AssetsManifest> {
  const root = resolve(directory)
  const maxFiles = options.maxFiles ?? DEFAULTS.assetsMaxFiles
  const maxFileBytes = options.maxFileBytes ?? MAX_ASSET_FILE_BYTES
  await assertDirectory(root, directory)

  const ignore = await createAssetsIgnore(root)
  const allowed = createAllowList(options.allowDotfiles ?? [])
  const { files, refused } = listFiles(
    root,
    ignore,
    { maxFiles, maxFileBytes, directory },
    (rel, name, kind) => isPrivateName(name, kind) && !allowed(rel, kind),
  )
  if (refused.length > 0) throw privateFilesError(directory, refused)
  await hashAll(files, Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY))
  files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))

  const manifest: AssetsManifest = { directory: root, files }
  const headers = await readOptional(join(root, HEADERS_FILE))
  const redirects = await readOptional(join(root, REDIRECTS_FILE))
  if (headers !== undefined) manifest.headers = headers
  if (redirects !== undefined) manifest.redirects = redirects
  return manifest
}

async function assertDirectory(root: string, given: string): Promise<void> {
  let info
  try {
    info = await stat(root)
  } catch {
    throw new WorkersVersionError(
      'ASSETS_DIRECTORY_MISSING',
      `The assets directory ${given} does not exist. Build the client first, or point the assets directory at the folder that holds the built files.`,
    )
  }
  if (!info.isDirectory()) {
    throw new WorkersVersionError(
      'ASSETS_NOT_A_DIRECTORY',
      `The assets directory ${given} is a file, not a directory. Point it at the folder that holds the built files.`,
    )
  }
}

/** Lists at most this many refused paths; the rest are counted. */
const LISTED_REFUSALS = 20

function privateFilesError(directory: string, refused: string[]): WorkersVersionError {
  const listed = refused.slice(0, LISTED_REFUSALS).join(', ')
  const more =
    refused.length > LISTED_REFUSALS ? ` and ${refused.length - LISTED_REFUSALS} more` : ''
  return new WorkersVersionError(
    'ASSETS_PRIVATE_FILES',
    `The assets directory ${directory} holds files that look like credentials or are not meant to be public, and every file there becomes a public URL: ${listed}${more}. ` +
      `Remove them from the build output, or list them in ${directory}/.assetsignore; if they really are meant to be public, name them in \`assets.allowDotfiles\`.`,
  )
}

/**
 * Walks the tree one directory at a time. Symlinks (to files or directories) are skipped, and so
 * are ignored directories, without descending into them. Limits are checked as files are found,
 * so a directory with far too many files fails early. Private-looking entries that are not
 * ignored are collected (a directory once, not descended into), so one error can list them all.
 */
function listFiles(
  root: string,
  ignore: AssetsIgnore,
  limits: { maxFiles: number; maxFileBytes: number; directory: string },
  isRefused: (rel: string, name: string, kind: 'file' | 'directory') => boolean,
): { files: AssetFile[]; refused: string[] } {
  const files: AssetFile[] = []
  const refused: string[] = []
  const pending = [''] // posix paths relative to root; '' is root itself
  for (let dirRel = pending.pop(); dirRel !== undefined; dirRel = pending.pop()) {
    // Sync on purpose: one directory listing and one lstat per file, no thread-pool round trips.
    for (const entry of withinPathLimits(
      () => readdirSync(dirRel === '' ? root : join(root, dirRel), { withFileTypes: true }),
      dirRel,
      limits.directory,
    )) {
      const rel = dirRel === '' ? entry.name : `${dirRel}/${entry.name}`
      const path = join(root, rel)
      if (entry.isSymbolicLink()) continue
      if (entry.isDirectory()) {
        if (ignore.ignoresDirectory(rel)) continue
        if (isRefused(rel, entry.name, 'directory')) refused.push(`${rel}/`)
        else pending.push(rel)
        continue
      }
      if (!entry.isFile() || ignore.ignoresFile(rel)) continue
      if (isRefused(rel, entry.name, 'file')) {
        refused.push(rel)
        continue
      }
      const { size } = withinPathLimits(() => lstatSync(path), rel, limits.directory)
      if (size > limits.maxFileBytes) {
        throw new WorkersVersionError(
          'ASSETS_FILE_TOO_LARGE',
          `The asset ${rel} in ${limits.directory} is ${formatBytes(size)}; Workers static assets allow at most ${formatBytes(limits.maxFileBytes)} per file. Split or compress it, or list it in ${limits.directory}/.assetsignore.`,
        )
      }
      files.push(new AssetFile(`/${rel}`, size, root))
      if (files.length > limits.maxFiles) {
        throw new WorkersVersionError(
          'ASSETS_TOO_MANY_FILES',
          `The assets directory ${limits.directory} holds more than ${plural(limits.maxFiles, 'file')}, the \`assets.maxFiles\` limit. Ignore what is not served in ${limits.directory}/.assetsignore, or raise \`assets.maxFiles\` if your plan allows more (Paid: 100,000).`,
        )
      }
    }
  }
  return { files, refused: refused.sort() }
}

/**
 * Runs a file system call on `rel`; a path the system cannot open (ENAMETOOLONG: a tree thousands
 * of levels deep) becomes an error naming the assets directory and the depth, not a bare code.
 */
function withinPathLimits<T>(call: () => T, rel: string, directory: string): T {
  try {
    return call()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENAMETOOLONG') throw error
    const depth = rel.split('/').length
    throw new WorkersVersionError(
      'ASSETS_PATH_TOO_LONG',
      `The assets directory ${directory} holds a path too long for the file system to open: ${depth.toLocaleString('en-US')} directories deep, ${rel.length.toLocaleString('en-US')} characters (it starts ${JSON.stringify(rel.slice(0, 60))}). ` +
        `No site serves such URLs: remove that tree from the build output, or list its top directory in ${directory}/.assetsignore.`,
    )
  }
}

/** A fixed pool of workers, each with its own hasher, each holding at most one file (or one chunk) at a time. */
async function hashAll(files: AssetFile[], concurrency: number): Promise<void> {
  let next = 0
  const worker = async () => {
    const hasher = await AssetHasher.create()
    for (let i = next++; i < files.length; i = next++) {
      const file = files[i] as AssetFile
      file.hash = await hasher.hashFile(file.path, file.size)
    }
  }
  await Promise.all(
    Array.from({ length: Math.min(concurrency, Math.max(1, files.length)) }, worker),
  )
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    const info = await lstat(path)
    return info.isFile() ? await readFile(path, 'utf8') : undefined
  } catch {
    return undefined
  }
}
