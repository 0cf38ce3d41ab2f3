/** Routing, auth and account checks for `/client/v4/…`, in the order the real API applies them. */
import type { IncomingHttpHeaders } from 'node:http'
import { timingSafeEqual } from 'node:crypto'
import { Code, failOne, ok, okPage, type ApiReply } from './envelope.js'
import { createVersion, workerNotFound, type CreateVersionContext } from './create-version.js'
import { versionResult } from './results.js'
import { ATTACHED_READ_ROUTES } from './attached-reads.js'
import { WRANGLER_ROUTES } from './wrangler-routes.js'
import { DEPLOYMENT_ROUTES } from './deployments.js'
import { assetsRoutes, checkAssetsJwt, type AssetsService } from './assets.js'
import { SCRIPT_UPLOAD_ROUTES } from './script-upload.js'
import type {
  EmulatorCustomDomain,
  EmulatorQueue,
  EmulatorRoute,
  EmulatorWorkflow,
  EmulatorZone,
  StoredWorker,
} from './types.js'
import { scriptSettings, WORKER_SETTINGS_ROUTES } from './worker-settings.js'
import { ZONE_AND_QUEUE_ROUTES } from './zones-queues.js'
import { PREVIEW_ROUTES } from './previews.js'
import { GRAPHQL_ROUTES } from './graphql.js'
import type { InvocationLog } from './invocations.js'
import { DISPATCH_NAMESPACE_ROUTES } from './dispatch-namespaces.js'
import { IMAGE_TRANSFORMATION_ROUTES } from './image-transformations.js'
import { WORKFLOW_LIST_ROUTES } from './workflows-list.js'

export const API_PREFIX = '/client/v4'

export interface ApiContext extends CreateVersionContext {
  token: string
  accountId: string
  /** What `GET /accounts` lists, and `GET /memberships` unless `membershipsHidden`. */
  accounts: ReadonlyArray<{ id: string; name: string }>
  membershipsHidden: boolean
  /** Static assets endpoints; their routes answer 404 without it. */
  assets?: AssetsService
  /** The account may only create SQLite-backed Durable Objects: `new_classes` is refused (10099). */
  newAccount: boolean
  workersDevSubdomain: string
  zones: EmulatorZone[]
  routes: EmulatorRoute[]
  customDomains: EmulatorCustomDomain[]
  queues: EmulatorQueue[]
  /** Keyed by `${accountId}\n${name}`. */
  workflows: Map<string, EmulatorWorkflow>
  /** What was served through deployments' splits, for the GraphQL Analytics API (graphql.ts). */
  invocations?: InvocationLog
}

export interface ApiRequest {
  method: string
  /** Path below {@link API_PREFIX}, e.g. `/accounts/a/workers/workers/w/versions`. */
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  /** Parsed JSON body; `undefined` when there was none. */
  body: unknown
  bodyProblem?: 'invalid-json' | 'too-large'
  /** The body's bytes, for routes that take a non-JSON (multipart) body. */
  raw?: Buffer
}

type Handler = (ctx: ApiContext, req: ApiRequest, params: string[]) => ApiReply | Promise<ApiReply>

export interface Route {
  method: string
  pattern: RegExp
  handler: Handler
  /** Takes `raw` (e.g. multipart) instead of a JSON body. */
  rawBody?: boolean
  /**
   * Checks its own credentials instead of the API token (the assets upload takes an upload token):
   * a refusal, or undefined to go on. Made from the headers alone, before the body is read.
   */
  ownAuth?: (
    ctx: ApiContext,
    headers: IncomingHttpHeaders,
    params: string[],
  ) => ApiReply | undefined
  /** Under `/zones`, not an account: the first parameter, if any, is a zone id, which the handler checks. */
  zoneScoped?: boolean
  /** Not under `/accounts/{id}/` (the account list itself): no account to check. */
  unscoped?: boolean
}

