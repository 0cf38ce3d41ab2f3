/**
 * Runs a Create Version body in workerd through Miniflare. Miniflare is imported dynamically
 * so that nothing here loads it until a version actually has to run.
 */
import { posix } from 'node:path'
import type { Miniflare, MiniflareOptions, RequestInit, Response } from 'miniflare'
import { MODULE_KINDS } from './content-types.js'
import { miniflareAssetsFor } from './assets.js'
import {
  findMiniflare,
  WorkerdUnavailableError,
  type FoundMiniflare,
  type MiniflareModule,
} from './miniflare.js'
import type { RunnableVersionBody, VersionBinding } from './types.js'

export type { RunnableVersionBody } from './types.js'

export interface MiniflareOptionsForOptions {
  /** Virtual directory the module names are resolved against. Default `/worker`. */
  modulesRoot?: string
  /** The Worker's own name: a `service` binding to it points back at this version. */
  workerName?: string
  /** Whose miniflare runs the version (see `findMiniflare`). Default: the current directory. */
  projectRoot?: string
}

export interface RunVersionOptions extends MiniflareOptionsForOptions {
  /** Extra Miniflare options merged over the computed ones (e.g. `port`). */
  miniflare?: Partial<MiniflareOptions>
  /**
   * Rewrites the final options, for what a caller models that this module does not (the local
   * emulator's dispatch namespace bindings, which need Workers of its own beside the version's).
   */
  extend?: (options: MiniflareOptions) => MiniflareOptions | Promise<MiniflareOptions>
}

export interface RunningVersion {
  mf: Miniflare
  /** Where workerd's own HTTP socket listens (127.0.0.1, a free port): requests sent there arrive as sent. */
  url: URL
  /** Sends a request to the Worker; `path` is resolved against `http://localhost/`. */
  fetch(path: string, init?: RequestInit): Promise<Response>
  /** Everything workerd printed so far (the Worker's console output and runtime errors). */
  output(): string
  dispose(): Promise<void>
}

/** workerd started but refused the Worker; `message` carries workerd's own explanation. */
export class VersionStartupError extends Error {
  constructor(
    message: string,
    readonly runtimeOutput: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'VersionStartupError'
  }
}

const DEFAULT_ROOT = '/worker'
/** Only the tail of the runtime's output is kept: enough for a stack trace, bounded for chatty Workers. */
const MAX_OUTPUT_CHARS = 64 * 1024

/** Turns a Create Version body into Miniflare options (async: it needs miniflare's supported date). */
export async function miniflareOptionsFor(
  body: RunnableVersionBody,
  opts: MiniflareOptionsForOptions = {},
): Promise<MiniflareOptions> {
  return optionsWith(await findMiniflare(opts.projectRoot), body, opts)
}

async function optionsWith(
  found: FoundMiniflare,
  body: RunnableVersionBody,
  opts: MiniflareOptionsForOptions,
): Promise<MiniflareOptions> {
  const root = opts.modulesRoot ?? DEFAULT_ROOT
  const options: MiniflareOptions = {
    modulesRoot: root,
    modules: modulesFor(body, root),
    // Newer dates than the bundled workerd knows would make it refuse to start.
    compatibilityDate: clampDate(body.compatibility_date, found.supportedCompatibilityDate),
    compatibilityFlags: body.compatibility_flags ?? [],
    // Never reachable from anything but this machine.
    host: '127.0.0.1',
    port: 0,
  }
  Object.assign(options, bindingOptionsFor(body.bindings ?? [], opts.workerName, found.module))
  const assets = await miniflareAssetsFor(body)
  if (assets) options.assets = assets
  return options
}

function clampDate(date: string | undefined, supported: string): string | undefined {
  if (date === undefined) return undefined
  return date > supported ? supported : date
}

type ModuleEntry = { type: string; path: string; contents: string | Uint8Array }

/**
 * What an assets-only version runs in Miniflare, which needs a script: the assets router never
 * calls it (it is told there is no user Worker), as wrangler's own stand-in for such a Worker.
 */
const ASSETS_ONLY_STAND_IN =
  'export default { fetch: () => new Response("Not found", { status: 404 }) }\n'

function modulesFor(body: RunnableVersionBody, root: string): ModuleEntry[] {
  if (body.main_module === undefined)
    return [
      {
        type: 'ESModule',
        path: posix.join(root, '__assets-only.js'),
        contents: ASSETS_ONLY_STAND_IN,
      },
    ]
  const modules: ModuleEntry[] = []
  for (const module of body.modules) {
    const type = MODULE_KINDS[module.content_type]
    if (!type) continue // source maps and unknown kinds are not runtime modules
    const bytes = Buffer.from(module.content_base64, 'base64')
    const binary = type === 'Data' || type === 'CompiledWasm'
    const entry = {
      type,
      path: posix.join(root, module.name),
      contents: binary ? new Uint8Array(bytes) : bytes.toString('utf8'),
    }
    // Miniflare treats modules[0] as the entry point.
    if (module.name === body.main_module) modules.unshift(entry)
    else modules.push(entry)
  }
  return modules
}

