/**
 * Worker Previews: `…/workers/workers/:w/previews` (create, get by id, slug or name) and their
 * deployments (create, list, get by id or `latest`). A deployment takes the version fields with
 * `env` as a record instead of `bindings`, as JSON (`content_base64` modules) or as wrangler's
 * multipart form (a `metadata` part and one `files` part per module). Each Preview keeps its own
 * migration tag; its `env` is the deployment's over the Worker's Preview defaults. The Preview's
 * URL serves its latest deployment; each deployment's URL keeps serving that deployment.
 */
import { randomUUID } from 'node:crypto'
import type { ApiContext, ApiRequest, Route } from './api.js'
import { previewFailure, workerNotFound } from './create-version.js'
import {
  apiError,
  Code,
  fail,
  failOne,
  ok,
  okPage,
  type ApiError,
  type ApiReply,
} from './envelope.js'
import { migrationProblem, migrationTags } from './migrations.js'
import { validateBody } from './validate.js'
import { readMetadataForm } from './multipart.js'
import type { RunnableVersionBody, VersionBinding } from './types.js'

/** "Preview not found", and "Preview deployment not found" as wrangler's tests answer it (wrangler also accepts 10222). */
const PREVIEW_NOT_FOUND = 10025
const PREVIEW_DEPLOYMENT_NOT_FOUND = 10025
/**
 * A create whose name, or the URL label it makes, another Preview of the Worker has: answered 409,
 * the Workers API's status for a taken Worker name, with code 100338, Cloudflare's "Preview name
 * exists" (wrangler 4.164 handles neither: it reads the Preview before creating it).
 */
const PREVIEW_NAME_TAKEN = 100338

export interface StoredPreview {
  id: string
  name: string
  slug: string
  worker: string
  accountId: string
  created_on: string
  /** The Durable Object migration tag of this Preview (its own namespaces), moved by its deployments. */
  migration_tag?: string
}

export interface StoredPreviewDeployment {
  id: string
  preview_id: string
  number: number
  created_on: string
  annotations: Record<string, string>
  /** As merged (Preview defaults under the request's), secret values included. */
  env: Record<string, Omit<VersionBinding, 'name'>>
  migration_tag?: string
  /** What workerd runs. */
  runnable: RunnableVersionBody
  /** The request body as received (multipart converted to JSON). */
  request: Record<string, unknown>
}

/** The binding types a Preview's `env` takes (the kinds `wrangler preview` sends, plus `inherit`). */
const ENV_TYPES = new Set([
  'plain_text',
  'secret_text',
  'json',
  'inherit',
  'assets',
  'kv_namespace',
  'd1',
  'r2_bucket',
  'service',
  'durable_object_namespace',
  'workflow',
  'queue',
  'vectorize',
  'hyperdrive',
  'analytics_engine',
  'dispatch_namespace',
  'mtls_certificate',
  'pipelines',
  'secrets_store_secret',
  'ratelimit',
  'worker_loader',
  'vpc_service',
  'vpc_network',
  'browser',
  'ai',
  'images',
  'media',
  'stream',
  'version_metadata',
  'send_email',
  'logfwdr',
  'ai_search',
  'ai_search_namespace',
  'agent_memory',
  'artifacts',
  'flagship',
  'k2',
  'analytics',
])

/** Fields a Preview deployment takes; anything else (a version's `bindings`) is refused. */
const DEPLOYMENT_FIELDS = new Set([
  'main_module',
  'modules',
  'assets',
  'compatibility_date',
  'compatibility_flags',
  'annotations',
  'migrations',
  'limits',
  'placement',
  'cache',
  'env',
  'exports',
  'containers',
])

