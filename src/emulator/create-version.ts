/** `POST …/workers/workers/:worker/versions`: validate, refuse migrations, optionally start in workerd, store. */
import type { PreviewKind } from './preview-origin.js'
import { randomUUID } from 'node:crypto'
import { apiError, Code, fail, failOne, ok, pointer, type ApiReply } from './envelope.js'
import { deploy } from './deployments.js'
import { carriesMigration, migrationNeedsDeploy } from './migrations.js'
import { validateBody, type ValidBody } from './validate.js'
import { versionResult } from './results.js'
import type { VersionPool } from './version-pool.js'
import type { Store } from './store.js'
import type { StoredVersion, VersionBinding } from './types.js'

export interface CreateVersionContext {
  store: Store
  preview: VersionPool | undefined
  autoCreateWorkers: boolean
  /** Where a version is served: an origin of its own (see preview-origin.ts). */
  /** The URL that serves a version (the default), a Worker Preview (by its slug) or a Preview deployment. */
  previewUrl(id: string, worker: string, kind?: PreviewKind): string
}

export interface CreateVersionRequest {
  accountId: string
  worker: string
  deploy: boolean
  body: unknown
}

const MAX_MESSAGE_BYTES = 1000

export async function createVersion(
  ctx: CreateVersionContext,
  req: CreateVersionRequest,
): Promise<ApiReply> {
  const existing = ctx.store.worker(req.accountId, req.worker)
  if (!existing && !ctx.autoCreateWorkers) return workerNotFound()
  const { errors, body } = validateBody(req.body)
  if (!body) return fail(400, errors)
  // Only a non-versioned deployment (the script upload) applies migrations; no versions endpoint takes one.
  if (carriesMigration(body.migrations)) return migrationNeedsDeploy()
  const added = await addVersion(ctx, req, body)
  return 'reply' in added ? added.reply : ok(versionResult(added.stored, false))
}

/**
 * Stores a validated body as the Worker's next version: inherited bindings resolved, started in
 * workerd (a start failure stores nothing), the Worker created when it does not exist yet (the
 * callers decide whether that is allowed), and with `req.deploy` given all traffic.
 */
export async function addVersion(
  ctx: CreateVersionContext,
  req: CreateVersionRequest,
  body: ValidBody,
): Promise<{ stored: StoredVersion } | { reply: ApiReply }> {
  const id = randomUUID()
  const workerName = ctx.store.worker(req.accountId, req.worker)?.name ?? req.worker
  const inherited = resolveInherited(ctx.store, req.accountId, workerName, body.bindings ?? [])
  if ('errors' in inherited) return { reply: fail(400, inherited.errors) }
  const { bindings } = inherited
  let startupMs = 0
  if (ctx.preview) {
    const started = performance.now()
    try {
      await ctx.preview.start(id, { ...body, modules: body.modules ?? [], bindings }, workerName)
    } catch (error) {
      await ctx.preview.discard(id)
      return { reply: previewFailure(error) }
    }
    startupMs = Math.round(performance.now() - started)
  }

  if (!ctx.store.worker(req.accountId, workerName))
    ctx.store.createWorker(req.accountId, workerName)
  const stored = ctx.store.addVersion(
    req.accountId,
    workerName,
    toVersion(ctx, req, body, { id, workerName, bindings, startupMs }),
  )
  if (req.deploy) {
    // `?deploy=true` (and the script upload) sends the new version all traffic in the same call.
    const deployed = deploy(
      ctx,
      req.accountId,
      workerName,
      [{ version_id: stored.id, percentage: 100 }],
      {},
    )
    if (deployed.status !== 200) return { reply: deployed }
  }
  // The instance started above stays only while it is among the few most recently used.
  ctx.preview?.pin(ctx.store.deployedVersionIds())
  return { stored }
}

function toVersion(
  ctx: CreateVersionContext,
  req: CreateVersionRequest,
  body: ValidBody,
  run: { id: string; workerName: string; bindings: VersionBinding[]; startupMs: number },
): Omit<StoredVersion, 'number'> {
  const annotations: Record<string, string> = {
    ...body.annotations,
    'workers/triggered_by': 'upload',
  }
  const message = annotations['workers/message']
  if (message !== undefined)
    annotations['workers/message'] = truncateUtf8(message, MAX_MESSAGE_BYTES)
  return {
    id: run.id,
    created_on: new Date().toISOString(),
    worker: run.workerName,
    accountId: req.accountId,
    deploy: req.deploy,
    annotations,
    main_module: body.main_module,
    bindings: run.bindings,
    ...(body.compatibility_date === undefined
      ? {}
      : { compatibility_date: body.compatibility_date }),
    ...(body.compatibility_flags === undefined
      ? {}
      : { compatibility_flags: body.compatibility_flags }),
    modules: body.modules ?? [],
    urls: ctx.preview ? [ctx.previewUrl(run.id, run.workerName)] : [],
    startup_time_ms: run.startupMs,
    request: body,
  }
}

/**
 * `{type: "inherit"}` keeps a binding of an earlier version (`version_id`, default `latest`), secret
 * values included, so previews serve them. Strict, like the API: inheriting from a version that does
 * not exist, or a name that version does not have, rejects the upload. (The API's own code for this
 * was not found in public material; the emulator answers 10021 at the binding's pointer.)
 */
function resolveInherited(
  store: Store,
  accountId: string,
  worker: string,
  bindings: VersionBinding[],
): { bindings: VersionBinding[] } | { errors: ReturnType<typeof apiError>[] } {
  const history = store.versions(accountId, worker)
  const errors: ReturnType<typeof apiError>[] = []
  const resolved = bindings.map((binding, i) => {
    if (binding.type !== 'inherit') return binding
    const wanted =
      typeof binding.version_id === 'string' && binding.version_id !== 'latest'
        ? binding.version_id
        : undefined
    const from = wanted === undefined ? history[0] : history.find((v) => v.id === wanted)
    const oldName = typeof binding.old_name === 'string' ? binding.old_name : binding.name
    const inherited = from?.bindings.find((b) => b.name === oldName)
    if (inherited) return { ...inherited, name: binding.name }
    const source = from
      ? `version ${from.id}`
      : wanted === undefined
        ? `the latest version of '${worker}' (it has none)`
        : `version ${wanted} (not found)`
    errors.push(
      apiError(
        Code.validation,
        `Binding '${binding.name}' cannot inherit '${oldName}' from ${source}: no such binding`,
        pointer('bindings', i),
      ),
    )
    return binding
  })
  return errors.length > 0 ? { errors } : { bindings: resolved }
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length <= maxBytes) return text
  // Cutting inside a multi-byte character leaves a replacement character; drop it.
  return bytes
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD+$/, '')
}

/**
 * A Worker that workerd refuses (it throws at startup, misses a module) is the request's fault,
 * as on Cloudflare: 10021 with workerd's words. Anything else (miniflare missing, workerd not
 * starting) is the emulator's own failure and is answered as a server error naming its cause,
 * never as a problem with a field of the request.
 */
export function previewFailure(error: unknown): ApiReply {
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof Error && error.name === 'VersionStartupError')
    return failOne(400, Code.validation, message)
  return failOne(
    500,
    Code.emulatorFailure,
    `The local emulator could not run this version in workerd (its own problem, not the request's): ${message}`,
  )
}

export function workerNotFound(): ApiReply {
  return failOne(404, Code.workerNotFound, 'This Worker does not exist on your account.')
}
