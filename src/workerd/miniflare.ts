/**
 * Finds the miniflare that runs versions in workerd, the way a project has it: its own, or the one
 * nested under `@cloudflare/vite-plugin` or `wrangler` (npm nests it there when its version, often a
 * prerelease, is not the top-level one), then the one beside this package. Nothing is cached after
 * a miss, so installing miniflare helps at once, without restarting a running emulator.
 */
import { accessSync, constants, existsSync, readFileSync, realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, isAbsolute, join, relative } from 'node:path'
import type { Readable } from 'node:stream'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { MiniflareOptions } from 'miniflare'

export type MiniflareModule = typeof import('miniflare')

/** Where workerd's output goes: `isError` marks what it wrote to stderr (or logged as an error or warning). */
export type RuntimeOutput = (text: string, isError: boolean) => void

export interface FoundMiniflare {
  module: MiniflareModule
  version: string
  major: number
  /** Where it was found, relative to the project root when inside it. */
  from: string
  /** The newest compatibility date its workerd knows: a newer date would make workerd refuse to start. */
  supportedCompatibilityDate: string
  /**
   * The constructor options for this miniflare, from options in miniflare 4's shape (the one the
   * emulator computes), with workerd's output sent to `output`.
   */
  constructorOptions(options: MiniflareOptions, output: RuntimeOutput): MiniflareOptions
  /**
   * The workerd binary this miniflare will start (`MINIFLARE_WORKERD_PATH` overrides it, as in
   * miniflare), checked to be executable: given a binary it cannot start, miniflare waits forever.
   */
  workerdBinary(): string
}

/** workerd cannot be started: the emulator's own problem (or the installation's), never the Worker's. */
export class WorkerdUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'WorkerdUnavailableError'
  }
}

/** No miniflare anywhere: the message lists every place that was looked in. */
export class MiniflareMissingError extends Error {
  constructor(readonly lookedIn: string[]) {
    super(
      `no usable miniflare was found (looked in: ${lookedIn.join('; ')}); install it with \`npm install -D miniflare\``,
    )
    this.name = 'MiniflareMissingError'
  }
}

/** The packages that bring their own miniflare, in the order they are tried after the project's own. */
const CARRIERS = ['@cloudflare/vite-plugin', 'wrangler']

/** Loaded modules by package directory; a failed load is forgotten, so it is tried again next time. */
const loaded = new Map<string, Promise<MiniflareModule>>()

/**
 * The majors this emulator drives. 4.x takes the options it computes as they are; 5.x (the
 * prereleases that `@cloudflare/vite-plugin` 1.64 and wrangler 4.151+ depend on) takes each Worker
 * in a new `workers[].config` shape, and converts 4.x options itself (`convertV4MiniflareOptions`).
 */
const SUPPORTED_MAJORS = [4, 5]

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
export async function pickMiniflare(
  root: string,
  candidates: Array<[label: string, dir: string | undefined]>,
): Promise<FoundMiniflare> {
  const lookedIn: string[] = []
  for (const [label, dir] of candidates) {
    if (!dir) {
      lookedIn.push(label)
      continue
    }
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      version: string
    }
    const major = Number.parseInt(version, 10)
    if (!SUPPORTED_MAJORS.includes(major)) {
      lookedIn.push(
        `${label} (miniflare ${version}: only ${SUPPORTED_MAJORS.map((m) => `${m}.x`).join(' and ')} are supported)`,
      )
      continue
    }
    let module = loaded.get(dir)
    if (!module) {
      module = load(dir)
      loaded.set(dir, module)
      module.catch(() => loaded.delete(dir))
    }
    const inside = relative(root, dir)
    const from = inside.startsWith('..') || isAbsolute(inside) ? dir : inside
    const found =
      major === 4 ? asV4(await module, version, from) : asV5(await module, version, from, dir)
    return { ...found, workerdBinary: () => workerdBinary(dir, version) }
  }
  throw new MiniflareMissingError(lookedIn)
}

type Drive = Omit<FoundMiniflare, 'workerdBinary'>

function asV4(module: MiniflareModule, version: string, from: string): Drive {
  return {
    module,
    version,
    major: 4,
    from,
    supportedCompatibilityDate: module.supportedCompatibilityDate,
    constructorOptions: (options, output) => ({
      ...options,
      handleRuntimeStdio(stdout: Readable, stderr: Readable) {
        stdout.on('data', (chunk: Buffer) => output(chunk.toString('utf8'), false))
        stderr.on('data', (chunk: Buffer) => output(chunk.toString('utf8'), true))
      },
    }),
  }
}

/** What miniflare 5 adds that this emulator uses (its types are not the installed 4.x's). */
interface V5Additions {
  convertV4MiniflareOptions(options: unknown): unknown
}

function asV5(module: MiniflareModule, version: string, from: string, dir: string): Drive {
  // 5.x no longer exports the date; its workerd (resolved as miniflare resolves it) does.
  const workerd = createRequire(join(dir, 'package.json'))('workerd') as {
    compatibilityDate: string
  }
  const convert = (module as unknown as V5Additions).convertV4MiniflareOptions
  return {
    module,
    version,
    major: 5,
    from,
    supportedCompatibilityDate: workerd.compatibilityDate,
    constructorOptions: (options, output) =>
      // 5.x hands workerd's output over line by line, as log entries with a level.
      convert({
        ...options,
        handleStructuredLogs({ level, message }: { level: string; message: string }) {
          output(`${message}\n`, level === 'error' || level === 'warn')
        },
      }) as MiniflareOptions,
  }
}

function workerdBinary(miniflareDir: string, version: string): string {
  const override = process.env.MINIFLARE_WORKERD_PATH
  let binary = override
  if (binary === undefined) {
    try {
      binary = (createRequire(join(miniflareDir, 'package.json'))('workerd') as { default: string })
        .default
    } catch (error) {
      throw new WorkerdUnavailableError(
        `miniflare ${version} (${miniflareDir}) cannot load its workerd package (${error instanceof Error ? error.message : String(error)}); reinstall it with \`npm install\``,
        { cause: error },
      )
    }
  }
  try {
    accessSync(binary, constants.X_OK)
  } catch (error) {
    const where =
      override === undefined
        ? `the workerd binary of miniflare ${version}`
        : 'MINIFLARE_WORKERD_PATH'
    const fix =
      override === undefined
        ? 'reinstall it with `npm install` (npm must be allowed to install optional dependencies)'
        : 'point MINIFLARE_WORKERD_PATH at a workerd binary, or unset it'
    throw new WorkerdUnavailableError(
      `${where} (${binary}) cannot be started: ${(error as NodeJS.ErrnoException).code ?? String(error)}; ${fix}`,
      { cause: error },
    )
  }
  return binary
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
