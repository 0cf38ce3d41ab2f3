/**
 * An upload's session: the redactor, the connection pool and the Worker's state read while the
 * bundler worked, shared by the calls of one upload (and by the uploads of plans it serves).
 */
import pc from 'picocolors'
import { createAgent, resolveTimeouts, type ApiCallContext } from '../api/index.js'
import { proxyFromEnv, proxySecrets } from '../api/proxy.js'
import type { Redactor } from '../core/redact.js'
import type { ResolvedOptions } from '../options/resolve.js'
import { startDiffReads } from './diff.js'
import { targetContext } from './target-context.js'
import type { UploadPlan } from '../plan/index.js'
import { sameReads } from '../plan/reads.js'
import { createLiveLine, isLiveTerminal } from '../report/live-line.js'
import { workerLogger } from '../report/in-flight.js'
import type { Logger } from '../report/logger.js'
import { readWorker, type WorkerState } from './worker-state.js'

/**
 * What the calls of one upload share: a redactor that knows every secret of the run, one
 * connection pool (connections and TLS sessions reused), and the Worker's state when it was
 * read while the bundler worked.
 */
export interface UploadSession {
  /** The plan it serves; an upload of any other plan opens its own. */
  readonly plan: UploadPlan
  readonly redactor: Redactor
  readonly logger: Logger
  readonly ctx: ApiCallContext
  /** The Worker's state and when it was read, started by `startUpload` with `readEarly`. */
  readonly early?: Promise<{ state: WorkerState; readAt: number }>
  /**
   * The account id looked up from the token, when none was configured: started at once, awaited
   * before the first account-scoped request (it sets `ctx.accountId`). Preflight runs meanwhile.
   */
  readonly account?: Promise<string>
  /**
   * Lets go of the pool: the last holder to close destroys the connections (not a graceful close:
   * an idle socket must not hold the process open). Idempotent for each holder.
   */
  close(): Promise<void>
  /**
   * Another holder of this session's pool (an upload of another plan that the session serves),
   * with its own `close`; undefined once the pool is destroyed.
   */
  share(): (() => Promise<void>) | undefined
}

/**
 * Opens an upload's session. With `readEarly` (the context decides when: not with preflight or
 * static assets) the Worker's state is read at once, while the bundler works: against the real
 * API that hides the connection's handshakes and a round trip. Those reads do not hold the
 * process open if the build fails.
 */
export function startUpload(
  plan: UploadPlan,
  options: ResolvedOptions,
  logger: Logger,
  { readEarly, redactor }: { readEarly: boolean; redactor: Redactor },
): UploadSession {
  const { target } = plan
  // Many builds in one process: while uploads overlap, each line names its Worker (report/in-flight.ts).
  const redacted = workerLogger(
    {
      info: (line) => logger.info(redactor.redact(line)),
      warn: (line) => logger.warn(redactor.redact(line)),
      silent: logger.silent,
    },
    target.worker,
  )
  // Before any request: a proxy's credentials are secrets of the run like the token.
  const proxy = proxyFromEnv()
  redactor.add(...proxySecrets(proxy))
  const agent = createAgent(resolveTimeouts(options.network.timeouts), proxy)
  // A request's failed attempts on one line rewritten in place, on a terminal only; each retried
  // request ends with one line of its own (the retry loop's `log`).
  const live = !logger.silent() && isLiveTerminal() ? createLiveLine() : undefined
  const ctx: ApiCallContext = {
    ...targetContext(plan, options, redactor, (line) => {
      live?.clear()
      redacted.warn(pc.yellow(`  ${line}`))
    }),
    agent,
    // The versions baseline is read with the Worker's reads (readWorker), off the send's path.
    baselines: new Map(),
    live: live && ((line) => live.show(`  ${line}`)),
  }
  let closed: Promise<void> | undefined
  const account =
    target.accountId === undefined
      ? import('../api/accounts.js')
          .then(({ findAccountId }) => findAccountId({ ...ctx, background: readEarly }))
          .then((id) => {
            ctx.accountId = id
            return id
          })
      : undefined
  const early = readEarly
    ? (account ?? Promise.resolve())
        .then(() => readWorker({ ...ctx, background: true }, plan))
        .then((state) => ({ state, readAt: Date.now() }))
    : undefined
  // Handled here so that a build failing before the upload leaves no unhandled rejection behind.
  early?.catch(() => undefined)
  account?.catch(() => undefined)
  // Uploads of several plans may share the pool at once: the first to end must not destroy it
  // under the others (their requests then failed with UND_ERR_DESTROYED).
  let holders = 0
  const holder = () => {
    holders++
    let released = false
    return () => {
      // A request that gave up mid-retry (a deadline) leaves its live line: the build's error starts on a clean one.
      live?.clear()
      if (!released) {
        released = true
        holders--
      }
      return holders > 0 ? Promise.resolve() : (closed ??= agent.destroy().catch(() => undefined))
    }
  }
  const close = holder()
  const share = () => (closed === undefined ? holder() : undefined)
  const session = { plan, redactor, logger: redacted, ctx, early, account, close, share }
  // What will change (deploy/diff.ts): its reads start with the session, while the bundler works when `readEarly`.
  startDiffReads(session, readEarly)
  return session
}

/**
 * The build's session serves the plan it was opened for, and also the Worker plan the Cloudflare
 * plugin's generated config gives the same Worker (same API, account, credentials) when that plan
 * needs no read the session's early one left out: the Worker's state read while the bundler worked
 * is then used, rather than read again after the build (measured through bench/network.mjs: four
 * round trips, handshakes included, off the full-stack playground's upload).
 */
export function sessionServing(
  plan: UploadPlan,
  session: UploadSession | undefined,
): UploadSession | undefined {
  if (!session || session.plan === plan) return session
  const close =
    sameTarget(session.plan, plan) && sameReads(session.plan, plan) ? session.share() : undefined
  return close ? { ...session, plan, close } : undefined
}

/** Whether two plans upload to the same Worker through the same API, account and credentials. */
export function sameTarget(a: UploadPlan, b: UploadPlan): boolean {
  const [was, now] = [a.target, b.target]
  return (
    was.baseUrl === now.baseUrl &&
    was.accountId === now.accountId &&
    was.worker === now.worker &&
    was.credentials.apiToken === now.credentials.apiToken &&
    was.credentials.apiKey === now.credentials.apiKey &&
    was.credentials.email === now.credentials.email
  )
}
