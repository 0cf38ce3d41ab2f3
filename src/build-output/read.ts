import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { isAbsolute, join, relative, sep } from 'node:path'
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { moduleNameProblem } from '../modules/index.js'
import { parseWranglerFile } from '../wrangler/parse.js'
import type { OutputFile } from '../core/types.js'
import {
  buildOutputRoot,
  BUILD_OUTPUT_ROOT,
  DEFAULT_WORKER_DIRECTORY,
  READABLE_VERSIONS,
  ROOT_CONFIG_FILE,
  WORKER_CONFIG_FILE,
  workerDirectory,
  type BuildOutputVersion,
} from './layout.js'
import { contentTypeOfManifestType } from './module-types.js'
import { unknownParts } from './to-wrangler.js'
import type { BundleManifest, ManifestModuleType, OutputWorkerConfig } from './types.js'

/** One Worker of a Build Output tree: its config, and its modules read from `bundle/` by the manifest. */
export interface BuildOutputWorker {
  /** Its directory under `workers/`; `default` is the entry Worker. */
  directory: string
  configFile: string
  config: OutputWorkerConfig
  /** Absolute; none for an assets-only Worker. */
  bundleDir?: string
  /** Absolute, when the Worker has static assets. */
  assetsDir?: string
  /** The modules, as the bundler adapters hand files over (the manifest decides each type). */
  files: OutputFile[]
}

export interface BuildOutputTree {
  version: BuildOutputVersion
  /** Absolute path of `.cloudflare/output/<version>`. */
  dir: string
  /** The default Worker first. */
  workers: BuildOutputWorker[]
}

/** Keys of the root `config.json`, per version: any other key is a format this plugin does not know. */
const ROOT_KEYS: Record<BuildOutputVersion, ReadonlySet<string>> = {
  v0: new Set(['accountId', 'complianceRegion', 'buildContext']),
  // v1 nests the account settings under `settings` and may name the tool that wrote it (workers-sdk #16917).
  v1: new Set(['settings', 'producer', 'buildContext']),
}

function fail(message: string): never {
  throw new WorkersVersionError('INVALID_BUILD_OUTPUT', `Build Output: ${message}`)
}

/**
 * The version directory under `.cloudflare/output/`, when there is one. An unknown version, or
 * more than one, is an error that names them: reading a format by guesswork would ship whatever
 * the guess got wrong.
 */
export function findBuildOutput(
  projectRoot: string,
): { version: BuildOutputVersion; dir: string } | undefined {
  const root = buildOutputRoot(projectRoot)
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
  const unknown = versions.filter(
    (name) => !(READABLE_VERSIONS as readonly string[]).includes(name),
  )
  if (unknown.length > 0) {
    fail(
      `${unknown.map((name) => `${BUILD_OUTPUT_ROOT}/${name}`).join(', ')} in ${projectRoot} is a version this plugin does not read (it reads ${READABLE_VERSIONS.join(' and ')}). ` +
        'Update unplugin-workers-version, or delete the directory if an older tool left it behind.',
    )
  }
  if (versions.length > 1)
    fail(
      `${versions.map((name) => `${BUILD_OUTPUT_ROOT}/${name}`).join(' and ')} are both in ${projectRoot}; delete the stale one.`,
    )
  if (versions.length === 0) return undefined
  return { version: versions[0] as BuildOutputVersion, dir: join(root, versions[0]!) }
}

/**
 * A JSON file of the tree, read with the wrangler config reader's bounds (size, nesting, keys per
 * object), which also stop at the first problem: one line however large or deep the file is.
 */
function readJson(file: string): Record<string, unknown> {
  if (!existsSync(file)) fail(`${file} is missing.`)
  try {
    return parseWranglerFile(file)
  } catch (error) {
    if (error instanceof WorkersVersionError && error.code === 'INVALID_WRANGLER_CONFIG')
      fail(error.message)
    throw error
  }
}

/**
 * A Worker's `worker.config.json`, checked whole: its required fields, its bindings' shape, and no
 * field or binding type this plugin does not know. Whatever it cannot send is an error here,
 * before anything is written or sent: a Worker deployed without a binding its code uses fails at
 * run time, in production.
 */
export function readWorkerConfigFile(configFile: string): OutputWorkerConfig {
  const config = readJson(configFile)
  for (const key of ['name', 'compatibilityDate']) {
    if (typeof config[key] !== 'string') fail(`${configFile}: \`${key}\` must be a string.`)
  }
  if (
    config.env !== undefined &&
    (!isRecord(config.env) ||
      !Object.values(config.env).every((b) => isRecord(b) && typeof b.type === 'string'))
  ) {
    fail(`${configFile}: \`env\` must map each binding name to an object with a \`type\`.`)
  }
  const unknown = unknownParts(config as OutputWorkerConfig)
  if (unknown.length > 0) {
    fail(
      `${configFile}: ${clippedList(unknown)} ${unknown.length === 1 ? 'is' : 'are'} not part of the format this plugin reads, so nothing was sent. ` +
        `A newer tool may have written ${unknown.length === 1 ? 'it' : 'them'}: update unplugin-workers-version, or remove ${unknown.length === 1 ? 'it' : 'them'} if the Worker does not need ${unknown.length === 1 ? 'it' : 'them'}.`,
    )
  }
  return config as OutputWorkerConfig
}

