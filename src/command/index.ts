import { WorkersVersionError } from '../core/errors.js'
import { Redactor } from '../core/redact.js'
import { createLogger, type Logger } from '../report/logger.js'
import { DEPLOY_USAGE, parseDeployArgs, UsageError } from './args.js'
import { deployCommand } from './deploy.js'

/** Exit codes of the command line. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const

/**
 * `unplugin-workers-version deploy …`: runs the command and returns its exit code. Every line and
 * error goes through a redactor that knows the credentials of the environment from the start, and
 * every secret of the deployment once it is planned.
 */
export async function runDeploy(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let args
  try {
    args = parseDeployArgs(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    console.error(`deploy: ${error.message}\n\n${DEPLOY_USAGE}`)
    return EXIT.usage
  }
  if (args.help) {
    console.log(DEPLOY_USAGE)
    return EXIT.ok
  }
  const redactor = new Redactor().addCredential(env.CLOUDFLARE_API_TOKEN, env.CLOUDFLARE_API_KEY)
  const console_ = createLogger(() => 'info')
  const logger: Logger = {
    info: (line) => console_.info(redactor.redact(line)),
    warn: (line) => console_.warn(redactor.redact(line)),
    silent: () => false,
  }
  try {
    await deployCommand(args, env, logger, redactor)
    return EXIT.ok
  } catch (error) {
    // The plugin's own errors say what to do; anything else keeps its name (a TypeError is a bug to report).
    const message =
      error instanceof Error
        ? error instanceof WorkersVersionError
          ? error.message
          : `${error.name}: ${error.message}`
        : String(error)
    console.error(redactor.redact(`✖ deploy failed: ${message}`))
    return EXIT.failed
  }
}
