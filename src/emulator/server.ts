/**
 * The emulator's HTTP(S) server: refuses what no local client sends (another `Host`, a request
 * without the token, an oversized body) before reading a body, records every request, applies
 * queued faults, then hands the request to the API routes or to a version's preview. Listens on
 * 127.0.0.1 only.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSecureContext, type SecureContext } from 'node:tls'
import { admit, API_PREFIX, handleApi, type ApiContext } from './api.js'
import { pickVersion } from './deployments.js'
import { InvocationLog } from './invocations.js'
import { Code, failOne, type ApiReply } from './envelope.js'
import { FaultQueue, gatewayPage } from './faults.js'
import { decodeBody, readBody, redactHeaders, sendJson, sendText } from './http.js'
import { VersionPool } from './version-pool.js'
import { Dispatcher } from './dispatcher.js'
import { forwardToVersion, type StreamReply } from './preview-proxy.js'
import { idMatches, previewHostLabel, previewOrigin, splitPreviewLabel } from './preview-origin.js'
import { Store } from './store.js'
import { AssetsService } from './assets.js'
import type {
  Emulator,
  EmulatorOptions,
  Fault,
  RecordedRequest,
  RunnableVersionBody,
  StoredDeployment,
} from './types.js'

const HOST = '127.0.0.1'
const DEFAULT_ACCOUNT = 'local-account'
/** The Free/Pro plan's request body limit. */
const DEFAULT_MAX_BODY = 100 * 1000 * 1000
/** setTimeout fires at once for longer delays; clamp "never" to the longest it can wait. */
const MAX_TIMER_MS = 2 ** 31 - 1

type Reply = { kind: 'json'; reply: ApiReply } | { kind: 'stream'; reply: StreamReply }

