/**
 * The reads that show what a Worker has attached beyond its versions, as the API serves them:
 *
 * - `GET /accounts/:a/workers/scripts/:s/routes`: the Worker's zone routes `[{id, pattern, script}]`;
 * - `GET /accounts/:a/workers/domains?service=…`: Custom Domains, filtered by the Worker they serve;
 * - `GET /accounts/:a/workers/scripts/:s/subdomain`: the workers.dev and Preview URLs switches.
 *
 * A Worker that does not exist is 10007 on the script paths, as on the other script endpoints.
 */
import type { ApiContext, ApiRequest, Route } from './api.js'
import { workerNotFound } from './create-version.js'
import { ok, type ApiReply } from './envelope.js'

const SEGMENT = '([^/]+)'
const SCRIPT = `^/accounts/${SEGMENT}/workers/scripts/${SEGMENT}`

export const ATTACHED_READ_ROUTES: Route[] = [
  { method: 'GET', pattern: new RegExp(`${SCRIPT}/routes/?$`), handler: listScriptRoutes },
  { method: 'GET', pattern: new RegExp(`${SCRIPT}/subdomain/?$`), handler: getSubdomain },
  {
    method: 'GET',
    pattern: new RegExp(`^/accounts/${SEGMENT}/workers/domains/?$`),
    handler: listDomains,
  },
]

function listScriptRoutes(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', script = '']: string[],
): ApiReply {
  if (!ctx.store.worker(account, script)) return workerNotFound()
  return ok(
    ctx.routes
      .filter((r) => r.script === script)
      .map((r) => ({ id: r.id, pattern: r.pattern, script: r.script })),
  )
}

function getSubdomain(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', script = '']: string[],
): ApiReply {
  const worker = ctx.store.worker(account, script)
  return worker ? ok({ ...worker.subdomain }) : workerNotFound()
}

/** The filters the API takes on this list; the emulator models one account, so none is account-scoped. */
function listDomains(ctx: ApiContext, req: ApiRequest): ApiReply {
  const service = req.query.get('service')
  const hostname = req.query.get('hostname')
  const zoneName = req.query.get('zone_name')
  return ok(
    ctx.customDomains
      .filter(
        (d) =>
          (service === null || d.service === service) &&
          (hostname === null || d.hostname === hostname) &&
          (zoneName === null || d.zone_name === zoneName),
      )
      .map((d) => ({ ...d })),
  )
}
