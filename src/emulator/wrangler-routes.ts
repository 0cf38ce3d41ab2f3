/**
 * The script-API calls `wrangler versions upload` and `wrangler versions deploy` make, so wrangler can be pointed at the emulator
 * (`CLOUDFLARE_API_BASE_URL=<emulator url>`) and compared with the plugin:
 *
 * - `GET  /accounts/:a/workers/services/:name`: does the Worker exist, where was it last deployed from,
 *   and its Durable Object migration tag;
 * - `GET  /accounts/:a/workers/scripts/:name/settings`: the latest version's runtime settings;
 * - `POST /accounts/:a/workers/scripts/:name/versions`: a multipart form, one `metadata` part (JSON) and
 *   one part per module, named by the module and typed by its content type;
 * - `GET  /accounts/:a/workers/scripts/:name/versions/:id`: one version, as `wrangler versions deploy` reads it.
 *
 * The form is turned into a Create Version body and goes through the same validation and store as the
 * JSON endpoint, so `versions(worker)` counts wrangler's versions too. Only ES-module Workers are
 * modelled (`main_module`); the service-worker format (`body_part`) is refused.
 */
import { readMetadataForm } from './multipart.js'
import type { ApiContext, ApiRequest, Route } from './api.js'
import { createVersion, workerNotFound } from './create-version.js'
import { Code, failOne, ok, type ApiReply } from './envelope.js'
import { redactBindings } from './results.js'
import type { StoredVersion, StoredWorker, VersionBinding, VersionModule } from './types.js'

/** wrangler treats this code (and 10007) from the services endpoint as "no such Worker yet". */
const SERVICE_NOT_FOUND = 10090

const SEGMENT = '([^/]+)'
const ACCOUNT = `^/accounts/${SEGMENT}/workers`

export const WRANGLER_ROUTES: Route[] = [
  { method: 'GET', pattern: new RegExp(`${ACCOUNT}/services/${SEGMENT}/?$`), handler: getService },
  {
    method: 'GET',
    pattern: new RegExp(`${ACCOUNT}/scripts/${SEGMENT}/settings/?$`),
    handler: getSettings,
  },
  {
    method: 'POST',
    pattern: new RegExp(`${ACCOUNT}/scripts/${SEGMENT}/versions/?$`),
    handler: postScriptVersion,
    rawBody: true,
  },
  {
    method: 'GET',
    pattern: new RegExp(`${ACCOUNT}/scripts/${SEGMENT}/versions/${SEGMENT}/?$`),
    handler: getScriptVersion,
  },
]

function getService(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', name = '']: string[],
): ApiReply {
  const worker = ctx.store.worker(account, name)
  if (!worker) return failOne(404, SERVICE_NOT_FOUND, 'This Worker does not exist on your account.')
  const latest = ctx.store.versions(account, name)[0]
  return ok({
    id: worker.name,
    created_on: worker.created_on,
    modified_on: worker.updated_on,
    default_environment: {
      environment: 'production',
      created_on: worker.created_on,
      modified_on: worker.updated_on,
      script: scriptInfo(worker, latest),
    },
  })
}

function getSettings(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', name = '']: string[],
): ApiReply {
  if (!ctx.store.worker(account, name)) return workerNotFound()
  const latest = ctx.store.versions(account, name)[0]
  const request = latest?.request ?? {}
  return ok({
    bindings: redactBindings(latest?.bindings ?? []),
    compatibility_date: latest?.compatibility_date ?? null,
    compatibility_flags: latest?.compatibility_flags ?? [],
    placement: request.placement ?? {},
    limits: request.limits ?? {},
    tail_consumers: request.tail_consumers ?? null,
    logpush: false,
    tags: [],
    usage_model: 'standard',
  })
}

/** `wrangler versions deploy` reads each version it is given before it deploys it. */
function getScriptVersion(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', name = '', id = '']: string[],
): ApiReply {
  if (!ctx.store.worker(account, name)) return workerNotFound()
  const stored = ctx.store.version(account, name, id)
  return stored
    ? ok(scriptVersionResult(stored))
    : failOne(404, Code.versionNotFound, 'Version not found')
}