const SEGMENT = '([^/]+)'
const WORKERS = `^/accounts/${SEGMENT}/workers/workers`
const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/accounts\/?$/, handler: listAccounts, unscoped: true },
  { method: 'GET', pattern: /^\/memberships\/?$/, handler: listMemberships, unscoped: true },
  { method: 'GET', pattern: new RegExp(`${WORKERS}/?$`), handler: listWorkers },
  { method: 'POST', pattern: new RegExp(`${WORKERS}/?$`), handler: createWorker },
  { method: 'GET', pattern: new RegExp(`${WORKERS}/${SEGMENT}/?$`), handler: getWorker },
  {
    method: 'GET',
    pattern: new RegExp(`${WORKERS}/${SEGMENT}/versions/?$`),
    handler: listVersions,
  },
  {
    method: 'POST',
    pattern: new RegExp(`${WORKERS}/${SEGMENT}/versions/?$`),
    handler: postVersion,
  },
  {
    method: 'GET',
    pattern: new RegExp(`${WORKERS}/${SEGMENT}/versions/${SEGMENT}/?$`),
    handler: getVersion,
  },
  ...WRANGLER_ROUTES,
  ...SCRIPT_UPLOAD_ROUTES,
  ...DEPLOYMENT_ROUTES,
  ...PREVIEW_ROUTES,
  ...assetsRoutes((ctx) => ctx.assets),
  ...WORKER_SETTINGS_ROUTES,
  ...ZONE_AND_QUEUE_ROUTES,
  ...ATTACHED_READ_ROUTES,
  ...GRAPHQL_ROUTES,
  ...DISPATCH_NAMESPACE_ROUTES,
  ...IMAGE_TRANSFORMATION_ROUTES,
  ...WORKFLOW_LIST_ROUTES,
]

/** A request the API takes on (its body not read yet), or the answer that refuses it. */
export type Admission = { refused: ApiReply } | { route: FoundRoute }

/**
 * The checks made from the request line and headers alone, in the API's order: a route, then the
 * credentials, then the account. The server makes them before reading a body, so a request without
 * the token gets its 401 without a byte of its body held (a page's unauthenticated 99 MB POSTs
 * cost nothing).
 */
export function admit(
  ctx: ApiContext,
  req: Pick<ApiRequest, 'method' | 'path' | 'headers'>,
): Admission {
  const found = route(req.method, req.path)
  if (!found) return { refused: failOne(404, Code.noRoute, 'No route for that URI') }
  const credentials = found.ownAuth
    ? found.ownAuth(ctx, req.headers, found.params)
    : authenticated(ctx.token, req.headers)
      ? undefined
      : failOne(401, Code.auth, 'Authentication error')
  if (credentials) return { refused: credentials }
  if (!found.zoneScoped && !found.unscoped && found.params[0] !== ctx.accountId) {
    return {
      refused: failOne(
        404,
        Code.badAccount,
        `Could not route to ${API_PREFIX}${req.path}, perhaps your object identifier is invalid?`,
      ),
    }
  }
  return { route: found }
}

export async function handleApi(ctx: ApiContext, req: ApiRequest): Promise<ApiReply> {
  const admitted = admit(ctx, req)
  if ('refused' in admitted) return admitted.refused
  const found = admitted.route
  if (req.bodyProblem === 'invalid-json' && found.zoneScoped)
    return failOne(400, Code.validation, 'The request body is not valid JSON', '')
  if (found.zoneScoped || found.unscoped) return found.handler(ctx, req, found.params)
  if (req.bodyProblem === 'too-large')
    return failOne(413, Code.tooLarge, 'Request body is too large')
  if (req.bodyProblem === 'invalid-json' && !found.rawBody)
    return failOne(400, Code.validation, 'The request body is not valid JSON', '')
  return found.handler(ctx, req, found.params)
}

interface FoundRoute {
  handler: Handler
  params: string[]
  rawBody?: boolean | undefined
  ownAuth?: Route['ownAuth']
  zoneScoped?: boolean | undefined
  unscoped?: boolean | undefined
}

function route(method: string, path: string): FoundRoute | undefined {
  for (const r of ROUTES) {
    const match = r.method === method ? r.pattern.exec(path) : null
    if (match)
      return {
        handler: r.handler,
        params: match.slice(1).map((p) => decodeURIComponent(p)),
        rawBody: r.rawBody,
        ownAuth: r.ownAuth,
        zoneScoped: r.zoneScoped,
        unscoped: r.unscoped,
      }
  }
  return undefined
}

/** Bearer token, or the legacy email + global key pair with the key equal to the token. */
function authenticated(token: string, headers: IncomingHttpHeaders): boolean {
  const authorization = headers.authorization
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    return match?.[1] !== undefined && sameSecret(match[1], token)
  }
  const email = headers['x-auth-email']
  const key = headers['x-auth-key']
  return (
    typeof email === 'string' && email !== '' && typeof key === 'string' && sameSecret(key, token)
  )
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