export async function startServer(options: EmulatorOptions = {}): Promise<Emulator> {
  if (options.token !== undefined && !/^[\x21-\x7e]+$/.test(options.token))
    throw new Error(
      'the token must be printable ASCII without spaces (it travels in an Authorization header)',
    )
  // A fixed default would be known to every page a browser opens: each run has its own.
  const token = options.token ?? randomBytes(24).toString('base64url')
  const accountId = options.accountId ?? DEFAULT_ACCOUNT
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY
  const log = options.log ?? (() => undefined)
  const store = new Store()
  const assets = new AssetsService(options.assets)
  const faults = new FaultQueue()
  // A dispatcher's `dispatch_namespace` bindings reach the user Workers through the same pool.
  const dispatcher: Dispatcher = new Dispatcher(store, accountId, () => pool)
  const pool: VersionPool | undefined =
    options.preview === false
      ? undefined
      : new VersionPool(options.maxRunning ?? 2, dispatcher.extend)
  const requests: RecordedRequest[] = []
  const waits = new Set<() => void>()
  const trafficRandom = options.trafficRandom ?? Math.random
  let origin = ''
  let port = 0
  const protocol = options.tls ? 'https:' : 'http:'
  let closing = false

  const ctx: ApiContext = {
    token,
    accountId,
    accounts: options.accounts ?? [{ id: accountId, name: 'Emulator account' }],
    membershipsHidden: options.membershipsHidden ?? false,
    store,
    preview: pool,
    autoCreateWorkers: options.autoCreateWorkers ?? false,
    newAccount: options.newAccount ?? false,
    assets,
    previewUrl: (id, worker, kind = 'version') =>
      `${previewOrigin(kind, id, worker, port, protocol)}/`,
    workersDevSubdomain: options.workersDevSubdomain ?? 'emulator',
    zones: (options.zones ?? []).map((z) => ({
      name: z.name,
      id: z.id ?? randomUUID().replaceAll('-', ''),
    })),
    routes: [],
    customDomains: [],
    queues: (options.queues ?? []).map((q) => ({
      accountId,
      queue_name: q.name,
      queue_id: q.id ?? randomUUID().replaceAll('-', ''),
      consumers: [],
    })),
    workflows: new Map(),
    invocations: new InvocationLog(),
  }

  /** A delay that close() cuts short, so a "slow forever" fault cannot keep the process alive. */
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        waits.delete(done)
        resolve()
      }
      const timer = setTimeout(done, Math.min(Math.max(ms, 0), MAX_TIMER_MS))
      waits.add(done)
    })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase()
    const url = new URL(req.url ?? '/', `http://${HOST}`)
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: redactHeaders(req.headers),
      body: undefined,
      remotePort: req.socket.remotePort ?? 0,
      status: 0,
    }
    requests.push(record)
    const started = performance.now()
    const finish = (status: number, note = '') => {
      record.status = status
      log(
        `${method} ${url.pathname} ${status === 0 ? 'no answer' : status}${note} (${Math.round(performance.now() - started)} ms)`,
      )
    }

    if (!loopbackHost(req.headers.host)) {
      refuse(
        req,
        res,
        failOne(
          421,
          Code.noRoute,
          'Misdirected request: this emulator answers only requests addressed to 127.0.0.1, [::1], localhost or a *.localhost name',
        ),
      )
      return finish(421, ' [refused: not a loopback Host]')
    }
    const previewLabel = previewHostLabel(req.headers.host)
    const previewTarget = previewLabel === undefined ? undefined : previewHostTarget(previewLabel)
    const fault = faults.take(method, url.pathname)
    // A request a test injected a fault for goes on as before: the fault stands for what answers
    // before the API does (a gateway), and the test may read its body. Only tests inject faults.
    const refusal = fault ? undefined : refuseUnread(req, url, previewTarget !== undefined)
    if (refusal) {
      refuse(req, res, refusal)
      return finish(refusal.status, ' [refused before the body]')
    }
    if (fault?.kind === 'drop') {
      req.socket.destroy()
      return finish(0, ' [fault: drop]')
    }
    const raw = await readBody(req, maxBody)
    // A body over the limit was left unread past it: this connection cannot carry another request.
    if (raw.bytes === undefined) res.setHeader('connection', 'close')
    if (raw.aborted) return finish(0, ' [client went away]')
    const decoded = decodeBody(raw.bytes)
    record.body = decoded.invalid ? decoded.text : decoded.json

    const early = faultReply(fault)
    if (early) return finish(sendEarly(res, early), ` [fault: ${fault?.kind}]`)
    if (fault?.kind === 'slow') await wait(fault.delayMs)
    if (fault?.kind === 'lose-response' && fault.storeAfterMs !== undefined) {
      req.socket.destroy()
      await wait(fault.storeAfterMs)
    }
    if (closing) {
      req.socket.destroy()
      return finish(0, ' [closing]')
    }

    let reply: Reply
    const preview = previewTarget && (await previewTarget(method, url, req, raw.bytes))
    const workerRoute = parseWorkerPath(url.pathname)
    if (preview) {
      reply = preview
    } else if (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`)) {
      const bodyProblem =
        raw.bytes === undefined ? 'too-large' : decoded.invalid ? 'invalid-json' : undefined
      const apiReq = {
        method,
        path: url.pathname.slice(API_PREFIX.length),
        query: url.searchParams,
        headers: req.headers,
        body: decoded.json,
        raw: raw.bytes,
      }
      reply = {
        kind: 'json',
        reply: await handleApi(ctx, bodyProblem ? { ...apiReq, bodyProblem } : apiReq),
      }
    } else if (workerRoute) {
      reply = await workerReply(workerRoute, method, url.search, req, raw.bytes)
    } else {
      reply = { kind: 'json', reply: failOne(404, Code.noRoute, 'No route for that URI') }
    }

    if (fault?.kind === 'lose-response') {
      // The work is done (a version is stored); only the answer goes missing.
      if (reply.kind === 'stream') await drain(reply.reply.body)
      req.socket.destroy()
      return finish(0, ' [fault: lose-response]')
    }
    if (reply.kind === 'json') {
      sendJson(res, reply.reply.status, reply.reply.body, reply.reply.headers)
      return finish(reply.reply.status, fault ? ` [fault: ${fault.kind}]` : '')
    }
    await sendStream(res, reply.reply)
    finish(reply.reply.status)
  }

  /**
   * What is refused from the request line and headers alone, before a byte of the body is read:
   * an API call without the token or for another account, a declared body over the limit.
   */
  function refuseUnread(req: IncomingMessage, url: URL, preview: boolean): ApiReply | undefined {
    const declared = Number(req.headers['content-length'] ?? 0)
    if (!preview && (url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`))) {
      const admitted = admit(ctx, {
        method: (req.method ?? 'GET').toUpperCase(),
        path: url.pathname.slice(API_PREFIX.length),
        headers: req.headers,
      })
      if ('refused' in admitted) return admitted.refused
    }
    if (declared > maxBody) return failOne(413, Code.tooLarge, 'Request body is too large')
    return undefined
  }

  async function previewReply(
    target: { id: string; path: string },
    method: string,
    search: string,
    req: IncomingMessage,
    body: Buffer | undefined,
  ): Promise<Reply> {
    const version = store.findVersion(target.id)
    // The stored version keeps the request's `assets` (jwt, config) only inside `request`. An id that is
    // no version's is a Preview deployment's (its own URL) or a Preview's (its latest deployment).
    const runnable = version
      ? {
          id: version.id,
          worker: version.worker,
          body: { ...version, assets: version.request.assets as RunnableVersionBody['assets'] },
        }
      : store.previews.runnable(target.id)
    if (!pool || !runnable)
      return {
        kind: 'json',
        reply: failOne(404, Code.noRoute, `No preview for version ${target.id}`),
      }
    try {
      const running = await pool.start(runnable.id, runnable.body, runnable.worker)
      return {
        kind: 'stream',
        reply: await forwardToVersion(running, {
          method,
          path: target.path,
          search,
          headers: req.headers,
          body,
          protocol,
        }),
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      // A Worker workerd refuses is the version's problem; anything else is the emulator's own.
      const code =
        error instanceof Error && error.name === 'VersionStartupError'
          ? Code.validation
          : Code.emulatorFailure
      return { kind: 'json', reply: failOne(502, code, `Preview failed: ${message}`) }
    }
  }

  /**
   * A preview's own origin (`<id>-<worker>.localhost`): what serves a request to it, a version or
   * the split of one deployment, found before the body is read. The path is the Worker's as sent;
   * nothing of the emulator's shows in it. Any other `*.localhost` name (an API base URL on one,
   * say) is not a preview: undefined, routed as usual.
   */
  function previewHostTarget(
    label: string,
  ):
    | ((method: string, url: URL, req: IncomingMessage, body: Buffer | undefined) => Promise<Reply>)
    | undefined {
    for (const { id, worker } of splitPreviewLabel(label)) {
      const version = store
        .versions(accountId, worker)
        .find((v) => v.worker === worker && idMatches('version', v.id, id))
      if (version)
        return (method, url, req, body) =>
          previewReply({ id: version.id, path: url.pathname }, method, url.search, req, body)
      const deployment = store
        .deployments(accountId, worker)
        .find((d) => idMatches('deployment', d.id, id))
      if (deployment)
        return (method, url, req, body) =>
          splitReply(deployment, worker, {
            method,
            path: url.pathname,
            search: url.search,
            req,
            body,
          })
      // A Worker Preview's stable URL (its slug: the latest deployment) or one Preview deployment's URL.
      const preview = store.previews
        .list(accountId, worker)
        .find((p) => idMatches('preview', p.slug, id))
      const previewDeployment = preview
        ? undefined
        : store.previews
            .list(accountId, worker)
            .flatMap((p) => store.previews.deployments(p.id))
            .find((d) => idMatches('deployment', d.id, id))
      const servedId = preview?.id ?? previewDeployment?.id
      if (servedId)
        return (method, url, req, body) =>
          previewReply({ id: servedId, path: url.pathname }, method, url.search, req, body)
    }
    return undefined
  }

  /** `/workers/<script>/…`: the Worker as its traffic sees it, split by the current deployment. */
  async function workerReply(
    target: { script: string; path: string },
    method: string,
    search: string,
    req: IncomingMessage,
    body: Buffer | undefined,
  ): Promise<Reply> {
    if (!store.worker(accountId, target.script))
      return {
        kind: 'json',
        reply: failOne(404, Code.workerNotFound, `No Worker named '${target.script}'`),
      }
    const current = store.currentDeployment(accountId, target.script)
    if (!current)
      return {
        kind: 'json',
        reply: failOne(
          404,
          Code.noRoute,
          `Worker '${target.script}' has no deployment yet: no version gets traffic`,
        ),
      }
    return splitReply(current, target.script, { method, path: target.path, search, req, body })
  }

  /** Sends the request to the version a deployment's traffic split (or the override header) picks. */
  async function splitReply(
    deployment: StoredDeployment,
    script: string,
    request: {
      method: string
      path: string
      search: string
      req: IncomingMessage
      body: Buffer | undefined
    },
  ): Promise<Reply> {
    const overrides = request.req.headers[VERSION_OVERRIDES]
    const cohort = request.req.headers[COHORT]
    const picked = pickVersion(
      deployment,
      script,
      {
        ...(typeof overrides === 'string' && { overrides }),
        ...(typeof cohort === 'string' && { cohort }),
      },
      trafficRandom,
    )!
    if ('problem' in picked)
      return { kind: 'json', reply: failOne(400, Code.validation, picked.problem) }
    const reply = await previewReply(
      { id: picked.versionId, path: request.path },
      request.method,
      request.search,
      request.req,
      request.body,
    )
    // What the GraphQL Analytics API reports (graphql.ts): which version answered, and how.
    ctx.invocations?.record({
      account: accountId,
      script,
      versionId: picked.versionId,
      at: Date.now(),
      status: reply.reply.status,
    })
    return reply
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      log(
        `${req.method ?? '?'} ${req.url?.split('?')[0] ?? '?'} 500 internal error: ${error instanceof Error ? error.message : String(error)}`,
      )
      if (!res.headersSent)
        sendJson(res, 500, failOne(500, 10013, 'An unknown error occurred').body)
      else res.destroy()
    })
  }
  const tls = options.tls ? await serverCertificates() : undefined
  const server: Server = tls ? createTlsServer(tls.options, onRequest) : createServer(onRequest)
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as AddressInfo).port
  origin = `${protocol}//${HOST}:${port}`

  let closed: Promise<void> | undefined
  const close = async () => {
    closing = true
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const done of [...waits]) done()
    for (const socket of sockets) socket.destroy()
    await Promise.all([stopped, pool?.close()])
    await assets.close()
    if (tls) await rm(tls.dir, { recursive: true, force: true })
  }

  return {
    url: `${origin}${API_PREFIX}`,
    origin,
    token,
    ...(tls && { tls: { ca: tls.ca, caFile: tls.caFile } }),
    accountId,
    requests,
    versions: (worker, account = accountId) => store.versions(account, worker),
    deployments: (worker, account = accountId) => store.deployments(account, worker),
    worker: (worker, account = accountId) => store.worker(account, worker),
    runningVersions: () => pool?.running() ?? [],
    previews: (worker, account = accountId) => store.previews.list(account, worker),
    previewDeployments: (previewId) => store.previews.deployments(previewId),
    setPreviewCreatedOn: (previewId, createdOn) =>
      store.previews.setCreatedOn(previewId, createdOn),
    setPreviewDefaults: (worker, env, account = accountId) =>
      store.previews.setDefaults(account, worker, env),
    injectFaults: (...list: Fault[]) => faults.push(...list),
    clearFaults: () => faults.clear(),
    assets: {
      sessions: assets.sessions,
      uploads: assets.uploads,
      heldHashes: (account = accountId) => assets.heldHashes(account),
      hold: (files, account = accountId) => assets.hold(account, files),
      forget: (account = accountId) => assets.forget(account),
      expireNextUploadToken: (fault) => assets.expireNextUploadToken(fault),
    },
    attachments: {
      zones: ctx.zones,
      routes: ctx.routes,
      customDomains: ctx.customDomains,
      queues: ctx.queues,
      workflows: ctx.workflows,
    },
    close: () => (closed ??= close()),
  }
}

