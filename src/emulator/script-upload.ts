/**
 * The script upload, `PUT /accounts/:a/workers/scripts/:name`: the non-versioned deployment that
 * `wrangler deploy` sends when the versions API cannot serve it (a pending Durable Object migration,
 * Durable Object `exports`, containers, a Worker that does not exist yet). A multipart form like the
 * versions upload's (a `metadata` part, one part per module) that, in one step:
 *
 * - creates the Worker when it does not exist (the versions API never does);
 * - checks `migrations.old_tag` against the script's tag (412/10079), and on an account flagged as
 *   new refuses `new_classes` (10099);
 * - stores a version validated like Create Version (`keep_bindings` carries the latest version's
 *   bindings of those kinds over), deploys it to 100% and moves the tag to `new_tag`.
 *
 * wrangler sends `?excludeScript=true&bindings_inherit=strict`; the emulator always answers without
 * the script and always resolves `inherit` bindings strictly, so both are accepted as they are.
 */
import type { ApiContext, ApiRequest, Route } from './api.js'
import { checkAssetsJwt } from './assets.js'
import { addVersion } from './create-version.js'
import { Code, fail, failOne, ok, type ApiReply } from './envelope.js'
import { kvClassesProblem, migrationProblem, migrationTags } from './migrations.js'
import { validateBody } from './validate.js'
import { formToBody } from './wrangler-routes.js'
import type { StoredVersion, StoredWorker } from './types.js'

export const SCRIPT_UPLOAD_ROUTES: Route[] = [
  {
    method: 'PUT',
    pattern: /^\/accounts\/([^/]+)\/workers\/scripts\/([^/]+)\/?$/,
    handler: putScript,
    rawBody: true,
  },
]

const WORKER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

async function putScript(
  ctx: ApiContext,
  req: ApiRequest,
  [account = '', name = '']: string[],
): Promise<ApiReply> {
  const existing = ctx.store.worker(account, name)
  // Only a name creates a Worker (an id names one that exists).
  if (!existing && !WORKER_NAME.test(name))
    return failOne(
      400,
      Code.validation,
      'The script name must be lower-case letters, digits and dashes (at most 63)',
    )
  const parsed = await formToBody(ctx, req, account, name)
  if ('problem' in parsed) return failOne(400, Code.validation, parsed.problem)
  const { errors, body } = validateBody(parsed.body)
  if (!body) return fail(400, errors)
  const tagProblem = migrationProblem(body.migrations, existing?.migration_tag)
  if (tagProblem) return tagProblem
  const kvProblem = ctx.newAccount ? kvClassesProblem(body.migrations) : undefined
  if (kvProblem) return kvProblem
  const assets = checkAssetsJwt(ctx.assets, account, existing?.name ?? name, body)
  if (typeof assets === 'string') return failOne(400, Code.validation, assets, '/assets/jwt')

  const added = await addVersion(
    ctx,
    { accountId: account, worker: existing?.name ?? name, deploy: true, body },
    body,
  )
  if ('reply' in added) return added.reply
  const { stored } = added
  if (assets) stored.assetsManifest = assets
  const newTag = migrationTags(body.migrations)?.new_tag
  if (newTag !== undefined) ctx.store.setMigrationTag(account, stored.worker, newTag)
  const worker = ctx.store.worker(account, stored.worker)
  return worker
    ? ok(scriptResult(worker, stored))
    : failOne(500, Code.emulatorFailure, 'The Worker vanished while it was uploaded')
}

/**
 * The script's metadata as the script upload answers it. wrangler reads `deployment_id` (the id of
 * the version just deployed, 32 hex digits without dashes, which it turns back into a UUID),
 * `startup_time_ms`, `etag` and `id`.
 */
export function scriptResult(
  worker: StoredWorker,
  version: StoredVersion,
): Record<string, unknown> {
  return {
    id: worker.name,
    tag: worker.id,
    etag: version.id.replaceAll('-', ''),
    handlers: ['fetch'],
    created_on: worker.created_on,
    modified_on: worker.updated_on,
    usage_model: 'standard',
    compatibility_date: version.compatibility_date,
    compatibility_flags: version.compatibility_flags ?? [],
    has_modules: true,
    has_assets: version.assetsManifest !== undefined,
    startup_time_ms: version.startup_time_ms,
    deployment_id: version.id.replaceAll('-', ''),
    ...(worker.migration_tag === undefined ? {} : { migration_tag: worker.migration_tag }),
  }
}
