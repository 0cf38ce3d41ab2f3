import pc from 'picocolors'
import { WorkersVersionError } from './core/errors.js'
import { toRequestBody, type VersionPayload } from './core/serialize.js'
import type { Logger } from './report/logger.js'

/** Which miniflare runs preflight (or that none was found) is said once per process. */
let announced = false

/**
 * Loads Miniflare while the bundler works, for a build that will run preflight: the import is
 * most of preflight's cost on a cold Node, and it needs nothing from the build. Nothing is sent.
 * A failure is left for `preflight` to report (a failed load is tried again there).
 */
export function warmUpPreflight(): void {
  void Promise.all([import('./emulator/miniflare.js'), import('./emulator/workerd.js')])
    .then(([{ findMiniflare }]) => findMiniflare())
    .catch(() => undefined)
}

/**
 * Starts the version in workerd, as the local emulator runs it (bindings stubbed locally),
 * before anything is sent: a Worker that throws at startup or imports a missing module fails
 * the build with workerd's own message. Returns the local startup time, or undefined when
 * Miniflare (an optional peer dependency) is not installed.
 */
export async function preflight(payload: VersionPayload, worker: string, logger: Logger): Promise<number | undefined> {
  const [{ findMiniflare }, runner] = await Promise.all([import('./emulator/miniflare.js'), import('./emulator/workerd.js')])
  try {
    const found = await findMiniflare()
    if (!announced) {
      announced = true
      logger.info(pc.dim(`  preflight runs workerd through miniflare ${found.version} (${found.from})`))
    }
  } catch (error) {
    if (!announced) {
      announced = true
      logger.warn(pc.yellow(`⚠ preflight skipped: it runs the version in workerd, and ${error instanceof Error ? error.message : String(error)}.`))
    }
    return undefined
  }
  const body = toRequestBody(payload)
  // Secrets the new version inherits have no value here; the Worker only sees them at request time.
  const bindings = body.bindings?.filter((binding) => binding.type !== 'inherit')
  const started = performance.now()
  let running: Awaited<ReturnType<typeof runner.runVersion>>
  try {
    running = await runner.runVersion({ ...body, bindings }, { workerName: worker })
  } catch (error) {
    if (!(error instanceof runner.VersionStartupError)) throw error
    throw new WorkersVersionError('PREFLIGHT_FAILED', `The version failed to start in workerd, so nothing was sent:\n${error.message}`)
  }
  const elapsed = performance.now() - started
  await running.dispose()
  return elapsed
}
