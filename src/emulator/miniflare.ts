/**
 * Finds the miniflare that runs versions in workerd, the way a project has it: its own, or the one
 * nested under `@cloudflare/vite-plugin` or `wrangler` (npm nests it there when its version, often a
 * prerelease, is not the top-level one), then the one beside this package. Nothing is cached after
 * a miss, so installing miniflare helps at once, without restarting a running emulator.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export type MiniflareModule = typeof import('miniflare')

export interface FoundMiniflare {
  module: MiniflareModule
  version: string
  /** Where it was found, relative to the project root when inside it. */
  from: string
}

/** No miniflare anywhere: the message lists every place that was looked in. */
export class MiniflareMissingError extends Error {
  constructor(readonly lookedIn: string[]) {
    super(`no usable miniflare was found (looked in: ${lookedIn.join('; ')}); install it with \`npm install -D miniflare@4\``)
    this.name = 'MiniflareMissingError'
  }
}

/** The packages that bring their own miniflare, in the order they are tried after the project's own. */
const CARRIERS = ['@cloudflare/vite-plugin', 'wrangler']

/** Loaded modules by package directory; a failed load is forgotten, so it is tried again next time. */
const loaded = new Map<string, Promise<MiniflareModule>>()

/**
 * The major version whose options this emulator drives. miniflare 5 (the prereleases that
 * `@cloudflare/vite-plugin` 1.64 and wrangler 4.151+ depend on) takes each Worker's options in a new
 * `workers[].config` shape; until it is supported, a 5.x is passed over with the reason recorded.
 */
const SUPPORTED_MAJOR = 4

/** The miniflare for a project rooted at `root` (default: the current directory). */
export function findMiniflare(root = process.cwd()): Promise<FoundMiniflare> {
  const beside = fileURLToPath(new URL('.', import.meta.url))
  return pickMiniflare(root, [
    ['the project', packageDir(root, 'miniflare')],
    ...CARRIERS.map((carrier): [string, string | undefined] => {
      const carrierDir = packageDir(root, carrier)
      return [`under ${carrier}`, carrierDir && packageDir(carrierDir, 'miniflare')]
    }),
    ['beside unplugin-workers-version', packageDir(beside, 'miniflare')],
  ])
}

/** The first candidate directory that holds a miniflare this emulator can drive. */
export async function pickMiniflare(root: string, candidates: Array<[label: string, dir: string | undefined]>): Promise<FoundMiniflare> {
  const lookedIn: string[] = []
  for (const [label, dir] of candidates) {
    if (!dir) {
      lookedIn.push(label)
      continue
    }
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }
    if (Number.parseInt(version, 10) !== SUPPORTED_MAJOR) {
      lookedIn.push(`${label} (miniflare ${version}: only ${SUPPORTED_MAJOR}.x is supported yet)`)
      continue
    }
    let module = loaded.get(dir)
    if (!module) {
      module = load(dir)
      loaded.set(dir, module)
      module.catch(() => loaded.delete(dir))
    }
    const inside = relative(root, dir)
    return { module: await module, version, from: inside.startsWith('..') || isAbsolute(inside) ? dir : inside }
  }
  throw new MiniflareMissingError(lookedIn)
}

/**
 * Where `name` is installed as Node would find it from `from` (its own node_modules, then each
 * parent's), without resolving `name/package.json`: packages with `exports` need not export it.
 */
function packageDir(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    if (dirname(dir) === dir) return undefined
  }
}

async function load(dir: string): Promise<MiniflareModule> {
  // A directory resolves to its package's `main`; miniflare is CommonJS.
  const entry = createRequire(import.meta.url).resolve(dir)
  return (await import(pathToFileURL(entry).href)) as MiniflareModule
}
