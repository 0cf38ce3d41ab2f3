import { DEPLOY_USAGE, parseDeployArgs } from './args.js'
import { deployCommand } from './deploy.js'
import { runCommand } from './run.js'

/**
 * `unplugin-workers-version deploy …`: runs the command and returns its exit code. The redactor
 * learns every secret of the deployment once it is planned.
 */
export async function runDeploy(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  return runCommand(
    {
      name: 'deploy',
      usage: DEPLOY_USAGE,
      parse: parseDeployArgs,
      wantsHelp: (args) => args.help === true,
      run: (args, logger, redactor) => deployCommand(args, env, logger, redactor),
    },
    argv,
    env,
  )
}
