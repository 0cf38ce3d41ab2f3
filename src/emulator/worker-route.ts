import type { ApiContext, ApiRequest } from './api.js'
import { workerNotFound } from './create-version.js'
import type { ApiReply } from './envelope.js'
import type { StoredWorker } from './types.js'

/**
 * A handler of `/accounts/:account/…/:script…` that acts on an existing Worker: a missing Worker is
 * the API's 404 before the handler runs, so its body is never checked first.
 */
export function onWorker(
  handler: (ctx: ApiContext, req: ApiRequest, worker: StoredWorker, account: string) => ApiReply,
): (ctx: ApiContext, req: ApiRequest, params: string[]) => ApiReply {
  return (ctx, req, [account = '', script = '']) => {
    const worker = ctx.store.worker(account, script)
    return worker ? handler(ctx, req, worker, account) : workerNotFound()
  }
}
