import pc from 'picocolors'
import { WorkersVersionError } from './core/errors.js'
import { toRequestBody, type VersionPayload } from './core/serialize.js'
import type { Logger } from './report/logger.js'

let warnedMissing = false

/**
 * Starts the version in workerd, as the local emulator runs it (bindings stubbed locally),
 * before anything is sent: a Worker that throws at startup or imports a missing module fails
 * the build with workerd's own message. Returns the local startup time, or undefined when
 * Miniflare (an optional peer dependency) is not installed.
 */
export async function preflight(payload: VersionPayload, worker: string, logger: Logger): Promise<number | undefined> {
  let runner: typeof import('./emulator/workerd.js')
  try {
    await import('miniflare')
    runner = await import('./emulator/workerd.js')
  } catch {
    if (!warnedMissing) {
      warnedMissing = true
      logger.warn(pc.yellow('⚠ preflight skipped: it runs the version in workerd through `miniflare`, which is not installed (npm install -D miniflare).'))
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
