import type { ApiCallContext } from '../api/index.js'
import type { Redactor } from '../core/redact.js'
import type { ResolvedOptions } from '../options/resolve.js'
import type { UploadPlan } from '../plan/index.js'

/**
 * The part of an API call's context that the plan's target and the network options decide: the
 * caller adds its pool and the rest. Without a configured account id it is empty until the
 * account lookup fills it in (`requireAccount` refuses an empty one).
 */
export function targetContext(
  { target }: UploadPlan,
  options: ResolvedOptions,
  redactor: Redactor,
  log: (line: string) => void,
): ApiCallContext {
  return {
    baseUrl: target.baseUrl,
    credentials: target.credentials,
    accountId: target.accountId ?? '',
    timeouts: options.network.timeouts,
    retries: options.network.retries,
    redactor,
    log,
  }
}