/**
 * Whether a `Host` header names this machine as only this machine can: the loopback addresses,
 * `localhost`, or a name under `localhost` (browsers resolve those to loopback themselves, so no
 * one's DNS can point them here). Anything else, a missing Host included, is refused.
 */
function loopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false
  const match = /^(\[[^\]]*\]|[^:]*)(?::\d{1,5})?$/.exec(host.trim().toLowerCase())
  const name = match?.[1]?.replace(/\.$/, '')
  if (name === undefined) return false
  return (
    name === '127.0.0.1' ||
    name === '[::1]' ||
    name === 'localhost' ||
    /^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.localhost$/.test(name)
  )
}

/**
 * A certificate authority and server certificates made for this run (certificates.ts, loaded only
 * here), the CA's certificate written to a file of its own for `NODE_EXTRA_CA_CERTS`. A `*.localhost`
 * name (a Preview origin) gets a certificate of its own through SNI: wildcards over a top-level
 * name like `*.localhost` are refused by Node and browsers alike.
 */
async function serverCertificates() {
  const { createCertificates } = await import('./certificates.js')
  const certificates = createCertificates()
  const contexts = new Map<string, SecureContext>()
  const dir = await mkdtemp(join(tmpdir(), 'workers-version-emulator-ca-'))
  const caFile = join(dir, 'ca.pem')
  await writeFile(caFile, certificates.ca)
  const SNICallback = (
    servername: string,
    done: (error: Error | null, context?: SecureContext) => void,
  ) => {
    const name = servername.toLowerCase()
    if (name === 'localhost' || !loopbackHost(name)) return done(null, undefined) // the default certificate
    let context = contexts.get(name)
    if (!context) {
      if (contexts.size >= 1000) contexts.clear()
      context = createSecureContext(certificates.forName(name))
      contexts.set(name, context)
    }
    done(null, context)
  }
  return { ca: certificates.ca, caFile, dir, options: { ...certificates.server, SNICallback } }
}

