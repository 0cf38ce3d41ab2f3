/** `POST …/workers/workers/:worker/versions`: validate, optionally start in workerd, store. */
import { randomUUID } from 'node:crypto'
import { Code, fail, failOne, ok, type ApiReply } from './envelope.js'
import { validateBody, type ValidBody } from './validate.js'
import { versionResult } from './results.js'
import type { PreviewPool } from './preview.js'
import type { Store } from './store.js'
import type { StoredVersion, VersionBinding } from './types.js'

export interface CreateVersionContext {
  store: Store
  preview: PreviewPool | undefined
  requireExistingWorker: boolean
  previewUrl(versionId: string): string
}

export interface CreateVersionRequest {
  accountId: string
  worker: string
  deploy: boolean
  body: unknown
}

const MAX_MESSAGE_BYTES = 1000

export async function createVersion(ctx: CreateVersionContext, req: CreateVersionRequest): Promise<ApiReply> {
  const existing = ctx.store.worker(req.accountId, req.worker)
  if (!existing && ctx.requireExistingWorker) return workerNotFound()
  const { errors, body } = validateBody(req.body)
  if (!body) return fail(400, errors)

  const id = randomUUID()
  const workerName = existing?.name ?? req.worker
  const bindings = resolveInherited(ctx.store, req.accountId, workerName, body.bindings ?? [])
  let startupMs = 0
  if (ctx.preview) {
    const started = performance.now()
    try {
      await ctx.preview.start(id, { ...body, bindings }, workerName)
    } catch (error) {
      await ctx.preview.discard(id)
      return failOne(400, Code.validation, error instanceof Error ? error.message : String(error))
    }
    startupMs = Math.round(performance.now() - started)
  }

  // Created implicitly on first upload unless requireExistingWorker (checked above).
  if (!ctx.store.worker(req.accountId, workerName)) ctx.store.createWorker(req.accountId, workerName)
  const stored = ctx.store.addVersion(req.accountId, workerName, toVersion(ctx, req, body, { id, workerName, bindings, startupMs }))
  return ok(versionResult(stored, false))
}

function toVersion(
  ctx: CreateVersionContext,
  req: CreateVersionRequest,
  body: ValidBody,
  run: { id: string; workerName: string; bindings: VersionBinding[]; startupMs: number },
): Omit<StoredVersion, 'number'> {
  const annotations: Record<string, string> = { ...body.annotations, 'workers/triggered_by': 'upload' }
  const message = annotations['workers/message']
  if (message !== undefined) annotations['workers/message'] = truncateUtf8(message, MAX_MESSAGE_BYTES)
  return {
    id: run.id,
    created_on: new Date().toISOString(),
    worker: run.workerName,
    accountId: req.accountId,
    deploy: req.deploy,
    annotations,
    main_module: body.main_module,
    bindings: run.bindings,
    ...(body.compatibility_date === undefined ? {} : { compatibility_date: body.compatibility_date }),
    ...(body.compatibility_flags === undefined ? {} : { compatibility_flags: body.compatibility_flags }),
    modules: body.modules,
    urls: ctx.preview ? [ctx.previewUrl(run.id)] : [],
    startup_time_ms: run.startupMs,
    request: body,
  }
}

/**
 * `{type: "inherit"}` keeps a binding of an earlier version (`version_id`, default the latest).
 * When there is nothing to inherit the binding stays as sent: the emulator is lenient here.
 */
function resolveInherited(store: Store, accountId: string, worker: string, bindings: VersionBinding[]): VersionBinding[] {
  const history = store.versions(accountId, worker)
  return bindings.map((binding) => {
    if (binding.type !== 'inherit') return binding
    const from =
      typeof binding.version_id === 'string' && binding.version_id !== 'latest'
        ? history.find((v) => v.id === binding.version_id)
        : history[0]
    const oldName = typeof binding.old_name === 'string' ? binding.old_name : binding.name
    const inherited = from?.bindings.find((b) => b.name === oldName)
    return inherited ? { ...inherited, name: binding.name } : binding
  })
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8')
  if (bytes.length <= maxBytes) return text
  // Cutting inside a multi-byte character leaves a replacement character; drop it.
  return bytes.subarray(0, maxBytes).toString('utf8').replace(/\uFFFD+$/, '')
}

export function workerNotFound(): ApiReply {
  return failOne(404, Code.workerNotFound, 'This Worker does not exist on your account.')
}
