import pc from 'picocolors'
import { withheldNames, type Withheld } from '../core/child-env.js'
import { WorkersVersionError } from '../core/errors.js'
import { toRequestBody, type VersionPayload } from '../core/serialize.js'
import type { Logger } from '../report/logger.js'

/**
 * Loads Miniflare while the bundler works, for a build that will run preflight: the import is
 * most of preflight's cost on a cold Node, and it needs nothing from the build. Nothing is sent.
 * A failure is left for `preflight` to report (a failed load is tried again there).
 */
export function warmUpPreflight(root: string): void {
  void Promise.all([import('../workerd/miniflare.js'), import('../workerd/workerd.js')])
    .then(([{ findMiniflare }]) => findMiniflare(root))
    .catch(() => undefined)
}

/** What starting a version in workerd found: its startup time, workerd's message, or nothing (no workerd to run it). */
export type WorkerdStart = { startupMs: number } | { failure: string } | undefined

/**
 * Starts the version in workerd, as the local emulator runs it (bindings stubbed locally): a
 * Worker that throws at startup or imports a missing module gives workerd's own message, with
 * its stack trace. Undefined when Miniflare (an optional peer dependency) is not installed or
 * workerd cannot run. `withheld`: what workerd's environment must not hold (see {@link blanked}).
 * `root`: the build's project root, where its miniflare is looked for (never the process's working
 * directory: a service running many builds has one, and each build its own root).
 *
 * Which miniflare runs it (or that none was found) is said by every upload that starts workerd, on
 * that upload's logger: an upload runs it at most once, and with many builds in one process each
 * build's output is complete on its own.
 */
export async function startInWorkerd(
  payload: VersionPayload,
  worker: string,
  logger: Logger,
  withheld: Withheld,
  root: string,
): Promise<WorkerdStart> {
  const [{ findMiniflare, WorkerdUnavailableError }, runner] = await Promise.all([
    import('../workerd/miniflare.js'),
    import('../workerd/workerd.js'),
  ])
  try {
    const found = await findMiniflare(root)
    logger.info(
      pc.dim(`  preflight runs workerd through miniflare ${found.version} (${found.from})`),
    )
  } catch (error) {
    logger.warn(
      pc.yellow(
        `⚠ preflight skipped: it runs the version in workerd, and ${error instanceof Error ? error.message : String(error)}.`,
      ),
    )
    return undefined
  }
  const body = toRequestBody(payload)
  const main = body.main_module
  // An assets-only Worker has no code to start (the caller skips it; the type needs saying).
  if (main === undefined) return undefined
  // Secrets the new version inherits have no value here; the Worker only sees them at request time.
  const bindings = body.bindings?.filter((binding) => binding.type !== 'inherit')
  const started = performance.now()
  let running: Awaited<ReturnType<typeof runner.runVersion>>
  try {
    running = await runner.runVersion(
      { ...body, main_module: main, modules: body.modules ?? [], bindings },
      {
        workerName: worker,
        projectRoot: root,
        miniflare: { unsafeRuntimeEnv: blanked(withheld) },
      },
    )
  } catch (error) {
    if (error instanceof WorkerdUnavailableError) {
      // Not the version's fault: say so, and send it as if miniflare were not installed.
      logger.warn(pc.yellow(`⚠ preflight skipped: ${error.message}.`))
      return undefined
    }
    if (!(error instanceof runner.VersionStartupError)) throw error
    return { failure: error.message }
  }
  const startupMs = performance.now() - started
  await running.dispose()
  return { startupMs }
}

/**
 * Starts the version in workerd before anything is sent: a version that fails to start fails the
 * build with workerd's message. Returns the local startup time, or undefined when workerd could
 * not run it.
 */
export async function preflight(
  payload: VersionPayload,
  worker: string,
  logger: Logger,
  withheld: Withheld,
  root: string,
): Promise<number | undefined> {
  const start = await startInWorkerd(payload, worker, logger, withheld, root)
  if (start && 'failure' in start)
    throw new WorkersVersionError(
      'PREFLIGHT_FAILED',
      `The version failed to start in workerd, so nothing was sent:\n${start.failure}`,
    )
  return start?.startupMs
}

/**
 * Miniflare starts workerd with the build's whole environment, and lets an option
 * (`unsafeRuntimeEnv`) override variables but not remove them: every variable a child must not
 * see is set to the empty string, so the Worker's code (and anything workerd runs) cannot read
 * the credentials or the secrets' variables.
 */
function blanked(withheld: Withheld): Record<string, string> {
  return Object.fromEntries(withheldNames(process.env, withheld).map((name) => [name, '']))
}
