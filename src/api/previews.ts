/**
 * Worker Previews (`…/workers/workers/{w}/previews`): one Preview per branch with a stable URL,
 * and a deployment per build with a URL of its own. The calls `wrangler preview` makes, minus
 * its settings edits: read the Preview (by id, slug or name), create it when missing, read its
 * latest deployment (migration tag, secrets), create a deployment; and, to clean up, list the
 * Previews and delete one (`wrangler preview delete`'s call).
 */
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { ApiError } from './errors.js'
import {
  accountPath,
  callApi,
  json,
  requireAccount,
  withApi,
  type ApiCallContext,
  type ApiRequest,
} from './request.js'
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
  /** When the Preview was created (ISO 8601), when the answer says. */
  created_on?: string
}

export interface PreviewDeployment {
  id: string
  /** URLs of this deployment only; they keep serving it after later deployments. */
  urls: string[]
  /** The Preview's Durable Object migration tag after this deployment. */
  migration_tag?: string
  /** Binding types by name (values are never kept): its `secret_text` names are kept by the next deployment. */
  env: Record<string, { type: string }>
  /** When the deployment was created (ISO 8601), when the answer says. */
  created_on?: string
}

const previewsPath = (ctx: ApiCallContext, worker: string, ...rest: string[]) =>
  accountPath(ctx.accountId, 'workers', worker, 'previews', ...rest)

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
export async function getPreview(
  ctx: ApiCallContext,
  worker: string,
  identifier: string,
): Promise<Preview | undefined> {
  const result = await callApi(ctx, previewLookup(ctx, worker, identifier))
  return result === undefined ? undefined : toPreview(result, ctx, worker)
}

/** Cloudflare's error code for a Preview create whose name is taken. */
const PREVIEW_NAME_TAKEN = 100338

