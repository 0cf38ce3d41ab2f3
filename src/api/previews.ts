/**
 * Worker Previews (`…/workers/workers/{w}/previews`): one Preview per branch with a stable URL,
 * and a deployment per build with a URL of its own. The calls `wrangler preview` makes, minus
 * its settings edits: read the Preview (by id, slug or name), create it when missing, read its
 * latest deployment (migration tag, secrets), create a deployment.
 */
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { ApiError } from './errors.js'
import { accountPath, callApi, json, requireAccount, withApi, type ApiCallContext, type ApiRequest } from './request.js'
import { sendWithRetries } from './retry.js'
import { POLICY } from './policy.js'
import { checkPreviewId, checkServerUrl } from './server-values.js'
import type { BodyStream } from './transport.js'

export interface Preview {
  id: string
  name: string
  slug: string
  /** The stable Preview URLs: each serves the Preview's latest deployment. */
  urls: string[]
}

export interface PreviewDeployment {
  id: string
  /** URLs of this deployment only; they keep serving it after later deployments. */
  urls: string[]
  /** The Preview's Durable Object migration tag after this deployment. */
  migration_tag?: string
  /** Binding types by name (values are never kept): its `secret_text` names are kept by the next deployment. */
  env: Record<string, { type: string }>
}

const previewsPath = (ctx: ApiCallContext, worker: string, ...rest: string[]) => accountPath(ctx.accountId, 'workers', worker, 'previews', ...rest)

function previewLookup(ctx: ApiCallContext, worker: string, identifier: string): ApiRequest {
  return {
    method: 'GET',
    path: previewsPath(ctx, worker, identifier),
    what: `Look up Preview ${JSON.stringify(identifier)} of Worker ${JSON.stringify(worker)}`,
    worker,
    idempotent: true,
    absentIsUndefined: true,
    absent: POLICY.absentPreview,
  }
}

/** `GET …/previews/{id|slug|name}`: the Preview, or undefined when there is none (10025). */
export async function getPreview(ctx: ApiCallContext, worker: string, identifier: string): Promise<Preview | undefined> {
  const result = await callApi(ctx, previewLookup(ctx, worker, identifier))
  return result === undefined ? undefined : toPreview(result, ctx, worker)
}

/** Cloudflare's error code for a Preview create whose name is taken. */
export const PREVIEW_NAME_TAKEN = 100338

/** A create refused because the name (or the URL label it makes) is taken: a 409, or the code in any answer. */
function nameTaken(error: unknown): error is ApiError {
  return error instanceof ApiError && (error.status === 409 || error.errors.some((e) => e.code === PREVIEW_NAME_TAKEN))
}

export interface CreatedPreview {
  preview: Preview
  /** False when the create found the name taken and the Preview was read instead. */
  created: boolean
}

/**
 * `POST …/previews` with `{ name }`. Like creating a Worker: after a lost response, or when the
 * name is taken (a parallel build of the same branch created it first), the Preview is read by
 * name. That read also answers by slug, so the caller checks the name of what comes back.
 */
export async function createPreview(ctx: ApiCallContext, worker: string, name: string): Promise<CreatedPreview> {
  const what = `Create Preview ${JSON.stringify(name)} of Worker ${JSON.stringify(worker)}`
  requireAccount(ctx, what)
  const lookup = { ...previewLookup(ctx, worker, name), maxSends: 3 }
  const answer = await withApi(ctx, async (session) => {
    try {
      const made = await sendWithRetries(session, {
        method: 'POST',
        path: previewsPath(ctx, worker),
        body: json({ name }),
        what,
        worker,
        idempotent: false,
        ifUnknown: `Check whether Preview ${JSON.stringify(name)} exists (dashboard) before building again.`,
        hooks: {
          recover: async () => {
            const found = await sendWithRetries(session, lookup)
            return found.result === undefined ? undefined : found
          },
        },
      })
      return { result: made.result, created: true }
    } catch (error) {
      if (!nameTaken(error)) throw error
      const found = await sendWithRetries(session, lookup)
      if (found.result === undefined) throw error
      session.log(`${what}: the name is taken (by another build meanwhile?); reading that Preview`)
      return { result: found.result, created: false }
    }
  })
  return { preview: toPreview(answer.result, ctx, worker), created: answer.created }
}

