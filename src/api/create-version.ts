import type { VersionRequestBody, VersionResult } from '../core/body.js'
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { secretsInBindings } from '../core/redact.js'
import { baselineForSend } from './baseline.js'
import { checkAccountId, checkWorkerName } from './identifiers.js'
import { describePointer } from './pointers.js'
import { type ApiClientOptions, withApi } from './request.js'
import { sendWithRetries } from './retry.js'
import type { BodyStream } from './transport.js'
import { hasVersionId, pickVersionResult } from './result.js'
import { quoteServerValue } from './server-values.js'
import { parseBaseUrl } from './url.js'
import { findCreatedVersion, identityOf, type VersionIdentity, versionsPath } from './versions.js'

export interface CreateVersionOptions extends ApiClientOptions {
  accountId: string
  worker: string
  /** The request body, or a factory returning a fresh JSON stream for every attempt. */
  body: VersionRequestBody | (() => BodyStream)
  /**
   * What identifies a streamed body's version if its response is lost: metadata
   * and module digests, from `identityOfPayload(payload)`. Without module
   * digests a lost response is never matched to a version: the request is sent
   * again (a second version) rather than claiming one that may be another build's.
   */
  identity?: VersionIdentity
  /** Byte length of a streamed body, sent as `content-length` (some proxies refuse chunked uploads). */
  contentLength?: number
  /** Names what an error's `source.pointer` refers to; defaults to `describePointer(body, …)` for object bodies. */
  describe?: (pointer: string) => string | undefined
}

/**
 * `POST /accounts/{accountId}/workers/workers/{worker}/versions`. A lost response is never
 * answered by sending blindly again: the retry loop's `recover` hook looks for the version the
 * lost request made, and adopts it only with proof that it was stored after the newest version
 * listed just before the first send and holds this build's modules (`findCreatedVersion`). Without proof the POST is sent again: a second, harmless version is
 * better than reporting another build's code as ours.
 *
 * Everything that leaves this function passes the redactor first: log lines, the thrown error
 * (every nested field, `cause` included) and the result, which keeps only the fields the plugin
 * uses (`pickVersionResult`).
 */
export async function createVersion(options: CreateVersionOptions): Promise<VersionResult> {
  const { body, worker, accountId } = options
  parseBaseUrl(options.baseUrl)
  checkAccountId(accountId)
  checkWorkerName(worker)
  const identity = typeof body === 'function' ? options.identity : identityOf(body)
  const what = `Create Version for Worker ${JSON.stringify(worker)}`
  return withApi(options, async (session, redactor) => {
    if (typeof body !== 'function') redactor.add(...secretsInBindings(body.bindings))
    // Only a body with module digests can ever be adopted: only then is the baseline needed.
    const baseline = identity?.modules
      ? await baselineForSend(options, session, accountId, worker)
      : undefined
    const answer = await sendWithRetries(session, {
      method: 'POST',
      path: versionsPath(accountId, worker),
      // Serialised once: every send reuses this Buffer, so a 100 MB body exists as one string
      // (garbage right after) and one Buffer, never more.
      body: typeof body === 'function' ? body : Buffer.from(JSON.stringify(body)),
      ...(typeof body === 'function' && options.contentLength !== undefined
        ? { contentLength: options.contentLength }
        : {}),
      what,
      worker,
      idempotent: false,
      accept: hasVersionId,
      describe:
        options.describe ??
        (typeof body === 'function' ? undefined : (pointer) => describePointer(body, pointer)),
      ifUnknown: `The version may have been created anyway: check the Worker's versions (dashboard or \`wrangler versions list --name ${worker}\`) before building again.`,
      hooks: {
        recover: async () => {
          const found = await findCreatedVersion({ session, accountId, worker, identity, baseline })
          if (!found) return undefined
          session.log(
            `Create Version: recovered the lost response: version ${found.id} (number ${String(found.number)}) had been created with this build's modules`,
          )
          return { result: found }
        },
      },
    })
    const result = pickVersionResult(answer.result, redactor)
    if (!result)
      throw new WorkersVersionError('API_ERROR', `${what}: the response has no version id.`)
    const named = otherWorkerNamed(answer.result, worker)
    if (named !== undefined) {
      throw new WorkersVersionError(
        'API_INVALID_RESPONSE',
        `${what}: the answer names Worker ${quoteServerValue(named, (text) => redactor.redact(text))}, not ours, so version ${result.id} is not taken for one of ${JSON.stringify(worker)}; nothing was deployed.`,
      )
    }
    return result
  })
}

/**
 * The Worker a Create Version answer names when that is not ours. The API does not always name
 * it; when it does (`script_name`, `worker_name`, or the same under `metadata`), a version of
 * another Worker must never be reported or promoted as ours.
 */
function otherWorkerNamed(raw: unknown, worker: string): unknown {
  if (!isRecord(raw)) return undefined
  const metadata = isRecord(raw.metadata) ? raw.metadata : {}
  // `worker` may be given as the Worker's id: then only an id can be compared with it.
  const fields = /^[0-9a-f]{32}$/.test(worker)
    ? ['worker_id', 'script_id']
    : ['script_name', 'worker_name']
  for (const value of fields.flatMap((field) => [raw[field], metadata[field]])) {
    if (value !== undefined && value !== null && value !== worker) return value
  }
  return undefined
}
