import { WorkersVersionError } from '../core/errors.js'
import { Redactor } from '../core/redact.js'
import { createLogger, type Logger } from '../report/logger.js'
import { UsageError } from './args.js'

/** Exit codes of the command line. */
const EXIT = { ok: 0, failed: 1, usage: 2 } as const

interface CommandSpec<Args> {
  /** The command's name, as typed after `unplugin-workers-version`. */
  name: string
  usage: string
  parse: (argv: readonly string[]) => Args
  /** Whether the arguments ask only for the usage. */
  wantsHelp: (args: Args) => boolean
  run: (args: Args, logger: Logger, redactor: Redactor) => Promise<void>
}

/**
 * Runs a command and returns its exit code: a usage error prints the usage (2), a failure one line
 * (1). Every line and error goes through a redactor that knows the environment's credentials from
 * the start; the command adds every secret it plans.
 */
export async function runCommand<Args>(
  spec: CommandSpec<Args>,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<number> {
  let args: Args
  try {
    args = spec.parse(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    console.error(`${spec.name}: ${error.message}\n\n${spec.usage}`)
    return EXIT.usage
  }
  if (spec.wantsHelp(args)) {
    console.log(spec.usage)
    return EXIT.ok
  }
  const redactor = new Redactor().addCredential(env.CLOUDFLARE_API_TOKEN, env.CLOUDFLARE_API_KEY)
  const output = createLogger(() => 'info')
  const logger: Logger = {
    info: (line) => output.info(redactor.redact(line)),
    warn: (line) => output.warn(redactor.redact(line)),
    silent: () => false,
  }
  try {
    await spec.run(args, logger, redactor)
    return EXIT.ok
  } catch (error) {
    // The plugin's own errors say what to do; anything else keeps its name (a TypeError is a bug to report).
    const known = error instanceof WorkersVersionError
    const message =
      error instanceof Error
        ? known
          ? error.message
          : `${error.name}: ${error.message}`
        : String(error)
    console.error(redactor.redact(`✖ ${spec.name} failed: ${message}`))
    return EXIT.failed
  }
}
