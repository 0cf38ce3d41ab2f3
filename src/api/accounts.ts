/**
 * The account id from the token, as wrangler finds it when none is configured: `GET /accounts` and
 * `GET /memberships` together, page by page, and the accounts the user is a member of; a token that
 * may not read memberships (codes 9106 and 10000, as for an account-owned token) takes the accounts
 * alone. Exactly one account is the answer; none or several is an error that lists them and names
 * the option to set.
 */
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { plural } from '../core/plural.js'
import { ApiError } from './errors.js'
import { withApi, type ApiClientOptions } from './request.js'
import { type ApiSession, sendWithRetries } from './retry.js'

interface AccountInfo {
  id: string
  name: string
}

/** The API's largest page; a shorter page is the last. */
const PER_PAGE = 50
/** 1,000 entries: past that the list is not worth reading to find "the only one". */
const MAX_PAGES = 20
/** What `/memberships` answers a token that may not read them; wrangler then trusts `/accounts`. */
const MEMBERSHIPS_INACCESSIBLE = new Set([9106, 10000])

/** Every entry of a paged list. */
async function readPages(
  session: ApiSession,
  path: string,
  what: string,
): Promise<Record<string, unknown>[]> {
  const entries: Record<string, unknown>[] = []
  for (let page = 1; page <= MAX_PAGES; page++) {
    const { result } = await sendWithRetries(session, {
      method: 'GET',
      path,
      query: { page: String(page), per_page: String(PER_PAGE) },
      what,
      worker: '',
      idempotent: true,
    })
    const found = Array.isArray(result) ? result.filter(isRecord) : []
    entries.push(...found)
    if (found.length < PER_PAGE) break
  }
  return entries
}

/** The accounts the credentials can use, as wrangler lists them. */
async function listAccounts(ctx: ApiClientOptions): Promise<AccountInfo[]> {
  return withApi(ctx, async (session) => {
    const [accounts, memberships] = await Promise.allSettled([
      readPages(session, '/accounts', 'List the accounts of the token'),
      readPages(session, '/memberships', 'List the memberships of the token'),
    ])
    if (accounts.status === 'rejected') throw accounts.reason
    const listed = accounts.value.flatMap((a) =>
      typeof a.id === 'string'
        ? [{ id: a.id, name: typeof a.name === 'string' ? a.name : '(no name)' }]
        : [],
    )
    if (memberships.status === 'rejected') {
      const error: unknown = memberships.reason
      const inaccessible =
        error instanceof ApiError && error.errors.some((e) => MEMBERSHIPS_INACCESSIBLE.has(e.code))
      if (inaccessible && listed.length > 0) return listed
      throw error
    }
    const member = new Set(
      memberships.value.flatMap((m) =>
        isRecord(m.account) && typeof m.account.id === 'string' ? [m.account.id] : [],
      ),
    )
    return listed.filter((a) => member.has(a.id))
  })
}

/** The only account the credentials can use; otherwise an error listing what they can. */
export async function findAccountId(ctx: ApiClientOptions): Promise<string> {
  const accounts = await listAccounts(ctx)
  if (accounts.length === 1) return accounts[0]!.id
  const set =
    'set the `accountId` option, CLOUDFLARE_ACCOUNT_ID, or `account_id` in the wrangler config'
  if (accounts.length === 0) {
    throw new WorkersVersionError(
      'MISSING_ACCOUNT_ID',
      `No account id is configured, and the API token can see no account to take it from: ${set}, or use a token with access to the account.`,
    )
  }
  const listed = accounts.map((a) => `  - ${a.id}  ${a.name}`).join('\n')
  throw new WorkersVersionError(
    'MISSING_ACCOUNT_ID',
    `No account id is configured, and the API token can see ${plural(accounts.length, 'account')}; ${set} to the one to upload to:\n${listed}`,
  )
}
