// The `deploy` command's command line: parsed by hand, because `--promote` and `--preview` take an
// optional value, which node:util's parseArgs cannot express.

export const DEPLOY_USAGE = `Usage: npx unplugin-workers-version deploy [--promote [PERCENT]] [--preview [NAME|auto]] [--dry-run [--diff]]
                                         [--strict [--allow KEY]...]
                                         [--cwd DIR] [--config PATH] [--env NAME] [--worker NAME]
                                         [--dispatch-namespace NAME]

Deploys a finished build with the plugin's engine. It reads, in this order, the first that exists:
  1. Build Output: .cloudflare/output/v0 or v1 in the project directory (every Worker in it)
  2. the redirected config .wrangler/deploy/config.json (as @cloudflare/vite-plugin and the
     frameworks built on it write it; looked for from the directory upwards, as wrangler does),
     with its auxiliary Workers
  3. the wrangler config (wrangler.jsonc, wrangler.json or wrangler.toml, or --config): a \`main\`
     with \`no_bundle\` is uploaded as it is; any other \`main\` is bundled with esbuild
Without a flag it creates a version without traffic.

Options:
  --promote [PERCENT]    deploy the version: to 100% (no value) or a gradual rollout at PERCENT (1-100, whole)
  --preview [NAME|auto]  a Preview deployment: to the Preview NAME, the branch's (no value), or
                         'auto' (deploy on the production branch, a Preview elsewhere)
  --dry-run              send nothing: write .workers-version/request.json only
  --diff                 with --dry-run: compare with the deployed Worker as a deploy does (GET
                         requests only; needs the credentials); writes .workers-version/diff.json
  --strict               before anything is written, refuse a deploy that removes a binding, a route
                         or a Custom Domain, changes a binding's target or lowers the compatibility
                         date; the refusal names each change and its KEY
  --allow KEY            with --strict: deploy anyway with the change KEY names (repeatable), e.g.
                         --allow remove-binding:CACHE
  --cwd DIR              the project directory (default: the current directory)
  --config PATH          the wrangler config to deploy (no Build Output or redirected config is read)
  --env NAME             the wrangler environment (default: CLOUDFLARE_ENV); a wrangler config only
  --worker NAME          the Worker's name, over the config's (the entry Worker's)
  --dispatch-namespace NAME
                         Workers for Platforms: upload the Worker as a user Worker into this dispatch
                         namespace, deployed at once (not with --promote or --preview)
  -h, --help             this text

Environment: CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_KEY with CLOUDFLARE_EMAIL), CLOUDFLARE_ACCOUNT_ID,
CLOUDFLARE_API_BASE_URL, CLOUDFLARE_ENV, and the CI's branch and commit variables.
Writes request.json and result.json to .workers-version/ in the project directory.
Exit codes: 0 success, 1 failure, 2 usage error.`

export interface DeployArgs {
  /** `true`: 100%; a number: a gradual rollout at that percentage. */
  promote?: true | number
  /** `true`: the branch's Preview; `'auto'`; or a Preview's name. */
  preview?: true | string
  dryRun: boolean
  /** `--diff`: the dry run compares with the deployed Worker (reads only). */
  diff?: boolean
  /** `--strict`, with the changes `--allow` acknowledges. */
  strict?: { allow: string[] }
  cwd?: string
  config?: string
  env?: string
  worker?: string
  /** Workers for Platforms: the dispatch namespace the Worker is uploaded into. */
  dispatchNamespace?: string
  help: boolean
}

/** A mistake on the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

const VALUE_FLAGS = new Set(['--cwd', '--config', '--env', '--worker', '--dispatch-namespace'])

/** Parses the arguments after `deploy`. Throws a UsageError naming the flag that is wrong. */
export function parseDeployArgs(argv: readonly string[]): DeployArgs {
  const args: DeployArgs = { dryRun: false, help: false }
  const seen = new Set<string>()
  const allowed: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    const eq = token.startsWith('--') ? token.indexOf('=') : -1
    const flag = eq === -1 ? token : token.slice(0, eq)
    const inline = eq === -1 ? undefined : token.slice(eq + 1)
    if (flag !== '-h' && flag !== '--help' && flag !== '--allow' && seen.has(flag))
      throw new UsageError(`${flag} is given twice`)
    seen.add(flag)
    // The optional value of --promote and --preview: the next argument, unless it is a flag.
    const optional = (): string | undefined => {
      if (inline !== undefined) return inline
      const next = argv[i + 1]
      if (next === undefined || next.startsWith('-')) return undefined
      i++
      return next
    }
    switch (flag) {
      case '-h':
      case '--help':
        args.help = true
        break
      case '--dry-run':
        if (inline !== undefined) throw new UsageError('--dry-run takes no value')
        args.dryRun = true
        break
      case '--diff':
        if (inline !== undefined) throw new UsageError('--diff takes no value')
        args.diff = true
        break
      case '--strict':
        if (inline !== undefined) throw new UsageError('--strict takes no value')
        args.strict = { allow: args.strict?.allow ?? [] }
        break
      case '--allow': {
        const value = inline ?? argv[++i]
        if (
          value === undefined ||
          value.trim() === '' ||
          (inline === undefined && value.startsWith('--'))
        )
          throw new UsageError('--allow needs a change key, e.g. --allow remove-binding:CACHE')
        allowed.push(value)
        break
      }
      case '--promote': {
        const value = optional()
        args.promote = value === undefined ? true : percent(value)
        break
      }
      case '--preview': {
        const value = optional()
        if (value !== undefined && value.trim() === '')
          throw new UsageError(
            "--preview needs a Preview name, `auto`, or no value (the branch's Preview)",
          )
        args.preview = value === undefined ? true : value
        break
      }
      default: {
        if (!VALUE_FLAGS.has(flag)) {
          throw new UsageError(
            token.startsWith('-')
              ? `unknown option ${flag}`
              : `unexpected argument ${JSON.stringify(token)} (deploy takes no positional arguments)`,
          )
        }
        const value = inline ?? argv[++i]
        if (value === undefined || value === '' || (inline === undefined && value.startsWith('-')))
          throw new UsageError(`${flag} needs a value`)
        if (flag === '--dispatch-namespace') args.dispatchNamespace = value
        else args[flag.slice(2) as 'cwd' | 'config' | 'env' | 'worker'] = value
      }
    }
  }
  if (args.diff && !args.dryRun)
    throw new UsageError(
      '--diff compares a dry run with the deployed Worker; use it with --dry-run (a deploy always compares)',
    )
  if (allowed.length > 0) {
    if (!args.strict) throw new UsageError('--allow acknowledges a change only with --strict')
    args.strict.allow.push(...allowed)
  }
  if (args.preview !== undefined && args.preview !== 'auto' && args.promote !== undefined) {
    throw new UsageError(
      '--promote cannot be combined with --preview NAME (a Preview takes no traffic); --preview auto promotes on the production branch',
    )
  }
  // A user Worker has no versions, deployments or Previews: its upload deploys it at once.
  if (
    args.dispatchNamespace !== undefined &&
    (args.promote !== undefined || args.preview !== undefined)
  )
    throw new UsageError(
      `--dispatch-namespace cannot be combined with ${args.promote !== undefined ? '--promote' : '--preview'}: a user Worker in a dispatch namespace has no versions, deployments or Previews, and its upload deploys it at once`,
    )
  return args
}

function percent(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || !(n >= 1 && n <= 100))
    throw new UsageError(
      `--promote takes a whole percentage from 1 to 100, got ${JSON.stringify(value)}`,
    )
  return n
}
