/**
 * The script upload, `PUT /accounts/{a}/workers/scripts/{name}?excludeScript=true&bindings_inherit=strict`:
 * the non-versioned deployment `wrangler deploy` sends when the versions API cannot serve it. A
 * multipart form, one `metadata` part (JSON) and one part per module named by the module and typed
 * by its content type. It creates the Worker when it does not exist, applies the Durable Object
 * migrations in `metadata`, and creates a version that gets 100% of the traffic, in one step.
 */
import type { VersionResult } from '../core/body.js'
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { secretsInBindings } from '../core/redact.js'
import type { WorkerModule } from '../core/types.js'
import { accountPath, requireAccount, withApi, type ApiCallContext } from './request.js'
import { pickVersionResult } from './result.js'
import { sendWithRetries } from './retry.js'
import { createFormData, type FormData } from './undici.js'
import { baselineForSend } from './baseline.js'
import { findCreatedVersion, type VersionIdentity, versionsPath } from './versions.js'
import { currentMigrationTag } from './workers.js'

export interface ScriptUpload {
  worker: string
  /** The `metadata` part, as `scriptMetadata` builds it. */
  metadata: Record<string, unknown>
  modules: readonly WorkerModule[]
  /** What proves, after a lost response, which version the upload created (`identityOfPayload`). */
  identity: VersionIdentity
  describe?: (pointer: string) => string | undefined
}

/**
 * Uploads and deploys the script; resolves with the version it created and deployed.
 *
 * A PUT of the same script is idempotent in what it leaves deployed: the same code and settings.
 * It is still not sent again blindly after a lost response: each PUT creates a version, and one
 * that carried a migration has already moved the script's migration tag, so the same body sent
 * again fails the tag check (412). So the retry loop first looks for the version the lost request
 * created (the same proof Create Version uses: stored after the newest version listed before the
 * first send, holding exactly this build's modules, and, for an upload with a migration, the
 * Worker's tag moved to its new tag) and adopts it; only when there is none is the PUT sent again,
 * which is then safe.
 */
export async function uploadScript(
  ctx: ApiCallContext,
  upload: ScriptUpload,
): Promise<VersionResult> {
  const { worker, metadata } = upload
  const what = `Upload and deploy the script of Worker ${JSON.stringify(worker)}`
  requireAccount(ctx, what)
  return withApi(ctx, async (session, redactor) => {
    redactor.add(...secretsInBindings(metadata.bindings))
    const baseline = await baselineForSend(ctx, session, ctx.accountId, worker)
    const newTag =
      isRecord(metadata.migrations) && typeof metadata.migrations.new_tag === 'string'
        ? metadata.migrations.new_tag
        : undefined
    let recovered: VersionResult | undefined
    const answer = await sendWithRetries(session, {
      method: 'PUT',
      path: accountPath(ctx.accountId, 'scripts', worker),
      // As wrangler deploy sends it: no script text back, and `inherit` bindings resolved strictly.
      query: { excludeScript: 'true', bindings_inherit: 'strict' },
      body: () => scriptForm(upload),
      what,
      worker,
      idempotent: false,
      accept: (result) => deployedVersionId(result) !== undefined,
      describe: upload.describe,
      ifUnknown: `The script may have been deployed anyway: check the Worker's deployments (dashboard or \`wrangler deployments status --name ${worker}\`) before building again.`,
      hooks: {
        recover: async () => {
          recovered = await findCreatedVersion({
            session,
            accountId: ctx.accountId,
            worker,
            identity: upload.identity,
            baseline,
          })
          if (!recovered) return undefined
          // This upload moves the migration tag with its version; a version of the same code that
          // left the tag where it was came from elsewhere (a Create Version of another build).
          const tag =
            newTag === undefined
              ? undefined
              : await currentMigrationTag({ ...ctx, log: session.log }, worker)
          if (tag !== newTag) {
            session.log(
              `${what}: version ${recovered.id} holds this build's modules, but the Worker's migration tag is ${tag === undefined ? 'unset' : JSON.stringify(tag)}, not ${JSON.stringify(newTag)}: not this upload's; sending it again`,
            )
            recovered = undefined
            return undefined
          }
          session.log(
            `${what}: recovered the lost response: version ${recovered.id} had been created and deployed with this build's modules`,
          )
          return { result: { deployment_id: recovered.id } }
        },
      },
    })
    const id = deployedVersionId(answer.result)
    if (id === undefined)
      throw new WorkersVersionError(
        'API_ERROR',
        `${what}: the response names no deployed version (\`deployment_id\`).`,
      )
    // The upload's answer is the script's metadata; the version's number and preview URLs are read from the version itself.
    let raw: unknown = recovered
    try {
      raw ??= (
        await sendWithRetries(session, {
          method: 'GET',
          path: `${versionsPath(ctx.accountId, worker)}/${encodeURIComponent(id)}`,
          what: `Get version ${id} of Worker ${JSON.stringify(worker)}`,
          worker,
          idempotent: true,
        })
      ).result
    } catch (error) {
      throw new DeployedButUnread(
        worker,
        id,
        error instanceof Error ? error.message : String(error),
        error,
      )
    }
    const result = pickVersionResult(raw, redactor)
    if (!result || result.id !== id)
      throw new DeployedButUnread(worker, id, 'the answer is not that version')
    return result
  })
}

/**
 * The upload deployed version `versionId` (the Worker serves it, at 100%), and reading that
 * version back failed afterwards: what is known is its id, and that it is deployed. Sending the
 * upload again would deploy the same code a second time; nothing needs to be.
 */
export class DeployedButUnread extends WorkersVersionError {
  constructor(
    readonly worker: string,
    readonly versionId: string,
    reason: string,
    cause?: unknown,
  ) {
    super(
      'DEPLOYED_NOT_READ_BACK',
      `The script of Worker ${JSON.stringify(worker)} IS deployed: version ${versionId} serves 100% of traffic. Reading that version back failed afterwards (${reason}), ` +
        `so its number and preview URLs are unknown; nothing needs to be sent again (\`wrangler deployments status --name ${worker}\` shows it).`,
      cause === undefined ? undefined : { cause },
    )
  }
}

/** A fresh form for every send: the metadata part, then one part per module (source maps included). */
export function scriptForm(upload: Pick<ScriptUpload, 'metadata' | 'modules'>): FormData {
  const form = createFormData()
  form.append('metadata', JSON.stringify(upload.metadata))
  for (const mod of upload.modules)
    form.append(
      mod.name,
      new Blob([mod.contents as Uint8Array<ArrayBuffer>], { type: mod.content_type }),
      mod.name,
    )
  return form
}

/** `deployment_id`, the id of the version the upload deployed, as a UUID (the API may send it without dashes). */
export function deployedVersionId(result: unknown): string | undefined {
  const raw = isRecord(result) ? result.deployment_id : undefined
  if (typeof raw !== 'string') return undefined
  const hex = /^[0-9a-f]{32}$/i.test(raw) ? raw : undefined
  return hex
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
    : /^[0-9a-f-]{36}$/i.test(raw)
      ? raw
      : undefined
}