/** Maps the binding kinds workerd can emulate offline; the rest are left out (a Worker using them fails on use, not at startup). */
function bindingOptionsFor(
  bindings: VersionBinding[],
  workerName: string | undefined,
  mf: MiniflareModule,
): Partial<MiniflareOptions> {
  const vars: Record<string, unknown> = {}
  const kv: Record<string, string> = {}
  const r2: Record<string, string> = {}
  const d1: Record<string, string> = {}
  const durableObjects: Record<string, { className: string }> = {}
  const services: NonNullable<MiniflareOptions['serviceBindings']> = {}
  const queues: Record<string, { queueName: string; deliveryDelay?: number }> = {}
  let versionMetadata: string | undefined
  for (const b of bindings) {
    const str = (field: string): string | undefined =>
      typeof b[field] === 'string' ? (b[field] as string) : undefined
    switch (b.type) {
      case 'plain_text':
      case 'secret_text':
        vars[b.name] = str('text') ?? ''
        break
      case 'json':
        vars[b.name] = b.json
        break
      case 'kv_namespace':
        kv[b.name] = str('namespace_id') ?? b.name
        break
      case 'r2_bucket':
        r2[b.name] = str('bucket_name') ?? b.name
        break
      case 'd1':
        d1[b.name] = str('database_id') ?? str('id') ?? b.name
        break
      case 'durable_object_namespace': {
        // Classes of other scripts do not exist here; only this Worker's own classes can run.
        const className = str('class_name')
        const script = str('script_name')
        if (className && (script === undefined || script === workerName))
          durableObjects[b.name] = { className }
        break
      }
      case 'service': {
        const target = str('service')
        services[b.name] =
          target !== undefined && target === workerName
            ? mf.kCurrentWorker
            : () =>
                new mf.Response(
                  `Service binding ${b.name} (-> ${target ?? '?'}) is not available in the local emulator`,
                  { status: 503 },
                )
        break
      }
      case 'queue': {
        const delay =
          typeof b.delivery_delay === 'number' ? { deliveryDelay: b.delivery_delay } : {}
        queues[b.name] = { queueName: str('queue_name') ?? b.name, ...delay }
        break
      }
      case 'version_metadata':
        versionMetadata = b.name
        break
      default:
        break // inherit, ai, vectorize, …: no offline equivalent
    }
  }
  const out: Partial<MiniflareOptions> = {}
  if (Object.keys(vars).length > 0)
    out.bindings = vars as Record<string, NonNullable<MiniflareOptions['bindings']>[string]>
  if (Object.keys(kv).length > 0) out.kvNamespaces = kv
  if (Object.keys(r2).length > 0) out.r2Buckets = r2
  if (Object.keys(d1).length > 0) out.d1Databases = d1
  if (Object.keys(durableObjects).length > 0) out.durableObjects = durableObjects
  if (Object.keys(services).length > 0) out.serviceBindings = services
  if (Object.keys(queues).length > 0) out.queueProducers = queues
  if (versionMetadata !== undefined) out.versionMetadata = versionMetadata
  return out
}

/**
 * Starts the version in workerd and waits until it is ready. A Worker that throws at startup
 * rejects with a {@link VersionStartupError} whose message is workerd's own error text.
 */
export async function runVersion(
  body: RunnableVersionBody,
  opts: RunVersionOptions = {},
): Promise<RunningVersion> {
  const found = await findMiniflare(opts.projectRoot)
  let output = ''
  let errors = ''
  const collect = (text: string, isError: boolean) => {
    output = (output + text).slice(-MAX_OUTPUT_CHARS)
    // Startup errors come from stderr; the Worker's own console.log output would only blur them.
    if (isError) errors = (errors + text).slice(-MAX_OUTPUT_CHARS)
  }
  found.workerdBinary()
  const computed: MiniflareOptions = {
    ...(await optionsWith(found, body, opts)),
    ...opts.miniflare,
  }
  const options = found.constructorOptions(
    opts.extend ? await opts.extend(computed) : computed,
    collect,
  )
  const mf = new found.module.Miniflare(options)
  let url: URL
  try {
    url = await mf.ready
  } catch (error) {
    // After a failed start dispose() re-throws the start error; the process is gone either way.
    await mf.dispose().catch(() => undefined)
    // The pipes may still hold workerd's last words; give them one turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve))
    // workerd names the Worker's service (`core:user:…`) in every complaint about the Worker itself;
    // anything else (a port taken, a crashing binary) is the emulator's problem, not the request's.
    if (!/service core:user:/.test(errors)) {
      const reason = error instanceof Error ? error.message : String(error)
      // Newer miniflares quote workerd's stderr in their error already; older ones leave it to the output.
      const said =
        output.trim() === '' || reason.includes(output.trim())
          ? ''
          : `\nworkerd printed: ${output.trim()}`
      throw new WorkerdUnavailableError(`workerd did not start: ${reason}${said}`, { cause: error })
    }
    throw new VersionStartupError(startupMessage(errors, error), output, { cause: error })
  }
  let disposed: Promise<void> | undefined
  return {
    mf,
    url,
    fetch: (path, init) => mf.dispatchFetch(new URL(path, 'http://localhost/'), init),
    output: () => output,
    dispose: () => (disposed ??= mf.dispose()),
  }
}

/** workerd prefixes its errors with the internal service name (`service core:user:…: `), which means nothing to users. */
function startupMessage(output: string, error: unknown): string {
  const text = output
    .split('\n')
    .map((line) => line.replace(/^service core:user:[^:]*: /, ''))
    .join('\n')
    .trim()
  if (text !== '') return `${text}\n  at worker startup`
  return error instanceof Error ? error.message : String(error)
}
