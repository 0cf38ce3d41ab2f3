/**
 * The account id from the token, as wrangler finds it when none is configured: `GET /accounts`,
 * page by page. Exactly one account is the answer; none or several is an error that lists them
 * and names the option to set. (wrangler also reads `/memberships` to drop accounts the user was
 * only invited to; a token for one account sees that one.)
 */
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { plural } from '../core/plural.js'
import { withApi, type ApiClientOptions } from './request.js'
import { sendWithRetries } from './retry.js'

export interface AccountInfo {
  id: string
  name: string
}

/** The API's largest page; a shorter page is the last. */
const PER_PAGE = 50
/** 1,000 accounts: past that the list is not worth reading to find "the only one". */
const MAX_PAGES = 20

export async function listAccounts(ctx: ApiClientOptions): Promise<AccountInfo[]> {
  return withApi(ctx, async (session) => {
    const accounts: AccountInfo[] = []
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { result } = await sendWithRetries(session, {
        method: 'GET',
        path: '/accounts',
        query: { page: String(page), per_page: String(PER_PAGE) },
        what: 'List the accounts of the token',
        worker: '',
        idempotent: true,
      })
      const found = Array.isArray(result) ? result.filter(isRecord) : []
      for (const account of found) if (typeof account.id === 'string') accounts.push({ id: account.id, name: typeof account.name === 'string' ? account.name : '(no name)' })
      if (found.length < PER_PAGE) break
    }
    return accounts
  })
}

/** The only account the credentials can see; otherwise an error listing what they see. */
export async function findAccountId(ctx: ApiClientOptions): Promise<string> {
  const accounts = await listAccounts(ctx)
  if (accounts.length === 1) return accounts[0]!.id
  const set = 'set the `accountId` option, CLOUDFLARE_ACCOUNT_ID, or `account_id` in the wrangler config'
  if (accounts.length === 0) {
    throw new WorkersVersionError('MISSING_ACCOUNT_ID', `No account id is configured, and the API token can see no account to take it from: ${set}, or use a token with access to the account.`)
  }
  const listed = accounts.map((a) => `  - ${a.id}  ${a.name}`).join('\n')
  throw new WorkersVersionError('MISSING_ACCOUNT_ID', `No account id is configured, and the API token can see ${plural(accounts.length, 'account')}; ${set} to the one to upload to:\n${listed}`)
}
