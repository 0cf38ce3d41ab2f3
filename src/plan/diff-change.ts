/** One change of the diff (plan/diff.ts), as the log, `diff.json` and the job summary show it. */
type ChangeKind =
  | 'binding'
  | 'compatibility-date'
  | 'compatibility-flag'
  | 'main-module'
  | 'modules'
  | 'migrations'
  | 'route'
  | 'custom-domain'
  | 'cron'
  | 'workers-dev'
  | 'script-settings'
  | 'queue-consumer'
  | 'workflow'
  | 'assets'

export interface Change {
  kind: ChangeKind
  op: 'add' | 'remove' | 'change'
  /** What changes: a binding's name, a route's pattern, a flag… */
  subject: string
  /** The change as the log prints it, e.g. `- binding CACHE (kv_namespace)`. */
  line: string
  /** Set on the changes strict mode refuses: the `strict.allow` entry that acknowledges it. */
  guard?: string
}