/** At most a few names, each clipped: a config of 10,000 unknown keys is still one short line. */
function clippedList(names: readonly string[], shown = 5): string {
  const clip = (name: string) => (name.length > 80 ? `${name.slice(0, 77)}…` : name)
  const head = names.slice(0, shown).map(clip).join(', ')
  return names.length > shown
    ? `${head} and ${(names.length - shown).toLocaleString('en-US')} more`
    : head
}

/** A path of the tree must resolve inside the project: a link out of it would ship whatever it points at. */
function insideProject(path: string, projectReal: string): void {
  let real: string
  try {
    real = realpathSync(path)
  } catch (error) {
    return fail(
      `${path} cannot be resolved (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
    )
  }
  const rel = relative(projectReal, real)
  if (rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))) return
  fail(
    `${path} resolves to ${real}, outside the project ${projectReal}; Build Output must be self-contained.`,
  )
}

function checkRootConfig(dir: string, version: BuildOutputVersion): void {
  const file = join(dir, ROOT_CONFIG_FILE)
  const config = readJson(file)
  if ('version' in config && config.version !== version)
    fail(
      `${file} declares version ${JSON.stringify(config.version)}, which this plugin does not read in ${BUILD_OUTPUT_ROOT}/${version}.`,
    )
  const unknown = Object.keys(config).filter(
    (key) => key !== 'version' && !ROOT_KEYS[version].has(key),
  )
  if (unknown.length > 0)
    fail(
      `${file} has fields this plugin does not know for ${version}: ${unknown.join(', ')}. It may have been written by a newer tool.`,
    )
}

/** The whole tree: every Worker directory, the default one first. Throws `INVALID_BUILD_OUTPUT` on anything it cannot read exactly. */
export function readBuildOutput(projectRoot: string): BuildOutputTree {
  const found = findBuildOutput(projectRoot)
  if (!found) fail(`no ${BUILD_OUTPUT_ROOT}/<version> directory in ${projectRoot}.`)
  const projectReal = realpathSync(projectRoot)
  const workersDir = join(found.dir, 'workers')
  // Every directory on the way, each Worker's included: any of them may be a link.
  for (const dir of [buildOutputRoot(projectRoot), found.dir, join(found.dir, ROOT_CONFIG_FILE)])
    if (existsSync(dir)) insideProject(dir, projectReal)
  checkRootConfig(found.dir, found.version)
  if (!existsSync(join(workersDir, DEFAULT_WORKER_DIRECTORY)))
    fail(`${workersDir} has no "${DEFAULT_WORKER_DIRECTORY}" Worker.`)
  insideProject(workersDir, projectReal)
  // Directories, and links (to anything): a link is followed only to check where it leads, and a
  // Worker directory that is one is refused below. Plain files (a `.DS_Store`) are no Worker.
  const entries = readdirSync(workersDir, { withFileTypes: true }).filter(
    (entry) => entry.isDirectory() || entry.isSymbolicLink(),
  )
  for (const entry of entries) insideProject(join(workersDir, entry.name), projectReal)
  const others = entries
    .map((entry) => entry.name)
    .filter((name) => name !== DEFAULT_WORKER_DIRECTORY)
    .sort()
  const workers = [DEFAULT_WORKER_DIRECTORY, ...others].map((name) =>
    readWorker(workerDirectory(found.dir, name), name),
  )
  refuseSharedNames(workers)
  return { version: found.version, dir: found.dir, workers }
}

/** Two directories that name one Worker would upload to it twice at once, the second replacing the first. */
function refuseSharedNames(workers: readonly BuildOutputWorker[]): void {
  const byName = new Map<string, string[]>()
  for (const worker of workers)
    byName.set(worker.config.name, [...(byName.get(worker.config.name) ?? []), worker.directory])
  const shared = [...byName].filter(([, directories]) => directories.length > 1)
  if (shared.length === 0) return
  const [name, directories] = shared[0]!
  fail(
    `workers/${directories.join(' and workers/')} both name Worker ${JSON.stringify(name)}; each Worker directory must name its own Worker.`,
  )
}

function readWorker(dir: string, directory: string): BuildOutputWorker {
  // A Worker directory that is a link (even to a place inside the project) is refused with the links inside it.
  if (lstatSync(dir).isSymbolicLink())
    fail(`${dir} is a symlink; Build Output must be self-contained.`)
  rejectSymlinks(dir)
  const configFile = join(dir, WORKER_CONFIG_FILE)
  const config = readWorkerConfigFile(configFile)
  const bundleDir = existsSync(join(dir, 'bundle')) ? join(dir, 'bundle') : undefined
  const assetsDir = existsSync(join(dir, 'assets')) ? join(dir, 'assets') : undefined
  if (!bundleDir && !assetsDir) fail(`${dir} has neither bundle/ nor assets/.`)
  const { manifest, ...rest } = config as OutputWorkerConfig
  if (bundleDir && manifest === undefined) fail(`${configFile} has a bundle/ but no \`manifest\`.`)
  const files = bundleDir
    ? bundleFiles(bundleDir, checkManifest(manifest, configFile), configFile)
    : []
  return { directory, configFile, config: rest, bundleDir, assetsDir, files }
}

function rejectSymlinks(dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isSymbolicLink())
      fail(
        `${join(entry.parentPath, entry.name)} is a symlink; Build Output must be self-contained.`,
      )
  }
}