/** `GET …/previews/{p}/deployments/latest`, or undefined for a Preview without deployments. */
export async function latestPreviewDeployment(ctx: ApiCallContext, worker: string, previewId: string): Promise<PreviewDeployment | undefined> {
  const result = await callApi(ctx, {
    method: 'GET',
    path: previewsPath(ctx, worker, previewId, 'deployments', 'latest'),
    what: `Read the latest deployment of Preview ${previewId} of Worker ${JSON.stringify(worker)}`,
    worker,
    idempotent: true,
    absentIsUndefined: true,
    absent: POLICY.absentPreview,
  })
  return result === undefined ? undefined : toDeployment(result, ctx, worker)
}

/**
 * `POST …/previews/{p}/deployments` with the JSON body of `previewDeploymentBody`. Not sent again
 * once it may have arrived: a second deployment would be harmless to the Preview URL, but the
 * build would report one of two.
 */
export async function createPreviewDeployment(
  ctx: ApiCallContext,
  worker: string,
  previewId: string,
  body: { stream: () => BodyStream; contentLength: number; describe?: (pointer: string) => string | undefined },
): Promise<PreviewDeployment> {
  const result = await callApi(ctx, {
    method: 'POST',
    path: previewsPath(ctx, worker, previewId, 'deployments'),
    body: body.stream,
    contentLength: body.contentLength,
    what: `Create a deployment of Preview ${previewId} of Worker ${JSON.stringify(worker)}`,
    worker,
    idempotent: false,
    describe: body.describe,
    ifUnknown: `The deployment may exist anyway: check the Preview's deployments (dashboard) before building again.`,
  })
  return toDeployment(result, ctx, worker)
}

const redactOf = (ctx: ApiCallContext) => (text: string) => ctx.redactor?.redact(text) ?? text

/** Every value a report prints or writes is checked here: ids as safe tokens, URLs as https or loopback http. */
function toPreview(result: unknown, ctx: ApiCallContext, worker: string): Preview {
  const redact = redactOf(ctx)
  if (!isRecord(result)) throw new WorkersVersionError('API_ERROR', `Cloudflare API: the answer about a Preview of Worker ${JSON.stringify(worker)} is not a Preview.`)
  const id = checkPreviewId(result.id, 'the Preview id', redact)
  const urls = (Array.isArray(result.urls) ? result.urls : []).map((url) => checkServerUrl(url, `a URL of Preview ${id}`, redact))
  const name = typeof result.name === 'string' ? result.name : ''
  const slug = typeof result.slug === 'string' ? result.slug : ''
  return { id, name, slug, urls }
}

function toDeployment(result: unknown, ctx: ApiCallContext, worker: string): PreviewDeployment {
  const redact = redactOf(ctx)
  if (!isRecord(result)) throw new WorkersVersionError('API_ERROR', `Cloudflare API: the answer about a Preview deployment of Worker ${JSON.stringify(worker)} is not a deployment.`)
  const id = checkPreviewId(result.id, 'the Preview deployment id', redact)
  const urls = (Array.isArray(result.urls) ? result.urls : []).map((url) => checkServerUrl(url, `a URL of Preview deployment ${id}`, redact))
  const env: PreviewDeployment['env'] = {}
  if (isRecord(result.env)) for (const [name, binding] of Object.entries(result.env)) if (isRecord(binding) && typeof binding.type === 'string') env[name] = { type: binding.type }
  const deployment: PreviewDeployment = { id, urls, env }
  if (typeof result.migration_tag === 'string' && result.migration_tag !== '') deployment.migration_tag = result.migration_tag
  return deployment
}