const WORKER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/** The accounts the token can see, a page at a time as the real API pages them (`per_page` 5–50, default 20). */
function listAccounts(ctx: ApiContext, req: ApiRequest): ApiReply {
  return ok(pageOf(ctx.accounts, req).map((a) => ({ id: a.id, name: a.name, type: 'standard' })))
}

/** The user's membership of each account the token sees (wrangler keeps the accounts that have one). */
function listMemberships(ctx: ApiContext, req: ApiRequest): ApiReply {
  if (ctx.membershipsHidden)
    return failOne(403, Code.authz, 'Unauthorized to access requested resource')
  return ok(
    pageOf(ctx.accounts, req).map((a) => ({
      id: `membership-${a.id}`,
      status: 'accepted',
      account: { id: a.id, name: a.name },
    })),
  )
}

function pageOf<T>(list: readonly T[], req: ApiRequest): T[] {
  const page = Math.max(1, Number.parseInt(req.query.get('page') ?? '1', 10) || 1)
  const perPage = Math.min(
    50,
    Math.max(5, Number.parseInt(req.query.get('per_page') ?? '20', 10) || 20),
  )
  return list.slice((page - 1) * perPage, page * perPage)
}

function listWorkers(ctx: ApiContext, _req: ApiRequest, [account = '']: string[]): ApiReply {
  return ok(ctx.store.workers(account).map(workerResult))
}

/** A Worker as the Workers API shows it: its script settings are fields of the Worker; its schedules are not. */
function workerResult({
  settings,
  schedules: _schedules,
  ...worker
}: StoredWorker): Record<string, unknown> {
  return { ...worker, ...scriptSettings({ settings }) }
}

function createWorker(ctx: ApiContext, req: ApiRequest, [account = '']: string[]): ApiReply {
  const body = req.body as { name?: unknown } | undefined
  const name = body?.name
  if (typeof name !== 'string' || !WORKER_NAME.test(name)) {
    return failOne(
      400,
      Code.validation,
      'name must be lower-case letters, digits and dashes (at most 63)',
      '/name',
    )
  }
  if (ctx.store.worker(account, name))
    return failOne(409, Code.validation, `A Worker named '${name}' already exists`, '/name')
  return ok(workerResult(ctx.store.createWorker(account, name)))
}

function getWorker(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', worker = '']: string[],
): ApiReply {
  const found = ctx.store.worker(account, worker)
  return found ? ok(workerResult(found)) : workerNotFound()
}

function listVersions(
  ctx: ApiContext,
  req: ApiRequest,
  [account = '', worker = '']: string[],
): ApiReply {
  if (!ctx.store.worker(account, worker)) return workerNotFound()
  const all = ctx.store.versions(account, worker)
  const page = positiveInt(req.query.get('page'), 1)
  const perPage = Math.min(positiveInt(req.query.get('per_page'), 20), 100)
  return okPage(all, page, perPage, (v) => versionResult(v, false))
}

function getVersion(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', worker = '', id = '']: string[],
): ApiReply {
  if (!ctx.store.worker(account, worker)) return workerNotFound()
  const version = ctx.store.version(account, worker, id)
  return version
    ? ok(versionResult(version, true))
    : failOne(404, Code.versionNotFound, 'Version not found')
}

async function postVersion(
  ctx: ApiContext,
  req: ApiRequest,
  [account = '', worker = '']: string[],
): Promise<ApiReply> {
  const assets = checkAssetsJwt(ctx.assets, account, worker, req.body)
  if (typeof assets === 'string') return failOne(400, Code.validation, assets, '/assets/jwt')
  const reply = await createVersion(ctx, {
    accountId: account,
    worker,
    deploy: req.query.get('deploy') === 'true',
    body: req.body,
  })
  // The version keeps the asset set its completion token stands for.
  const id =
    reply.status === 200 ? (reply.body as { result?: { id?: string } }).result?.id : undefined
  const stored = assets && id !== undefined ? ctx.store.version(account, worker, id) : undefined
  if (stored && assets) stored.assetsManifest = assets
  return reply
}

function positiveInt(text: string | null, fallback: number): number {
  const n = Number(text)
  return text !== null && Number.isInteger(n) && n > 0 ? n : fallback
}
