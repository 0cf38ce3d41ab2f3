import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import picomatch from '../core/picomatch.js'
import type { ModuleContentType, ModuleRule, OutputFile } from '../core/types.js'
import { parseSourceMap } from '../modules/source-maps.js'

// The "disk adapter": a Worker that is already built (a `main` with `no_bundle`, as the configs
// @cloudflare/vite-plugin and the frameworks generate) read into the files a bundler adapter hands
// over, with wrangler's module rules deciding which files are modules and of which type.

/** A wrangler module rule, as a config's `rules` writes it. */
interface WranglerRule {
  type: string
  globs: string[]
  fallthrough?: boolean
}

/** wrangler 4's defaults, appended after the config's own rules (as its `parseRules` does). */
const DEFAULT_RULES: readonly WranglerRule[] = [
  { type: 'Text', globs: ['**/*.txt', '**/*.html', '**/*.sql'] },
  { type: 'Data', globs: ['**/*.bin'] },
  { type: 'CompiledWasm', globs: ['**/*.wasm', '**/*.wasm?module'] },
]

/** The content type of each wrangler rule type; ESModule and CommonJS are chunks. */
const RULE_TYPES: Record<string, ModuleContentType> = {
  ESModule: 'application/javascript+module',
  CommonJS: 'application/javascript',
  CompiledWasm: 'application/wasm',
  Data: 'application/octet-stream',
  Text: 'text/plain',
  PythonModule: 'text/x-python',
  PythonRequirement: 'text/x-python-requirement',
}

/** What the disk adapter reads of a Worker's config (wrangler's keys, the environment applied). */
export interface DiskWorkerConfig {
  /** The config file (never a module, as wrangler skips it). */
  configFile: string
  /** `main`, absolute. */
  main: string
  rules?: unknown
  findAdditionalModules?: unknown
  baseDir?: unknown
  uploadSourceMaps?: unknown
}

function fail(configFile: string, message: string): never {
  throw new WorkersVersionError('INVALID_WRANGLER_CONFIG', `${configFile}: ${message}`)
}

/**
 * The config's rules then wrangler's defaults, each type taken by its first rule unless that one
 * falls through (later rules of a completed type are dropped, as wrangler drops them).
 */
function effectiveRules(config: Pick<DiskWorkerConfig, 'configFile' | 'rules'>): WranglerRule[] {
  const own = config.rules ?? []
  if (!Array.isArray(own)) fail(config.configFile, '`rules` must be an array')
  for (const [i, rule] of own.entries()) {
    if (!isRecord(rule) || typeof rule.type !== 'string' || !(rule.type in RULE_TYPES)) {
      fail(
        config.configFile,
        `rules[${i}].type must be one of ${Object.keys(RULE_TYPES).join(', ')}`,
      )
    }
    if (!Array.isArray(rule.globs) || !rule.globs.every((g) => typeof g === 'string'))
      fail(config.configFile, `rules[${i}].globs must be an array of strings`)
  }
  const completed = new Set<string>()
  const rules: WranglerRule[] = []
  for (const rule of [...(own as WranglerRule[]), ...DEFAULT_RULES]) {
    if (completed.has(rule.type)) continue
    rules.push(rule)
    if (rule.fallthrough !== true) completed.add(rule.type)
  }
  return rules
}

/**
 * The config's module rules as the plugin's `rules`, for a `main` that is bundled: a file imported
 * while bundling gets the type of the first wrangler rule that matches it (the plugin's later rules
 * win, so the list is reversed); JavaScript types stay bundled.
 */
export function pluginRules(config: Pick<DiskWorkerConfig, 'configFile' | 'rules'>): ModuleRule[] {
  return effectiveRules(config)
    .map((rule): ModuleRule => ({ test: rule.globs, type: RULE_TYPES[rule.type]! }))
    .reverse()
}

/** Every file below `dir` as a POSIX path relative to it, but the config file and the project's `.wrangler/`. */
function listFiles(dir: string, skip: ReadonlySet<string>): string[] {
  const out: string[] = []
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name)
      if (skip.has(path)) continue
      if (entry.isDirectory()) walk(path)
      else if (entry.isFile()) out.push(relative(dir, path).split(sep).join('/'))
    }
  }
  walk(dir)
  return out.sort()
}

