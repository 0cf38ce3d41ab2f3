/**
 * Workers for Platforms: dispatch namespaces and the user Workers uploaded into them.
 *
 * - `GET|POST /accounts/:a/workers/dispatch/namespaces` (list; create `{name}`)
 * - `GET|DELETE …/dispatch/namespaces/:ns` (deleting a namespace deletes its user Workers)
 * - `GET …/dispatch/namespaces/:ns/scripts` (the user Workers)
 * - `PUT|GET|DELETE …/dispatch/namespaces/:ns/scripts/:name`: the upload is the script upload's
 *   multipart form (the same metadata; `tags` allowed; `keep_bindings`; assets through the
 *   namespace's own upload session), always deployed to 100% at once: user Workers have no
 *   versions API and no gradual deployments, so `…/scripts/:name/versions` has no route (7000).
 * - `POST …/scripts/:name/assets-upload-session`, then the account's bucket upload as usual
 * - `GET|PUT …/scripts/:name/tags`, `PUT|DELETE …/scripts/:name/tags/:tag`
 * - `GET|PATCH …/scripts/:name/settings`, `GET|PUT …/scripts/:name/secrets`
 *
 * Codes: an unknown namespace is 100119 (404), a user Worker read that does not exist 10092 (404),
 * which is what `wrangler deploy --dispatch-namespace` takes for "not uploaded yet"; the other
 * sub-resources of a missing user Worker answer 10007 as a Worker's do.
 *
 * A user Worker lives in the shared {@link Store} under an account key of its own
 * ({@link dispatchAccount}): it is no Worker of the account, has no `/workers/<name>` URL and no
 * preview, and is reached only through a dispatcher's binding (see dispatcher.ts).
 */
import { randomUUID } from 'node:crypto'
import type { ApiContext, ApiRequest, Route } from './api.js'
import { checkAssetsJwt } from './assets.js'
import { addVersion, workerNotFound } from './create-version.js'
import { Code, fail, failOne, ok, pointer, type ApiReply } from './envelope.js'
import { kvClassesProblem, migrationProblem, migrationTags } from './migrations.js'
import { readMetadataForm } from './multipart.js'
import { scriptResult } from './script-upload.js'
import { validateBody } from './validate.js'
import { formToBody } from './wrangler-routes.js'
import type { StoredWorker, VersionBinding } from './types.js'

const DispatchCode = {
  /** `NamespaceNotFound` in Cloudflare's published error map for the Workers API. */
  namespaceNotFound: 100119,
  /** `workers.api.error.environment_not_found`: wrangler reads it as "no such user Worker yet". */
  userWorkerNotFound: 10092,
} as const

/** At most eight tags per user Worker, without `,` or `&` (Workers for Platforms limits page). */
const MAX_TAGS = 8
const TAG_FORBIDDEN = /[,&]/
const WORKER_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
const NAMESPACE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

export interface StoredNamespace {
  namespace_id: string
  namespace_name: string
  created_on: string
  modified_on: string
  trusted_workers: boolean
}

/** The namespaces of each account; their user Workers are in the Store under {@link dispatchAccount}. */
export class DispatchStore {
  #namespaces = new Map<string, StoredNamespace>() // `${account}\n${name}`