/** The platform's header for sending a request to one version of a deployment: `<script>="<version-id>"`. */
const VERSION_OVERRIDES = 'cloudflare-workers-version-overrides'
/** The platform's header naming a cohort of a cohort deployment, whose split the request follows. */
const COHORT = 'cloudflare-workers-cohort'
const WORKER_PREFIX = '/workers/'

/** Splits `/workers/<script>/rest` into the script and the path the Worker sees (`/rest`). */
function parseWorkerPath(pathname: string): { script: string; path: string } | undefined {
  if (!pathname.startsWith(WORKER_PREFIX)) return undefined
  const rest = pathname.slice(WORKER_PREFIX.length)
  const slash = rest.indexOf('/')
  const script = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash))
  if (script === '') return undefined
  return { script, path: slash < 0 ? '/' : rest.slice(slash) }
}

/** How much of a refused request's body is read and thrown away, so that its client gets to read the answer. */
const DISCARD_LIMIT = 1024 * 1024

/**
 * Answers a request whose body is not wanted, keeping none of it. A small body is read and thrown
 * away (a client that is still writing when the connection closes may report the broken pipe
 * instead of the answer); a larger one, declared or streamed past the limit, closes the connection.
 */
function refuse(req: IncomingMessage, res: ServerResponse, reply: ApiReply): void {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > DISCARD_LIMIT) {
    sendJson(res, reply.status, reply.body, { connection: 'close' })
    return
  }
  let discarded = 0
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length
    if (discarded > DISCARD_LIMIT) req.socket.destroy()
  })
  sendJson(res, reply.status, reply.body)
}