async function postScriptVersion(
  ctx: ApiContext,
  req: ApiRequest,
  [account = '', name = '']: string[],
): Promise<ApiReply> {
  const parsed = await formToBody(ctx, req, account, name)
  if ('problem' in parsed) return failOne(400, Code.validation, parsed.problem)
  const reply = await createVersion(ctx, {
    accountId: account,
    worker: name,
    deploy: false,
    body: parsed.body,
  })
  if (reply.status !== 200) return reply
  const id = (reply.body as { result: { id: string } }).result.id
  const stored = ctx.store.version(account, name, id)
  return stored ? ok(scriptVersionResult(stored)) : reply
}

/** The multipart form (a versions upload's or a script upload's) as the JSON body of the versions API. */
export async function formToBody(
  ctx: ApiContext,
  req: ApiRequest,
  account: string,
  name: string,
): Promise<{ body: Record<string, unknown> } | { problem: string }> {
  const read = await readMetadataForm(req)
  if ('problem' in read) return read
  const { form, metadata } = read
  if (metadata.body_part !== undefined)
    return { problem: 'The emulator models ES-module Workers only (main_module), not body_part' }

  const { keep_bindings: keep, ...fields } = metadata
  const bindings: VersionBinding[] = Array.isArray(fields.bindings)
    ? (fields.bindings as VersionBinding[])
    : []
  // Parts that a binding refers to (`part`) are binding contents, not modules.
  const boundParts = new Set(
    bindings.map((b) => b.part).filter((p): p is string => typeof p === 'string'),
  )
  const modules: VersionModule[] = []
  for (const [partName, value] of form) {
    if (partName === 'metadata' || boundParts.has(partName)) continue
    if (typeof value === 'string')
      return { problem: `Part '${partName}' must be a file with a content type` }
    modules.push({
      name: partName,
      content_type: value.type.split(';')[0]?.trim() ?? '',
      content_base64: Buffer.from(await value.arrayBuffer()).toString('base64'),
    })
  }
  return {
    body: {
      ...fields,
      bindings: [...bindings, ...keptBindings(ctx, account, name, keep, bindings)],
      modules,
    },
  }
}

/** `keep_bindings: ["secret_text", …]`: bindings of those kinds carry over from the latest version unless redefined. */
function keptBindings(
  ctx: ApiContext,
  account: string,
  name: string,
  keep: unknown,
  given: VersionBinding[],
): VersionBinding[] {
  if (!Array.isArray(keep) || keep.length === 0) return []
  const latest = ctx.store.versions(account, name)[0]
  const taken = new Set(given.map((b) => b.name))
  return (latest?.bindings ?? [])
    .filter((b) => keep.includes(b.type) && !taken.has(b.name))
    .map((b) => ({ type: 'inherit', name: b.name }))
}

function scriptInfo(
  worker: StoredWorker,
  latest: StoredVersion | undefined,
): Record<string, unknown> {
  return {
    id: worker.name,
    tag: worker.id,
    tags: [],
    etag: latest?.id ?? worker.id,
    handlers: ['fetch'],
    created_on: worker.created_on,
    modified_on: worker.updated_on,
    last_deployed_from: 'wrangler',
    usage_model: 'standard',
    compatibility_date: latest?.compatibility_date,
    compatibility_flags: latest?.compatibility_flags ?? [],
    // wrangler 4.164 reads the tag here (getMigrationsToUpload), no longer from the scripts list.
    ...(worker.migration_tag === undefined ? {} : { migration_tag: worker.migration_tag }),
  }
}

/**
 * The scripts API's version shape; wrangler reads `id`, `startup_time_ms` and `metadata.has_preview`.
 * `has_preview` stays false: wrangler would build a workers.dev URL from it, which does not exist here
 * (the emulator's own preview URL is in `urls`).
 */
function scriptVersionResult(version: StoredVersion): Record<string, unknown> {
  return {
    id: version.id,
    number: version.number,
    metadata: {
      author_id: 'emulator',
      author_email: 'emulator@localhost',
      created_on: version.created_on,
      modified_on: version.created_on,
      source: 'wrangler',
      has_preview: false,
    },
    annotations: version.annotations,
    resources: {
      script: { etag: version.id, handlers: ['fetch'], last_deployed_from: 'wrangler' },
      script_runtime: {
        compatibility_date: version.compatibility_date,
        compatibility_flags: version.compatibility_flags ?? [],
        usage_model: 'standard',
        limits: version.request.limits ?? {},
      },
      bindings: redactBindings(version.bindings),
    },
    startup_time_ms: version.startup_time_ms,
    urls: version.urls,
  }
}