  list(account: string): StoredNamespace[] {
    const prefix = `${account}\n`
    return [...this.#namespaces].filter(([key]) => key.startsWith(prefix)).map(([, ns]) => ns)
  }

  get(account: string, name: string): StoredNamespace | undefined {
    return this.#namespaces.get(`${account}\n${name}`)
  }

  create(account: string, name: string): StoredNamespace {
    const now = new Date().toISOString()
    const ns: StoredNamespace = {
      namespace_id: randomUUID(),
      namespace_name: name,
      created_on: now,
      modified_on: now,
      trusted_workers: false,
    }
    this.#namespaces.set(`${account}\n${name}`, ns)
    return ns
  }

  delete(account: string, name: string): boolean {
    return this.#namespaces.delete(`${account}\n${name}`)
  }
}

/** The Store account key that holds a namespace's user Workers (no real account id has a `/`). */
export function dispatchAccount(account: string, namespace: string): string {
  return `${account}/dispatch/${namespace}`
}

export function isDispatchAccount(key: string): boolean {
  return key.includes('/dispatch/')
}

/** The script name a namespace's assets session and completion token are bound to. */
function assetsScript(namespace: string, name: string): string {
  return `dispatch/${namespace}/${name}`
}

const SEGMENT = '([^/]+)'
const NAMESPACES = `^/accounts/${SEGMENT}/workers/dispatch/namespaces`
const SCRIPT = `${NAMESPACES}/${SEGMENT}/scripts/${SEGMENT}`

export const DISPATCH_NAMESPACE_ROUTES: Route[] = [
  { method: 'GET', pattern: new RegExp(`${NAMESPACES}/?$`), handler: listNamespaces },
  { method: 'POST', pattern: new RegExp(`${NAMESPACES}/?$`), handler: createNamespace },
  { method: 'GET', pattern: new RegExp(`${NAMESPACES}/${SEGMENT}/?$`), handler: getNamespace },
  {
    method: 'DELETE',
    pattern: new RegExp(`${NAMESPACES}/${SEGMENT}/?$`),
    handler: deleteNamespace,
  },
  {
    method: 'GET',
    pattern: new RegExp(`${NAMESPACES}/${SEGMENT}/scripts/?$`),
    handler: inNamespace(listScripts),
  },
  {
    method: 'PUT',
    pattern: new RegExp(`${SCRIPT}/?$`),
    handler: inNamespace(putScript),
    rawBody: true,
  },
  { method: 'GET', pattern: new RegExp(`${SCRIPT}/?$`), handler: inNamespace(getScript) },
  { method: 'DELETE', pattern: new RegExp(`${SCRIPT}/?$`), handler: inNamespace(deleteScript) },
  {
    method: 'POST',
    pattern: new RegExp(`${SCRIPT}/assets-upload-session/?$`),
    handler: inNamespace(assetsSession),
  },
  { method: 'GET', pattern: new RegExp(`${SCRIPT}/tags/?$`), handler: inNamespace(getTags) },
  { method: 'PUT', pattern: new RegExp(`${SCRIPT}/tags/?$`), handler: inNamespace(putTags) },
  {
    method: 'PUT',
    pattern: new RegExp(`${SCRIPT}/tags/${SEGMENT}/?$`),
    handler: inNamespace(addTag),
  },
  {
    method: 'DELETE',
    pattern: new RegExp(`${SCRIPT}/tags/${SEGMENT}/?$`),
    handler: inNamespace(deleteTag),
  },
  {
    method: 'GET',
    pattern: new RegExp(`${SCRIPT}/settings/?$`),
    handler: inNamespace(getSettings),
  },
  {
    method: 'PATCH',
    pattern: new RegExp(`${SCRIPT}/settings/?$`),
    handler: inNamespace(patchSettings),
    rawBody: true,
  },
  {
    method: 'GET',
    pattern: new RegExp(`${SCRIPT}/secrets/?$`),
    handler: inNamespace(listSecrets),
  },
  {
    method: 'PUT',
    pattern: new RegExp(`${SCRIPT}/secrets/?$`),
    handler: inNamespace(putSecret),
  },
]

interface Scope {
  account: string
  namespace: string
  /** The Store account of the namespace's user Workers. */
  holder: string
  /** The path's remaining parameters (script name, tag). */
  rest: string[]
}

type ScopedHandler = (
  ctx: ApiContext,
  req: ApiRequest,
  scope: Scope,
) => ApiReply | Promise<ApiReply>

/** Every namespace sub-resource is refused first when its namespace does not exist. */
function inNamespace(handler: ScopedHandler) {
  return (ctx: ApiContext, req: ApiRequest, [account = '', namespace = '', ...rest]: string[]) =>
    ctx.store.dispatch.get(account, namespace)
      ? handler(ctx, req, { account, namespace, holder: dispatchAccount(account, namespace), rest })
      : namespaceNotFound(namespace)
}

function namespaceNotFound(namespace: string): ApiReply {
  return failOne(
    404,
    DispatchCode.namespaceNotFound,
    `Dispatch namespace '${namespace}' was not found on this account`,
  )
}

function userWorkerNotFound(): ApiReply {
  return failOne(404, DispatchCode.userWorkerNotFound, 'workers.api.error.environment_not_found')
}

function namespaceResult(ctx: ApiContext, account: string, ns: StoredNamespace) {
  return {
    ...ns,
    script_count: ctx.store.workers(dispatchAccount(account, ns.namespace_name)).length,
  }
}

function listNamespaces(ctx: ApiContext, _req: ApiRequest, [account = '']: string[]): ApiReply {
  return ok(ctx.store.dispatch.list(account).map((ns) => namespaceResult(ctx, account, ns)))
}

function createNamespace(ctx: ApiContext, req: ApiRequest, [account = '']: string[]): ApiReply {
  const name = (req.body as { name?: unknown } | undefined)?.name
  if (typeof name !== 'string' || !NAMESPACE_NAME.test(name))
    return failOne(
      400,
      Code.validation,
      'name must be lower-case letters, digits and dashes (at most 63)',
      '/name',
    )
  if (ctx.store.dispatch.get(account, name))
    return failOne(
      409,
      Code.validation,
      `A dispatch namespace named '${name}' already exists`,
      '/name',
    )
  return ok(namespaceResult(ctx, account, ctx.store.dispatch.create(account, name)))
}

function getNamespace(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', name = '']: string[],
): ApiReply {
  const ns = ctx.store.dispatch.get(account, name)
  return ns ? ok(namespaceResult(ctx, account, ns)) : namespaceNotFound(name)
}

function deleteNamespace(
  ctx: ApiContext,
  _req: ApiRequest,
  [account = '', name = '']: string[],
): ApiReply {
  if (!ctx.store.dispatch.get(account, name)) return namespaceNotFound(name)
  const holder = dispatchAccount(account, name)
  for (const worker of ctx.store.workers(holder)) ctx.store.deleteWorker(holder, worker.name)
  ctx.store.dispatch.delete(account, name)
  ctx.preview?.pin(ctx.store.deployedVersionIds())
  return ok(null)
}

function listScripts(ctx: ApiContext, _req: ApiRequest, scope: Scope): ApiReply {
  return ok(ctx.store.workers(scope.holder).map((w) => userWorkerResult(ctx, scope, w)))
}

/** A user Worker as `GET …/scripts/:name` shows it: the script, and when it was made. */
function userWorkerResult(ctx: ApiContext, scope: Scope, worker: StoredWorker) {
  const latest = ctx.store.versions(scope.holder, worker.name)[0]
  return {
    created_on: worker.created_on,
    modified_on: worker.updated_on,
    dispatch_namespace: scope.namespace,
    script: latest
      ? { ...scriptResult(worker, latest), tags: tagsOf(worker) }
      : { id: worker.name, tags: tagsOf(worker) },
  }
}

function tagsOf(worker: StoredWorker): string[] {
  const tags = worker.settings?.tags
  return Array.isArray(tags) ? (tags as string[]) : []
}

function setTags(worker: StoredWorker, tags: string[]): void {
  worker.settings = { ...worker.settings, tags }
}

/** The problem with a list of tags, or undefined: at most eight, each a non-empty string without `,` or `&`. */
function tagsProblem(tags: unknown, at: string): ApiReply | undefined {
  if (!Array.isArray(tags))
    return failOne(400, Code.validation, 'tags must be an array of strings', at)
  if (tags.length > MAX_TAGS)
    return failOne(
      400,
      Code.validation,
      `A user Worker has at most ${MAX_TAGS} tags (${tags.length} given)`,
      at,
    )
  for (const [i, tag] of tags.entries()) {
    const problem = tagProblem(tag)
    if (problem) return failOne(400, Code.validation, problem, `${at}/${i}`)
  }
  return undefined
}

function tagProblem(tag: unknown): string | undefined {
  if (typeof tag !== 'string' || tag === '') return 'Each tag must be a non-empty string'
  if (TAG_FORBIDDEN.test(tag)) return `Tag ${JSON.stringify(tag)} must not contain ',' or '&'`
  return undefined
}

async function putScript(ctx: ApiContext, req: ApiRequest, scope: Scope): Promise<ApiReply> {
  const [name = ''] = scope.rest
  const existing = ctx.store.worker(scope.holder, name)
  if (!existing && !WORKER_NAME.test(name))
    return failOne(
      400,
      Code.validation,
      'The script name must be lower-case letters, digits and dashes (at most 63)',
    )
  const parsed = await formToBody(ctx, req, scope.holder, name)
  if ('problem' in parsed) return failOne(400, Code.validation, parsed.problem)
  const { tags, ...fields } = parsed.body
  if (tags !== undefined) {
    const problem = tagsProblem(tags, '/tags')
    if (problem) return problem
  }
  const { errors, body } = validateBody(fields)
  if (!body) return fail(400, errors)
  const migrationRefusal = migrationProblem(body.migrations, existing?.migration_tag)
  if (migrationRefusal) return migrationRefusal
  const kvProblem = ctx.newAccount ? kvClassesProblem(body.migrations) : undefined
  if (kvProblem) return kvProblem
  const assets = checkAssetsJwt(
    ctx.assets,
    scope.account,
    assetsScript(scope.namespace, name),
    body,
  )
  if (typeof assets === 'string') return failOne(400, Code.validation, assets, '/assets/jwt')

  const added = await addVersion(
    ctx,
    { accountId: scope.holder, worker: name, deploy: true, body },
    body,
  )
  if ('reply' in added) return added.reply
  if (assets) added.stored.assetsManifest = assets
  const newTag = migrationTags(body.migrations)?.new_tag
  if (newTag !== undefined) ctx.store.setMigrationTag(scope.holder, name, newTag)
  const worker = ctx.store.worker(scope.holder, name)
  if (!worker)
    return failOne(500, Code.emulatorFailure, 'The user Worker vanished while it was uploaded')
  if (tags !== undefined) setTags(worker, tags as string[])
  return ok({ ...scriptResult(worker, added.stored), tags: tagsOf(worker) })
}

function getScript(ctx: ApiContext, _req: ApiRequest, scope: Scope): ApiReply {
  const worker = ctx.store.worker(scope.holder, scope.rest[0] ?? '')
  return worker ? ok(userWorkerResult(ctx, scope, worker)) : userWorkerNotFound()
}

function deleteScript(ctx: ApiContext, _req: ApiRequest, scope: Scope): ApiReply {
  const name = scope.rest[0] ?? ''
  if (!ctx.store.worker(scope.holder, name)) return userWorkerNotFound()
  ctx.store.deleteWorker(scope.holder, name)
  ctx.preview?.pin(ctx.store.deployedVersionIds())
  return ok(null)
}

function assetsSession(ctx: ApiContext, req: ApiRequest, scope: Scope): ApiReply {
  const name = scope.rest[0] ?? ''
  if (!ctx.assets) return failOne(404, Code.noRoute, 'No route for that URI')
  return ctx.assets.session(ctx, req, [scope.account, assetsScript(scope.namespace, name)])
}

function withWorker(
  ctx: ApiContext,
  scope: Scope,
  then: (worker: StoredWorker) => ApiReply | Promise<ApiReply>,
): ApiReply | Promise<ApiReply> {
  const worker = ctx.store.worker(scope.holder, scope.rest[0] ?? '')
  return worker ? then(worker) : workerNotFound()
}

function getTags(ctx: ApiContext, _req: ApiRequest, scope: Scope) {
  return withWorker(ctx, scope, (worker) => ok(tagsOf(worker)))
}

function putTags(ctx: ApiContext, req: ApiRequest, scope: Scope) {
  return withWorker(ctx, scope, (worker) => {
    const problem = tagsProblem(req.body, '')
    if (problem) return problem
    setTags(worker, [...new Set(req.body as string[])])
    return ok(tagsOf(worker))
  })
}

function addTag(ctx: ApiContext, _req: ApiRequest, scope: Scope) {
  return withWorker(ctx, scope, (worker) => {
    const tag = scope.rest[1] ?? ''
    const next = [...new Set([...tagsOf(worker), tag])]
    const problem = tagsProblem(next, '')
    if (problem) return problem
    setTags(worker, next)
    return ok(null)
  })
}

function deleteTag(ctx: ApiContext, _req: ApiRequest, scope: Scope) {
  return withWorker(ctx, scope, (worker) => {
    setTags(
      worker,
      tagsOf(worker).filter((t) => t !== scope.rest[1]),
    )
    return ok(null)
  })
}

/** A binding as the settings and secrets reads show it: a secret's value never leaves the API. */
function shownBinding(binding: VersionBinding): VersionBinding {
  if (binding.type !== 'secret_text') return binding
  const { text: _text, ...rest } = binding
  return rest as VersionBinding
}

function getSettings(ctx: ApiContext, _req: ApiRequest, scope: Scope) {
  return withWorker(ctx, scope, (worker) => {
    const latest = ctx.store.versions(scope.holder, worker.name)[0]
    return ok({
      bindings: (latest?.bindings ?? []).map(shownBinding),
      compatibility_date: latest?.compatibility_date,
      compatibility_flags: latest?.compatibility_flags ?? [],
      logpush: false,
      observability: { enabled: false },
      tail_consumers: null,
      usage_model: 'standard',
      ...worker.settings,
      tags: tagsOf(worker),
    })
  })
}

/** Settings the PATCH applies without a new version; a change of code or bindings goes through the upload. */
const PATCHABLE = new Set(['logpush', 'observability', 'tail_consumers', 'tags'])

function patchSettings(ctx: ApiContext, req: ApiRequest, scope: Scope) {
  return withWorker(ctx, scope, async (worker) => {
    const read = await readSettingsPart(req)
    if ('problem' in read) return failOne(400, Code.validation, read.problem)
    const unknown = Object.keys(read.settings).find((key) => !PATCHABLE.has(key))
    if (unknown !== undefined)
      return failOne(
        400,
        Code.validation,
        `The local emulator applies only ${[...PATCHABLE].join(', ')} through settings; upload the user Worker to change '${unknown}'`,
        pointer(unknown),
      )
    if (read.settings.tags !== undefined) {
      const problem = tagsProblem(read.settings.tags, '/tags')
      if (problem) return problem
    }
    worker.settings = { ...worker.settings, ...read.settings }
    return getSettings(ctx, req, scope)
  })
}

/** The PATCH body: a multipart form whose `settings` part is JSON. */
async function readSettingsPart(
  req: ApiRequest,
): Promise<{ settings: Record<string, unknown> } | { problem: string }> {
  const contentType = req.headers['content-type'] ?? ''
  if (!/^multipart\/form-data\b/i.test(contentType) || req.raw === undefined)
    return { problem: 'Expected a multipart/form-data body with a settings part' }
  // The settings part plays the metadata part's role: reuse that reader under the other name.
  const renamed = await readMetadataForm({ ...req, raw: req.raw }, 'settings')
  return 'problem' in renamed ? renamed : { settings: renamed.metadata }
}

function listSecrets(ctx: ApiContext, _req: ApiRequest, scope: Scope) {
  return withWorker(ctx, scope, (worker) => {
    const latest = ctx.store.versions(scope.holder, worker.name)[0]
    return ok(
      (latest?.bindings ?? [])
        .filter((b) => b.type === 'secret_text')
        .map((b) => ({ name: b.name, type: 'secret_text' })),
    )
  })
}

/** `{name, text, type: "secret_text"}`: a new version with the secret set, deployed at once. */
function putSecret(ctx: ApiContext, req: ApiRequest, scope: Scope) {
  return withWorker(ctx, scope, async (worker) => {
    const body = req.body as { name?: unknown; text?: unknown; type?: unknown } | undefined
    if (typeof body?.name !== 'string' || !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(body.name))
      return failOne(400, Code.validation, 'name must be a valid JavaScript identifier', '/name')
    if (typeof body.text !== 'string')
      return failOne(400, Code.validation, 'text must be a string', '/text')
    if (body.type !== 'secret_text')
      return failOne(400, Code.validation, "type must be 'secret_text'", '/type')
    const latest = ctx.store.versions(scope.holder, worker.name)[0]
    if (!latest) return workerNotFound()
    const secret: VersionBinding = { type: 'secret_text', name: body.name, text: body.text }
    const next = {
      ...latest.request,
      bindings: [...latest.bindings.filter((b) => b.name !== body.name), secret],
    }
    const { errors, body: valid } = validateBody(next)
    if (!valid) return fail(400, errors)
    const added = await addVersion(
      ctx,
      { accountId: scope.holder, worker: worker.name, deploy: true, body: valid },
      valid,
    )
    if ('reply' in added) return added.reply
    if (latest.assetsManifest) added.stored.assetsManifest = latest.assetsManifest
    return ok({ name: body.name, type: 'secret_text' })
  })
}