/** Faults answered without touching the API: an error status or a non-JSON gateway page. */
function faultReply(
  fault: Fault | undefined,
): { status: number; json?: unknown; html?: string; headers: Record<string, string> } | undefined {
  if (fault?.kind === 'status') {
    const headers: Record<string, string> =
      fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) }
    const body =
      fault.body ??
      failOne(fault.status, fault.status === 429 ? 971 : 10013, statusMessage(fault.status)).body
    return { status: fault.status, json: body, headers }
  }
  if (fault?.kind === 'non-json') {
    const status = fault.status ?? 502
    return { status, html: gatewayPage(status), headers: {} }
  }
  return undefined
}

function sendEarly(res: ServerResponse, early: NonNullable<ReturnType<typeof faultReply>>): number {
  if (early.html !== undefined) sendText(res, early.status, 'text/html; charset=utf-8', early.html)
  else sendJson(res, early.status, early.json, early.headers)
  return early.status
}

function statusMessage(status: number): string {
  if (status === 429) return 'Please wait and consider throttling your request speed'
  if (status >= 500) return 'A temporary error occurred; please try again'
  return `Request failed with status ${status}`
}

async function sendStream(res: ServerResponse, reply: StreamReply): Promise<void> {
  res.writeHead(reply.status, reply.headers.flat())
  if (reply.body) {
    for await (const chunk of reply.body) {
      if (res.destroyed) break // the client went away; stop pulling from the Worker
      if (!res.write(chunk))
        await new Promise((resolve) => {
          res.once('drain', resolve)
          res.once('close', resolve)
        })
    }
  }
  res.end()
}

async function drain(body: AsyncIterable<Uint8Array> | null): Promise<void> {
  if (body) for await (const _chunk of body) void _chunk
}