/**
 * The Worker's files: `main` as the entry chunk and, unless `find_additional_modules` is `false`,
 * every file below the module root (`base_dir`, else `main`'s directory) that a rule matches, with
 * that rule's type; files no rule matches are not modules, as in wrangler. With
 * `upload_source_maps` unset or `true`, a module's `//# sourceMappingURL` file, when there is one,
 * travels as its map (wrangler 4.164 uploads them unless it is `false`).
 */
export function readBuiltWorker(
  config: DiskWorkerConfig,
  projectRoot: string,
): { files: OutputFile[]; moduleRoot: string } {
  if (!existsSync(config.main) || !statSync(config.main).isFile())
    fail(
      config.configFile,
      `\`main\` is ${config.main}, which is not a file; build the project first`,
    )
  if (config.baseDir !== undefined && typeof config.baseDir !== 'string')
    fail(config.configFile, '`base_dir` must be a string')
  const moduleRoot =
    typeof config.baseDir === 'string'
      ? resolve(dirname(config.configFile), config.baseDir)
      : dirname(config.main)
  const mainName = relative(moduleRoot, config.main).split(sep).join('/')
  if (mainName.startsWith('../'))
    fail(config.configFile, `\`main\` (${config.main}) is outside \`base_dir\` (${moduleRoot})`)
  // Every file below the module root that a rule matches is uploaded: never a directory beyond the project.
  if (!isInside(projectRoot, moduleRoot)) {
    throw new WorkersVersionError(
      'OUTSIDE_PROJECT',
      `${config.configFile}: the Worker's module directory ${moduleRoot} is outside the project ${projectRoot}; the files below it that a module rule matches would all be uploaded.`,
    )
  }
  const mainFormat = /\.cjs$/.test(mainName) ? 'cjs' : 'esm'
  const files: OutputFile[] = [
    {
      fileName: mainName,
      contents: readFileSync(config.main),
      kind: 'chunk',
      format: mainFormat,
      isEntry: true,
    },
  ]
  if (config.findAdditionalModules !== false) {
    const rules = effectiveRules(config).map((rule) => ({
      type: RULE_TYPES[rule.type]!,
      matches: picomatch(rule.globs, { dot: true }),
    }))
    const skip = new Set([resolve(config.configFile), join(projectRoot, '.wrangler')])
    for (const name of listFiles(moduleRoot, skip)) {
      if (name === mainName) continue
      const type = rules.find((rule) => rule.matches(name))?.type
      if (type === undefined) continue
      const contents = readFileSync(join(moduleRoot, ...name.split('/')))
      const format =
        type === RULE_TYPES.ESModule ? 'esm' : type === RULE_TYPES.CommonJS ? 'cjs' : undefined
      files.push(
        format
          ? { fileName: name, contents, kind: 'chunk', format, isEntry: false, importedType: type }
          : { fileName: name, contents, kind: 'asset', importedType: type },
      )
    }
  }
  if (config.uploadSourceMaps !== false)
    for (const file of files) if (file.kind === 'chunk') attachSourceMap(file, moduleRoot)
  return { files, moduleRoot }
}

/** The map a chunk's last `//# sourceMappingURL=` comment names, when it is a file beside it. */
function attachSourceMap(file: OutputFile, moduleRoot: string): void {
  const text = Buffer.from(file.contents).toString('utf8')
  const url = [...text.matchAll(/^\/\/[#@] sourceMappingURL=(\S+)\s*$/gm)].pop()?.[1]
  if (!url || /^[a-z][a-z\d+.-]*:/i.test(url)) return
  const path = resolve(dirname(join(moduleRoot, file.fileName)), decodeURIComponent(url))
  if (!existsSync(path)) return
  file.map = parseSourceMap(readFileSync(path, 'utf8'))
  file.mapFileName = relative(moduleRoot, path).split(sep).join('/')
}

/** Whether `path` is `root` or below it. */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}
