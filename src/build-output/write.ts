import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AssetsManifest } from '../assets/manifest.js'
import { WorkersVersionError } from '../core/errors.js'
import type { WorkerModule } from '../core/types.js'
import type { VersionConfig } from '../options/version-schema.js'
import { workerConfigOf } from './from-version.js'
import {
  buildOutputRoot,
  DEFAULT_WORKER_DIRECTORY,
  ROOT_CONFIG_FILE,
  WORKER_CONFIG_FILE,
  workerDirectory,
  type BuildOutputVersion,
} from './layout.js'
import { manifestTypeOfContentType } from './module-types.js'
import type { BundleManifest, RootConfigV0, RootConfigV1 } from './types.js'

/** One built Worker, as `buildOutput: true` writes it. */
export interface BuildOutputSource {
  projectRoot: string
  version: BuildOutputVersion
  /** The build's entry Worker goes to `workers/default` and starts a fresh tree; any other to a directory of its own. */
  entry: boolean
  /** The Worker's name (`worker`, or the wrangler config's `name`). */
  name: string | undefined
  mainModule: string
  /** The version's modules; `_headers`/`_redirects` taken from the assets go back among the assets. */
  modules: readonly WorkerModule[]
  /** The dry run's config: secret values are placeholders here, and are written only as `{ type: "secret" }`. */
  config: VersionConfig
  /** Secrets kept from the deployed version. */
  inherit: readonly string[]
  assets?: AssetsManifest
}

/** What Cloudflare's tools accept as a directory name (Windows included), lower-cased like theirs. */
function directoryNameOf(name: string): string {
  // Control characters are refused by Cloudflare's tools in names, as are these.
  const safe = [...name.toLowerCase()]
    .map((c) => (c.charCodeAt(0) < 0x20 ? '-' : c))
    .join('')
    .replace(/[\s<>:"/\\|?*]+|\.+$/g, '-')
  return /^(?:con|prn|aux|nul|com\d|lpt\d)(?:\.|$)/.test(safe) ? `_${safe}` : safe
}

const PACKAGE_NAME = 'unplugin-workers-version'

/** This package's version, for v1's `producer`: from its package.json, found above this file in src/ and in dist/ alike. */
function ownVersion(): string {
  for (
    let dir = dirname(fileURLToPath(import.meta.url));
    dir !== dirname(dir);
    dir = dirname(dir)
  ) {
    const file = join(dir, 'package.json')
    if (!existsSync(file)) continue
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
    if (pkg.name === PACKAGE_NAME && pkg.version) return pkg.version
  }
  return '0.0.0'
}

function rootConfigOf(version: BuildOutputVersion): RootConfigV0 | RootConfigV1 {
  const buildContext = { isPreview: false }
  return version === 'v0'
    ? { buildContext }
    : { producer: { name: PACKAGE_NAME, version: ownVersion() }, buildContext }
}

function writeFile(file: string, contents: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, contents)
}

/**
 * Writes the Worker into `.cloudflare/output/<version>` beside the dry run's `request.json`: v0 as
 * @cloudflare/vite-plugin 1.64 reads it, v1 as wrangler 4.164 writes it for `cf`: `config.json`, then
 * `workers/<dir>/worker.config.json` with a complete manifest, `bundle/` and `assets/`.
 * Returns the Worker's directory.
 */
export function writeBuildOutput(source: BuildOutputSource): string {
  if (!source.name) {
    throw new WorkersVersionError(
      'INVALID_BUILD_OUTPUT',
      'buildOutput: Build Output names its Worker; set the `worker` option or `name` in the wrangler config.',
    )
  }
  const name = source.name
  const root = buildOutputRoot(source.projectRoot)
  const versionDir = join(root, source.version)
  if (source.entry) {
    // A stale file (or a second version directory) would be deployed with it: the tree is rebuilt whole.
    rmSync(root, { recursive: true, force: true })
    writeFile(join(versionDir, ROOT_CONFIG_FILE), JSON.stringify(rootConfigOf(source.version)))
  }
  const dir = workerDirectory(
    versionDir,
    source.entry ? DEFAULT_WORKER_DIRECTORY : directoryNameOf(name),
  )
  const fromAssets = new Set([
    source.assets?.headers !== undefined && '_headers',
    source.assets?.redirects !== undefined && '_redirects',
  ])
  const manifest: BundleManifest = { type: 'complete', mainModule: source.mainModule, modules: {} }
  const untyped: string[] = []
  for (const module of source.modules) {
    if (fromAssets.has(module.name)) continue
    const type = manifestTypeOfContentType(module.content_type)
    if (type === undefined) untyped.push(`${module.name} (${module.content_type})`)
    else manifest.modules[module.name] = { type }
    writeFile(join(dir, 'bundle', ...module.name.split('/')), module.contents)
  }
  if (untyped.length > 0)
    throw new WorkersVersionError(
      'INVALID_BUILD_OUTPUT',
      `buildOutput: these modules have no Build Output module type: ${untyped.join(', ')}.`,
    )
  writeFile(
    join(dir, WORKER_CONFIG_FILE),
    JSON.stringify({ ...workerConfigOf(name, source.config, source.inherit), manifest }),
  )
  if (source.assets) {
    const assets = join(dir, 'assets')
    mkdirSync(assets, { recursive: true })
    for (const file of source.assets.files) {
      const target = join(assets, ...file.key.slice(1).split('/'))
      mkdirSync(dirname(target), { recursive: true })
      copyFileSync(file.path, target)
    }
    if (source.assets.headers !== undefined)
      writeFile(join(assets, '_headers'), source.assets.headers)
    if (source.assets.redirects !== undefined)
      writeFile(join(assets, '_redirects'), source.assets.redirects)
  }
  return dir
}
