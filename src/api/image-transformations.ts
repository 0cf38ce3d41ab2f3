/**
 * `PUT /accounts/{a}/settings/transformations/workers/{script}`: the Worker-scoped setting of
 * Images' URL interface (`/cdn-cgi/image/…` on requests the Worker serves), which wrangler 4.168
 * sets after a deploy from `images.url_transformations`. The body is that setting as configured,
 * `{enabled, allowed_origins?}`. A PUT sets the whole setting, so a resend sets it again.
 */
import { callApi, json, type ApiCallContext } from './request.js'

export interface UrlTransformationsBody {
  enabled: boolean
  allowed_origins?: string[]
}

/** The path, each segment encoded (it is outside `/workers`, so `accountPath` does not build it). */
function urlTransformationsPath(accountId: string, script: string): string {
  return ['accounts', accountId, 'settings', 'transformations', 'workers', script]
    .map((segment) => `/${encodeURIComponent(segment)}`)
    .join('')
}

export async function putUrlTransformations(
  ctx: ApiCallContext,
  script: string,
  body: UrlTransformationsBody,
): Promise<void> {
  await callApi(ctx, {
    method: 'PUT',
    path: urlTransformationsPath(ctx.accountId, script),
    body: json(body),
    what: `Set the image URL transformations of Worker ${JSON.stringify(script)}`,
    worker: script,
    idempotent: true,
  })
}
