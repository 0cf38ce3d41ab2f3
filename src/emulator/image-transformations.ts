/**
 * Images' URL interface of one Worker (`/cdn-cgi/image/…` on the requests it serves), as
 * `wrangler deploy` 4.168 sets it from `images.url_transformations`:
 *
 * - `PUT /accounts/:a/settings/transformations/workers/:s` `{enabled, allowed_origins?}`: sets the
 *   whole setting; `enabled` is required (true or false), `allowed_origins` a list of origins (a host
 *   name, or `*` for any); any other field is refused, naming it. The Worker must exist.
 * - `GET` of the same path: the setting as last set (`{enabled: false}` before any PUT), so a test
 *   can read it back.
 *
 * Kept beside the stored Worker, not in it: the Workers API's own answers never show it.
 */
import type { ApiContext, ApiRequest, Route } from './api.js'
import { invalid, isObject, ok, pointer, type ApiReply } from './envelope.js'
import type { StoredWorker } from './types.js'
import { onWorker } from './worker-route.js'

interface UrlTransformations {
  enabled: boolean
  allowed_origins?: string[]
}

/** Each Worker's setting; a Worker deleted (or an emulator closed) takes its entry with it. */
const settings = new WeakMap<StoredWorker, UrlTransformations>()

const PATH = /^\/accounts\/([^/]+)\/settings\/transformations\/workers\/([^/]+)\/?$/

/** Host names with an optional leading `*.`, or `*` alone. */
const ORIGIN =
  /^(?:\*|(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)$/i

export const IMAGE_TRANSFORMATION_ROUTES: Route[] = [
  { method: 'PUT', pattern: PATH, handler: onWorker(putSetting) },
  {
    method: 'GET',
    pattern: PATH,
    handler: onWorker((_ctx, _req, worker) => ok(settings.get(worker) ?? { enabled: false })),
  },
]

function putSetting(_ctx: ApiContext, req: ApiRequest, worker: StoredWorker): ApiReply {
  const fields = req.body
  if (!isObject(fields))
    return invalid('The request body must be an object {enabled, allowed_origins?}', '')
  for (const key of Object.keys(fields))
    if (key !== 'enabled' && key !== 'allowed_origins')
      return invalid(`Unknown field ${JSON.stringify(key)}`, pointer(key))
  if (typeof fields.enabled !== 'boolean')
    return invalid('enabled is required: true or false', pointer('enabled'))
  const origins = fields.allowed_origins
  if (origins !== undefined) {
    if (!Array.isArray(origins))
      return invalid('allowed_origins must be an array of origins', pointer('allowed_origins'))
    for (const [i, origin] of origins.entries())
      if (typeof origin !== 'string' || !ORIGIN.test(origin))
        return invalid(
          `Invalid origin ${JSON.stringify(origin)}: a host name, or "*"`,
          pointer('allowed_origins', i),
        )
  }
  const setting: UrlTransformations = {
    enabled: fields.enabled,
    ...(origins !== undefined && { allowed_origins: [...(origins as string[])] }),
  }
  settings.set(worker, setting)
  return ok(setting)
}
