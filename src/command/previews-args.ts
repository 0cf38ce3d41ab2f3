// The `previews` command's command line: `delete NAME`, `delete --from-event`, `prune --older-than D`.
import { UsageError } from './args.js'

export const PREVIEWS_USAGE = `Usage: npx unplugin-workers-version previews delete NAME [options]
       npx unplugin-workers-version previews delete --from-event [options]
       npx unplugin-workers-version previews prune --older-than DURATION [--dry-run] [options]

Deletes Worker Previews (each with all its deployments). The Worker itself, its versions and its
production deployments are never touched.

  delete NAME            the Preview NAME (its name, its URL label or its id)
  delete --from-event    the Preview of the pull request that a GitHub \`pull_request\` (or
                         \`pull_request_target\`) \`closed\` event names (GITHUB_EVENT_PATH): its head
                         branch's Preview, or \`pr-<number>\` for a pull request from a fork, the
                         names \`preview: 'auto'\` gives them; none to delete is no error
  prune --older-than D   every Preview whose latest deployment (or, without one, whose creation) is
                         older than D: a whole number and a unit, m (minutes), h, d or w (e.g. 7d, 12h)

Options:
  --dry-run              prune: list what would be deleted and delete nothing
  --worker NAME          the Worker (default: the name in the wrangler config or Build Output)
  --cwd DIR              the project directory (default: the current directory)
  --config PATH          the wrangler config to read the Worker's name and account from
  --env NAME             the wrangler environment (default: CLOUDFLARE_ENV)
  -h, --help             this text

Environment: CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_KEY with CLOUDFLARE_EMAIL), CLOUDFLARE_ACCOUNT_ID,
CLOUDFLARE_API_BASE_URL, CLOUDFLARE_ENV; for --from-event GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_HEAD_REF.
Exit codes: 0 success, 1 failure (an unknown Preview NAME among them), 2 usage error.`

export type PreviewsAction =
  | { kind: 'delete'; name: string }
  | { kind: 'delete-from-event' }
  | { kind: 'prune'; olderThanMs: number; olderThan: string; dryRun: boolean }

export interface PreviewsArgs {
  action?: PreviewsAction
  cwd?: string
  config?: string
  env?: string
  worker?: string
  help: boolean
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const

/** `7d`, `12h`, `30m`, `2w`: a whole, positive number of one unit. */
function parseDuration(text: string): number {
  const match = /^([1-9]\d{0,5})([mhdw])$/.exec(text)
  if (!match)
    throw new UsageError(
      `--older-than takes a whole number and a unit m, h, d or w (e.g. 7d, 12h), got ${JSON.stringify(text)}`,
    )
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
}

const VALUE_FLAGS = new Set(['--cwd', '--config', '--env', '--worker', '--older-than'])

/** Parses the arguments after `previews`. Throws a UsageError naming what is wrong. */
export function parsePreviewsArgs(argv: readonly string[]): PreviewsArgs {
  const args: PreviewsArgs = { help: false }
  const positional: string[] = []
  const values = new Map<string, string>()
  const switches = new Set<string>()
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    if (token === '-h' || token === '--help') {
      args.help = true
      continue
    }
    if (!token.startsWith('-')) {
      positional.push(token)
      continue
    }
    const eq = token.indexOf('=')
    const flag = eq === -1 ? token : token.slice(0, eq)
    if (values.has(flag) || switches.has(flag)) throw new UsageError(`${flag} is given twice`)
    if (flag === '--dry-run' || flag === '--from-event') {
      if (eq !== -1) throw new UsageError(`${flag} takes no value`)
      switches.add(flag)
      continue
    }
    if (!VALUE_FLAGS.has(flag)) throw new UsageError(`unknown option ${flag}`)
    const value = eq === -1 ? argv[++i] : token.slice(eq + 1)
    if (value === undefined || value === '' || (eq === -1 && value.startsWith('-')))
      throw new UsageError(`${flag} needs a value`)
    values.set(flag, value)
  }
  if (args.help) return args
  args.cwd = values.get('--cwd')
  args.config = values.get('--config')
  args.env = values.get('--env')
  args.worker = values.get('--worker')
  const [sub, ...rest] = positional
  const olderThan = values.get('--older-than')
  if (sub === 'delete') {
    if (olderThan !== undefined || switches.has('--dry-run'))
      throw new UsageError(
        `${olderThan !== undefined ? '--older-than' : '--dry-run'} belongs to prune, not delete`,
      )
    if (switches.has('--from-event')) {
      if (rest.length > 0)
        throw new UsageError(
          `delete --from-event takes no NAME (got ${JSON.stringify(rest[0])}): the event names the Preview`,
        )
      args.action = { kind: 'delete-from-event' }
    } else {
      if (rest.length !== 1 || rest[0]!.trim() === '')
        throw new UsageError(
          rest.length > 1
            ? `delete takes one NAME, got ${rest.length}`
            : 'delete needs a Preview NAME, or --from-event',
        )
      args.action = { kind: 'delete', name: rest[0]! }
    }
  } else if (sub === 'prune') {
    if (rest.length > 0)
      throw new UsageError(`prune takes no NAME (got ${JSON.stringify(rest[0])})`)
    if (switches.has('--from-event'))
      throw new UsageError('--from-event belongs to delete, not prune')
    if (olderThan === undefined) throw new UsageError('prune needs --older-than DURATION (e.g. 7d)')
    args.action = {
      kind: 'prune',
      olderThanMs: parseDuration(olderThan),
      olderThan,
      dryRun: switches.has('--dry-run'),
    }
  } else {
    throw new UsageError(
      sub === undefined
        ? 'previews needs a subcommand: delete or prune'
        : `unknown subcommand ${JSON.stringify(sub)} (delete or prune)`,
    )
  }
  return args
}