/** A create refused because the name (or the URL label it makes) is taken: a 409, or the code in any answer. */
function nameTaken(error: unknown): error is ApiError {
  return (
    error instanceof ApiError &&
    (error.status === 409 || error.errors.some((e) => e.code === PREVIEW_NAME_TAKEN))
  )
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
export async function createPreview(
  ctx: ApiCallContext,
  worker: string,
  name: string,
): Promise<CreatedPreview> {
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
export async function latestPreviewDeployment(
  ctx: ApiCallContext,
  worker: string,
  previewId: string,
): Promise<PreviewDeployment | undefined> {
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
  body: {
    stream: () => BodyStream
    contentLength: number
    describe?: (pointer: string) => string | undefined
  },
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

/** The list's page size; a shorter page is the last. */
const PREVIEWS_PER_PAGE = 100
/** 10,000 Previews: a longer list is an error rather than a read without end. */
const MAX_PREVIEW_PAGES = 100

/** `GET …/previews?page=&per_page=`, page by page: every Preview of the Worker. */
export async function listPreviews(ctx: ApiCallContext, worker: string): Promise<Preview[]> {
  const what = `List the Previews of Worker ${JSON.stringify(worker)}`
  requireAccount(ctx, what)
  return withApi(ctx, async (session) => {
    const previews: Preview[] = []
    for (let page = 1; ; page++) {
      if (page > MAX_PREVIEW_PAGES) {
        throw new WorkersVersionError(
          'API_ERROR',
          `${what}: more than ${MAX_PREVIEW_PAGES * PREVIEWS_PER_PAGE} Previews; delete some by name first.`,
        )
      }
      const { result } = await sendWithRetries(session, {
        method: 'GET',
        path: previewsPath(ctx, worker),
        query: { page: String(page), per_page: String(PREVIEWS_PER_PAGE) },
        what,
        worker,
        idempotent: true,
      })
      if (!Array.isArray(result))
        throw new WorkersVersionError(
          'API_ERROR',
          `Cloudflare API: the list of Previews of Worker ${JSON.stringify(worker)} is not a list.`,
        )
      previews.push(...result.map((entry) => toPreview(entry, ctx, worker)))
      if (result.length < PREVIEWS_PER_PAGE) return previews
    }
  })
}

/**
 * `DELETE …/previews/{id}`: the Preview and every deployment of it. Sent again after a lost answer:
 * a Preview already gone then answers not found, which is the outcome asked for. The caller reads
 * the Preview first (`getPreview`) to tell an unknown name from a deleted one.
 */
export async function deletePreview(
  ctx: ApiCallContext,
  worker: string,
  previewId: string,
): Promise<void> {
  await callApi(ctx, {
    method: 'DELETE',
    path: previewsPath(ctx, worker, previewId),
    what: `Delete Preview ${previewId} of Worker ${JSON.stringify(worker)}`,
    worker,
    idempotent: true,
    absentIsUndefined: true,
    absent: POLICY.absentPreview,
  })
}

/**
 * Reads the Preview by `identifier` and deletes it; undefined when there is none. The API finds a
 * Preview by id, slug or name: with `exactName` only a Preview of exactly that name counts, so a
 * branch never deletes another branch's Preview that shares its slug (`feat/x`, `feat-x`).
 */
export async function deletePreviewNamed(
  ctx: ApiCallContext,
  worker: string,
  identifier: string,
  { exactName }: { exactName: boolean },
): Promise<Preview | undefined> {
  const found = await getPreview(ctx, worker, identifier)
  if (!found || (exactName && found.name !== identifier)) return undefined
  await deletePreview(ctx, worker, found.id)
  return found
}

const redactOf = (ctx: ApiCallContext) => (text: string) => ctx.redactor?.redact(text) ?? text

/** Every value a report prints or writes is checked here: ids as safe tokens, URLs as https or loopback http. */
function toPreview(result: unknown, ctx: ApiCallContext, worker: string): Preview {
  const redact = redactOf(ctx)
  if (!isRecord(result))
    throw new WorkersVersionError(
      'API_ERROR',
      `Cloudflare API: the answer about a Preview of Worker ${JSON.stringify(worker)} is not a Preview.`,
    )
  const id = checkPreviewId(result.id, 'the Preview id', redact)
  const urls = (Array.isArray(result.urls) ? result.urls : []).map((url) =>
    checkServerUrl(url, `a URL of Preview ${id}`, redact),
  )
  const name = typeof result.name === 'string' ? result.name : ''
  const slug = typeof result.slug === 'string' ? result.slug : ''
  const preview: Preview = { id, name, slug, urls }
  const created = timestamp(result.created_on)
  if (created !== undefined) preview.created_on = created
  return preview
}

/** A timestamp the API answered, kept only when it parses (it decides what `prune` deletes). */
function timestamp(value: unknown): string | undefined {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : undefined
}

function toDeployment(result: unknown, ctx: ApiCallContext, worker: string): PreviewDeployment {
  const redact = redactOf(ctx)
  if (!isRecord(result))
    throw new WorkersVersionError(
      'API_ERROR',
      `Cloudflare API: the answer about a Preview deployment of Worker ${JSON.stringify(worker)} is not a deployment.`,
    )
  const id = checkPreviewId(result.id, 'the Preview deployment id', redact)
  const urls = (Array.isArray(result.urls) ? result.urls : []).map((url) =>
    checkServerUrl(url, `a URL of Preview deployment ${id}`, redact),
  )
  const env: PreviewDeployment['env'] = {}
  if (isRecord(result.env))
    for (const [name, binding] of Object.entries(result.env))
      if (isRecord(binding) && typeof binding.type === 'string') env[name] = { type: binding.type }
  const deployment: PreviewDeployment = { id, urls, env }
  if (typeof result.migration_tag === 'string' && result.migration_tag !== '')
    deployment.migration_tag = result.migration_tag
  const created = timestamp(result.created_on)
  if (created !== undefined) deployment.created_on = created
  return deployment
}
