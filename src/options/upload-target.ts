import { WorkersVersionError } from '../core/errors.js'
import { assertSafeBaseUrl, type ApiCredentials } from '../api/index.js'
import { DEFAULT_API_BASE_URL, type WorkersVersionOptions } from './index.js'

/** Where and as whom to upload: every value resolved, env fallbacks applied here only. */
export interface UploadTarget {
  accountId: string
  worker: string
  baseUrl: string
  credentials: ApiCredentials
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim()
}

/**
 * Resolves the upload target, reporting every missing piece at once with the option and
 * the environment variable that would provide it. Called before the build does any work.
 */
export function resolveUploadTarget(options: WorkersVersionOptions, env: NodeJS.ProcessEnv = process.env): UploadTarget {
  const accountId = nonEmpty(options.accountId) ?? nonEmpty(env.CLOUDFLARE_ACCOUNT_ID)
  const worker = nonEmpty(options.worker)
  const apiToken = nonEmpty(options.apiToken) ?? nonEmpty(env.CLOUDFLARE_API_TOKEN)
  const apiKey = nonEmpty(options.apiKey) ?? nonEmpty(env.CLOUDFLARE_API_KEY)
  const email = nonEmpty(options.email) ?? nonEmpty(env.CLOUDFLARE_EMAIL)
  const baseUrl = (nonEmpty(options.apiBaseUrl) ?? nonEmpty(env.CLOUDFLARE_API_BASE_URL) ?? DEFAULT_API_BASE_URL).replace(/\/+$/, '')

  const missing: string[] = []
  if (!worker) missing.push('the Worker: set the `worker` option (its name or id)')
  if (!accountId) missing.push('the account id: set the `accountId` option or CLOUDFLARE_ACCOUNT_ID')
  if (!apiToken && !(apiKey && email)) {
    if (apiKey && !email) missing.push('the e-mail for the global API key: set the `email` option or CLOUDFLARE_EMAIL')
    else if (email && !apiKey) missing.push('the global API key for the e-mail: set the `apiKey` option or CLOUDFLARE_API_KEY')
    else missing.push('a credential: set the `apiToken` option or CLOUDFLARE_API_TOKEN (or `apiKey` + `email`, CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL)')
  }
  if (missing.length > 0) {
    throw new WorkersVersionError('MISSING_UPLOAD_TARGET', `Cannot create the version; missing:\n${missing.map((m) => `  - ${m}`).join('\n')}`)
  }
  assertSafeBaseUrl(baseUrl)
  const credentials: ApiCredentials = apiToken ? { apiToken } : { apiKey, email }
  return { accountId: accountId!, worker: worker!, baseUrl, credentials }
}