const MANIFEST_TYPES = new Set<string>([
  'esm',
  'cjs',
  'python',
  'python-requirement',
  'wasm',
  'text',
  'data',
  'json',
  'sourcemap',
])

function checkManifest(manifest: unknown, configFile: string): BundleManifest {
  if (
    !isRecord(manifest) ||
    (manifest.type !== 'partial' && manifest.type !== 'complete') ||
    typeof manifest.mainModule !== 'string' ||
    !isRecord(manifest.modules)
  ) {
    fail(
      `${configFile}: \`manifest\` must be { type: "partial" | "complete", mainModule, modules }.`,
    )
  }
  for (const [name, entry] of Object.entries(manifest.modules)) {
    if (!isRecord(entry) || typeof entry.type !== 'string' || !MANIFEST_TYPES.has(entry.type)) {
      fail(`${configFile}: module "${name}" has no known type (${[...MANIFEST_TYPES].join(', ')}).`)
    }
  }
  return manifest as unknown as BundleManifest
}

/** What a partial manifest leaves to the files: `.js`/`.mjs` are ES modules, `.map` source maps. */
function inferredModules(bundleDir: string): Record<string, { type: ManifestModuleType }> {
  const modules: Record<string, { type: ManifestModuleType }> = {}
  for (const entry of readdirSync(bundleDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const name = relative(bundleDir, join(entry.parentPath, entry.name)).split(sep).join('/')
    if (/\.m?js$/.test(name)) modules[name] = { type: 'esm' }
    else if (name.endsWith('.map')) modules[name] = { type: 'sourcemap' }
  }
  return modules
}

function bundleFiles(
  bundleDir: string,
  manifest: BundleManifest,
  configFile: string,
): OutputFile[] {
  const listed =
    manifest.type === 'complete'
      ? manifest.modules
      : { ...inferredModules(bundleDir), ...manifest.modules }
  if (listed[manifest.mainModule]?.type !== 'esm')
    fail(
      `${configFile}: the main module "${manifest.mainModule}" is not an ES module of the bundle.`,
    )
  const files = new Map<string, OutputFile>()
  const maps: string[] = []
  for (const [name, { type }] of Object.entries(listed)) {
    const problem = moduleNameProblem(name)
    if (problem) fail(`${configFile}: module name ${JSON.stringify(name)} ${problem}.`)
    const path = join(bundleDir, ...name.split('/'))
    if (!existsSync(path) || !lstatSync(path).isFile())
      fail(`${configFile} lists "${name}", which is not a file in ${bundleDir}.`)
    const contents = readFileSync(path)
    if (type === 'sourcemap') maps.push(name)
    if (type === 'esm' || type === 'cjs') {
      files.set(name, {
        fileName: name,
        contents,
        kind: 'chunk',
        format: type,
        isEntry: name === manifest.mainModule,
        importedType: contentTypeOfManifestType(type),
      })
      continue
    }
    const contentType = contentTypeOfManifestType(type)
    if (contentType === undefined)
      fail(
        `${configFile}: module "${name}" has type "${type}", for which the Versions API has no content type.`,
      )
    files.set(name, {
      fileName: name,
      contents,
      kind: 'asset',
      importedType: type === 'sourcemap' ? undefined : contentType,
    })
  }
  // A chunk's map travels with the chunk (renamed with it): the modules step pairs them by name.
  for (const name of maps) {
    const chunk = files.get(name.slice(0, -'.map'.length))
    if (chunk?.kind === 'chunk')
      Object.assign(chunk, { map: files.get(name)!.contents.toString(), mapFileName: name })
  }
  return [...files.values()]
}
