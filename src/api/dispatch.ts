/**
 * Workers for Platforms: a user Worker in a dispatch namespace, read and uploaded as `wrangler
 * deploy --dispatch-namespace` does (`…/workers/dispatch/namespaces/{namespace}/scripts/{name}`). A
 * user Worker has no versions API: its upload is the script upload's multipart form (script-upload.ts
 * builds it), sent to the namespace's path, and deploys the Worker at once.
 */
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { secretsInBindings } from '../core/redact.js'
import type { WorkerModule } from '../core/types.js'
import { ApiError } from './errors.js'
import { accountPath, requireAccount, withApi, type ApiCallContext } from './request.js'
import { sendWithRetries } from './retry.js'
import { deployedVersionId, scriptForm } from './script-upload.js'

/** "This Worker does not exist in the namespace", the answer wrangler takes for a first upload. */
const ABSENT_USER_WORKER = { status: 404, code: 10092 } as const

function namespacePath(accountId: string, namespace: string, ...rest: string[]): string {
  return accountPath(accountId, 'dispatch', 'namespaces', namespace, ...rest)
}

/** What the read of a user Worker tells before its upload. */
export interface UserWorkerState {
  exists: boolean
  /** Its Durable Object migration tag, when it has one. */
  migrationTag?: string
}

/**
 * Reads the namespace and the user Worker in it, at once. A namespace that is not there (404) is
 * an error naming it, before anything is uploaded; a user Worker that is not there (10092) is a
 * first upload.
 */
export async function readUserWorker(
  ctx: ApiCallContext,
  namespace: string,
  worker: string,
): Promise<UserWorkerState> {
  const what = `Read user Worker ${JSON.stringify(worker)} in dispatch namespace ${JSON.stringify(namespace)}`
  requireAccount(ctx, what)
  return withApi(ctx, async (session) => {
    const [found, script] = await Promise.all([
      sendWithRetries(session, {
        method: 'GET',
        path: namespacePath(ctx.accountId, namespace),
        what: `Read dispatch namespace ${JSON.stringify(namespace)}`,
        worker,
        idempotent: true,
      }).then(
        () => true,
        (error: unknown) => {
          if (error instanceof ApiError && error.status === 404) return false
          throw error
        },
      ),
      sendWithRetries(session, {
        method: 'GET',
        path: namespacePath(ctx.accountId, namespace, 'scripts', worker),
        what,
        worker,
        idempotent: true,
        absentIsUndefined: true,
        absent: ABSENT_USER_WORKER,
      }).catch((error: unknown) => {
        // The namespace read names a missing namespace; this read's own error says less.
        if (error instanceof ApiError && error.status === 404) return undefined
        throw error
      }),
    ])
    if (!found)
      throw new WorkersVersionError(
        'DISPATCH_NAMESPACE_NOT_FOUND',
        `Dispatch namespace ${JSON.stringify(namespace)} does not exist in account ${ctx.accountId}: nothing was uploaded. Create it first (\`wrangler dispatch-namespace create ${namespace}\`, or the dashboard), or fix \`dispatchNamespace\`.`,
      )
    const result: unknown = script?.result
    if (result === undefined) return { exists: false }
    const inner = isRecord(result) && isRecord(result.script) ? result.script : result
    const tag = isRecord(inner) ? inner.migration_tag : undefined
    return { exists: true, ...(typeof tag === 'string' && tag !== '' && { migrationTag: tag }) }
  })
}

export interface UserWorkerUpload {
  namespace: string
  worker: string
  metadata: Record<string, unknown>
  modules: readonly WorkerModule[]
  describe?: (pointer: string) => string | undefined
}

export interface UserWorkerUploaded {
  /** The version the upload created and deployed (`deployment_id`). */
  versionId: string
  etag?: string
  startupTimeMs?: number
}

/**
 * `PUT …/dispatch/namespaces/{namespace}/scripts/{name}?excludeScript=true&bindings_inherit=strict`:
 * creates or replaces the user Worker and deploys it. The same form sent twice leaves the same
 * Worker, so it is sent again after a lost response, unless it carries a Durable Object migration:
 * the first send may have moved the Worker's migration tag, and the second would then be refused.
 */
export async function uploadUserWorker(
  ctx: ApiCallContext,
  upload: UserWorkerUpload,
): Promise<UserWorkerUploaded> {
  const { namespace, worker, metadata } = upload
  const what = `Upload user Worker ${JSON.stringify(worker)} to dispatch namespace ${JSON.stringify(namespace)}`
  requireAccount(ctx, what)
  return withApi(ctx, async (session, redactor) => {
    redactor.add(...secretsInBindings(metadata.bindings))
    const answer = await sendWithRetries(session, {
      method: 'PUT',
      path: namespacePath(ctx.accountId, namespace, 'scripts', worker),
      // As wrangler deploy sends it: no script text back, and `inherit` bindings resolved strictly.
      query: { excludeScript: 'true', bindings_inherit: 'strict' },
      body: () => scriptForm(upload),
      what,
      worker,
      idempotent: metadata.migrations === undefined,
      accept: (result) => deployedVersionId(result) !== undefined,
      describe: upload.describe,
      ifUnknown: `The user Worker may have been uploaded anyway: read it (\`GET …/dispatch/namespaces/${namespace}/scripts/${worker}\`) before building again.`,
    })
    const result = answer.result as Record<string, unknown>
    return {
      versionId: deployedVersionId(result)!,
      ...(typeof result.etag === 'string' && { etag: result.etag }),
      ...(typeof result.startup_time_ms === 'number' && { startupTimeMs: result.startup_time_ms }),
    }
  })
}