/** The server's slug of a Preview name: a DNS label of letters, digits and `-`. */
function slugOf(name: string): string {
  return name
    .replace(/[^a-zA-Z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Every Preview and deployment of the emulator, plus the Workers' Preview defaults. */
export class PreviewStore {
  #previews: StoredPreview[] = []
  #deployments: StoredPreviewDeployment[] = [] // oldest first
  #defaults = new Map<string, Record<string, Omit<VersionBinding, 'name'>>>() // key: `${account}\n${worker}`

  find(accountId: string, worker: string, identifier: string): StoredPreview | undefined {
    const own = this.#previews.filter((p) => p.accountId === accountId && p.worker === worker)
    return (
      own.find((p) => p.id === identifier) ??
      own.find((p) => p.name === identifier) ??
      own.find((p) => p.slug === identifier)
    )
  }

  list(accountId: string, worker: string): StoredPreview[] {
    return this.#previews.filter((p) => p.accountId === accountId && p.worker === worker)
  }

  add(preview: StoredPreview): void {
    this.#previews.push(preview)
  }

  /** Removes a Preview with every deployment of it (their ids, so their workerd instances can be stopped). */
  remove(previewId: string): string[] {
    const gone = this.#deployments.filter((d) => d.preview_id === previewId).map((d) => d.id)
    this.#previews = this.#previews.filter((p) => p.id !== previewId)
    this.#deployments = this.#deployments.filter((d) => d.preview_id !== previewId)
    return gone
  }

  /** Sets when a Preview and each of its deployments were made, so a test can age them without waiting. */
  setCreatedOn(previewId: string, createdOn: string): void {
    for (const p of this.#previews) if (p.id === previewId) p.created_on = createdOn
    for (const d of this.#deployments) if (d.preview_id === previewId) d.created_on = createdOn
  }

  /** Newest first. */
  deployments(previewId: string): StoredPreviewDeployment[] {
    return this.#deployments.filter((d) => d.preview_id === previewId).reverse()
  }

  addDeployment(deployment: StoredPreviewDeployment): void {
    this.#deployments.push(deployment)
  }

  setDefaults(
    accountId: string,
    worker: string,
    env: Record<string, Omit<VersionBinding, 'name'>>,
  ): void {
    this.#defaults.set(`${accountId}\n${worker}`, env)
  }

  defaults(accountId: string, worker: string): Record<string, Omit<VersionBinding, 'name'>> {
    return this.#defaults.get(`${accountId}\n${worker}`) ?? {}
  }

  /** What a URL id stands for: a deployment (its own URL) or a Preview (its latest deployment). */
  /** The Worker a Preview belongs to. */
  workerOf(previewId: string): string | undefined {
    return this.#previews.find((p) => p.id === previewId)?.worker
  }

  runnable(id: string): { id: string; worker: string; body: RunnableVersionBody } | undefined {
    const deployment = this.#deployments.find((d) => d.id === id) ?? this.deployments(id)[0]
    const preview = deployment && this.#previews.find((p) => p.id === deployment.preview_id)
    return deployment && preview
      ? { id: deployment.id, worker: preview.worker, body: deployment.runnable }
      : undefined
  }
}

const SEGMENT = '([^/]+)'
const PREVIEWS = `^/accounts/${SEGMENT}/workers/workers/${SEGMENT}/previews`

export const PREVIEW_ROUTES: Route[] = [
  { method: 'POST', pattern: new RegExp(`${PREVIEWS}/?$`), handler: createPreview },
  { method: 'GET', pattern: new RegExp(`${PREVIEWS}/?$`), handler: listPreviews },
  { method: 'GET', pattern: new RegExp(`${PREVIEWS}/${SEGMENT}/?$`), handler: getPreview },
  { method: 'DELETE', pattern: new RegExp(`${PREVIEWS}/${SEGMENT}/?$`), handler: deletePreview },
  {
    method: 'POST',
    pattern: new RegExp(`${PREVIEWS}/${SEGMENT}/deployments/?$`),
    handler: createDeployment,
    rawBody: true,
  },
  {
    method: 'GET',
    pattern: new RegExp(`${PREVIEWS}/${SEGMENT}/deployments/?$`),
    handler: listDeployments,
  },
  {
    method: 'GET',
    pattern: new RegExp(`${PREVIEWS}/${SEGMENT}/deployments/${SEGMENT}/?$`),
    handler: getDeployment,
  },
]

function previewNotFound(identifier: string): ApiReply {
  return failOne(404, PREVIEW_NOT_FOUND, `Preview '${identifier}' not found`)
}

function previewResult(ctx: ApiContext, preview: StoredPreview): Record<string, unknown> {
  return {
    id: preview.id,
    name: preview.name,
    slug: preview.slug,
    worker_name: preview.worker,
    created_on: preview.created_on,
    urls: [ctx.previewUrl(preview.slug, preview.worker, 'preview')],
  }
}

/** Secret values never leave the API: a `secret_text` answers with its type only. */
function deploymentResult(ctx: ApiContext, d: StoredPreviewDeployment): Record<string, unknown> {
  const env = Object.fromEntries(
    Object.entries(d.env).map(([name, b]) => [
      name,
      b.type === 'secret_text' ? { type: b.type } : b,
    ]),
  )
  return {
    id: d.id,
    preview_id: d.preview_id,
    number: d.number,
    created_on: d.created_on,
    annotations: d.annotations,
    env,
    migration_tag: d.migration_tag,
    urls: [ctx.previewUrl(d.id, ctx.store.previews.workerOf(d.preview_id) ?? '', 'deployment')],
  }
}

function createPreview(
  ctx: ApiContext,
  req: ApiRequest,
  [account = '', worker = '']: string[],
): ApiReply {
  const found = ctx.store.worker(account, worker)
  if (!found) return workerNotFound()
  const name = isObject(req.body) ? req.body.name : undefined
  if (typeof name !== 'string' || name.trim() === '' || name.length > 255)
    return failOne(
      400,
      Code.validation,
      'name must be a non-empty string of at most 255 characters',
      '/name',
    )
  // Stricter than documented: a name is printed in logs, where a control character could start a forged line.
  if (/\p{Cc}/u.test(name))
    return failOne(400, Code.validation, 'name must not contain control characters', '/name')
  const slug = slugOf(name)
  if (slug === '' || slug.length > 63)
    return failOne(
      400,
      Code.validation,
      `name '${name}' makes no valid URL label (letters, digits and '-', at most 63)`,
      '/name',
    )
  const clash = ctx.store.previews
    .list(account, found.name)
    .find((p) => p.name === name || p.slug === slug)
  if (clash)
    return failOne(
      409,
      PREVIEW_NAME_TAKEN,
      `A Preview named '${clash.name}' (slug '${clash.slug}') already exists`,
      '/name',
    )
  const preview: StoredPreview = {
    id: randomUUID(),
    name,
    slug,
    worker: found.name,
    accountId: account,
    created_on: new Date().toISOString(),
  }
  ctx.store.previews.add(preview)
  return ok(previewResult(ctx, preview))
}

/** A page of the Worker's Previews (`page`, `per_page` 1–100, default 20), oldest first, with `result_info`. */
function listPreviews(
  ctx: ApiContext,
  req: ApiRequest,
  [account = '', worker = '']: string[],
): ApiReply {
  const found = ctx.store.worker(account, worker)
  if (!found) return workerNotFound()
  const page = wholeParam(req.query.get('page'), 1)
  const perPage = wholeParam(req.query.get('per_page'), 20)
  if (page === undefined || perPage === undefined || perPage > 100)
    return failOne(
      400,
      Code.validation,
      'page must be a whole number from 1, per_page from 1 to 100',
    )
  const all = ctx.store.previews.list(account, found.name)
  return okPage(all, page, perPage, (p) => previewResult(ctx, p))
}

/** A positive whole number from the query, the default when absent, undefined when malformed. */
function wholeParam(value: string | null, fallback: number): number | undefined {
  if (value === null) return fallback
  return /^[1-9]\d{0,6}$/.test(value) ? Number(value) : undefined
}

/**
 * `DELETE …/previews/{id|slug|name}`: the Preview and all its deployments; their URLs stop serving
 * at once. An unknown Preview is a 404 with the not-found code, as for a read.
 */
async function deletePreview(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', worker = '', identifier = '']: string[],
): Promise<ApiReply> {
  const preview = lookup(ctx, account, worker, identifier)
  if ('status' in preview) return preview
  const gone = ctx.store.previews.remove(preview.id)
  if (ctx.preview) for (const id of gone) await ctx.preview.discard(id)
  return ok(null)
}

function lookup(
  ctx: ApiContext,
  account: string,
  worker: string,
  identifier: string,
): StoredPreview | ApiReply {
  const found = ctx.store.worker(account, worker)
  if (!found) return workerNotFound()
  return ctx.store.previews.find(account, found.name, identifier) ?? previewNotFound(identifier)
}

function getPreview(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', worker = '', identifier = '']: string[],
): ApiReply {
  const preview = lookup(ctx, account, worker, identifier)
  return 'status' in preview ? preview : ok(previewResult(ctx, preview))
}

function listDeployments(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', worker = '', identifier = '']: string[],
): ApiReply {
  const preview = lookup(ctx, account, worker, identifier)
  return 'status' in preview
    ? preview
    : ok(ctx.store.previews.deployments(preview.id).map((d) => deploymentResult(ctx, d)))
}

function getDeployment(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', worker = '', identifier = '', which = '']: string[],
): ApiReply {
  const preview = lookup(ctx, account, worker, identifier)
  if ('status' in preview) return preview
  const all = ctx.store.previews.deployments(preview.id)
  const found = which === 'latest' ? all[0] : all.find((d) => d.id === which)
  return found
    ? ok(deploymentResult(ctx, found))
    : failOne(404, PREVIEW_DEPLOYMENT_NOT_FOUND, `Preview deployment '${which}' not found`)
}

async function createDeployment(
  ctx: ApiContext,
  req: ApiRequest,
  [account = '', worker = '', identifier = '']: string[],
): Promise<ApiReply> {
  const preview = lookup(ctx, account, worker, identifier)
  if ('status' in preview) return preview
  const parsed = await deploymentBody(req)
  if ('problem' in parsed) return failOne(400, Code.validation, parsed.problem)
  const body = parsed.body
  const unknown = Object.keys(body).filter((key) => !DEPLOYMENT_FIELDS.has(key))
  if (unknown.length > 0)
    return fail(
      400,
      unknown.map((key) =>
        apiError(Code.validation, `Unknown field '${key}' for a Preview deployment`, `/${key}`),
      ),
    )

  const envErrors = checkEnv(body.env)
  if (envErrors.length > 0) return fail(400, envErrors)
  const previous = ctx.store.previews.deployments(preview.id)[0]
  const requested = (body.env ?? {}) as Record<string, Omit<VersionBinding, 'name'>>
  // The Worker's Preview defaults under the request's bindings; `inherit` takes the previous deployment's.
  const env: Record<string, Omit<VersionBinding, 'name'>> = {
    ...ctx.store.previews.defaults(account, preview.worker),
  }
  for (const [name, binding] of Object.entries(requested)) {
    if (binding.type !== 'inherit') env[name] = binding
    else if (previous?.env[name]) env[name] = previous.env[name]
    else
      return failOne(
        400,
        Code.validation,
        `env.${name} inherits from the previous deployment of Preview '${preview.name}', which has no binding '${name}'`,
        `/env/${name}`,
      )
  }
  const bindings = Object.entries(env).map(
    ([name, binding]) => ({ ...binding, name }) as VersionBinding,
  )
  const { env: _env, cache: _cache, ...versionFields } = body
  const { errors, body: valid } = validateBody({ ...versionFields, bindings })
  if (!valid)
    return fail(
      400,
      errors.map((e) => ({
        ...e,
        source: e.source?.pointer?.startsWith('/bindings/')
          ? { pointer: `/env/${bindings[Number(e.source.pointer.split('/')[2])]?.name ?? ''}` }
          : e.source,
      })),
    )
  const migrations = migrationProblem(body.migrations, preview.migration_tag)
  if (migrations) return migrations

  const id = randomUUID()
  const runnable: RunnableVersionBody = {
    ...valid,
    modules: valid.modules ?? [],
    bindings,
    assets: valid.assets as RunnableVersionBody['assets'],
  }
  if (ctx.preview) {
    try {
      await ctx.preview.start(id, runnable, preview.worker)
    } catch (error) {
      await ctx.preview.discard(id)
      return previewFailure(error)
    }
  }
  const newTag = migrationTags(body.migrations)?.new_tag
  if (newTag !== undefined) preview.migration_tag = newTag
  const deployment: StoredPreviewDeployment = {
    id,
    preview_id: preview.id,
    number: (previous?.number ?? 0) + 1,
    created_on: new Date().toISOString(),
    annotations: { ...(valid.annotations ?? {}) },
    env,
    migration_tag: preview.migration_tag,
    runnable,
    request: body,
  }
  ctx.store.previews.addDeployment(deployment)
  return ok(deploymentResult(ctx, deployment))
}

function checkEnv(env: unknown): ApiError[] {
  if (env === undefined) return []
  if (!isObject(env))
    return [apiError(Code.validation, 'env must be an object of name → binding', '/env')]
  const errors: ApiError[] = []
  for (const [name, binding] of Object.entries(env)) {
    if (!isObject(binding))
      errors.push(apiError(Code.validation, `env.${name} must be a binding object`, `/env/${name}`))
    else if ('name' in binding)
      errors.push(
        apiError(
          Code.validation,
          `env.${name} must not repeat its name: the key is the name`,
          `/env/${name}/name`,
        ),
      )
    else if (typeof binding.type !== 'string' || !ENV_TYPES.has(binding.type))
      errors.push(
        apiError(
          Code.validation,
          `env.${name} has unknown binding type ${JSON.stringify(binding.type)}`,
          `/env/${name}/type`,
        ),
      )
  }
  return errors
}

/** The JSON body, or wrangler's multipart form (`metadata` plus one `files` part per module) as JSON. */
async function deploymentBody(
  req: ApiRequest,
): Promise<{ body: Record<string, unknown> } | { problem: string }> {
  const contentType = req.headers['content-type'] ?? ''
  if (!/^multipart\/form-data\b/i.test(contentType)) {
    if (req.bodyProblem === 'invalid-json') return { problem: 'The request body is not valid JSON' }
    return isObject(req.body)
      ? { body: req.body }
      : { problem: 'The request body must be a JSON object' }
  }
  const read = await readMetadataForm(req)
  if ('problem' in read) return read
  const { form, metadata } = read
  const modules = []
  for (const [part, value] of form) {
    if (part === 'metadata') continue
    if (part !== 'files' || typeof value === 'string')
      return {
        problem: `Part '${part}' is not a module: modules are 'files' parts with a file name and a content type`,
      }
    modules.push({
      name: value.name,
      content_type: value.type.split(';')[0]?.trim() ?? '',
      content_base64: Buffer.from(await value.arrayBuffer()).toString('base64'),
    })
  }
  return { body: { ...metadata, modules } }
}
