/**
 * Static checks of a Create Version body, modelled on the real API: every problem becomes its
 * own 10021 error whose `source.pointer` points into the body, so clients can show all of them.
 */
import { apiError, Code, pointer, type ApiError } from './envelope.js'
import { isEsModuleType, isKnownContentType } from '../workerd/content-types.js'
import type { VersionBinding, VersionModule } from './types.js'
import { dispatchBindingProblems } from './dispatch-binding.js'

/** A body that passed validation. */
export interface ValidBody extends Record<string, unknown> {
  /** Absent for an assets-only Worker (`assets` and nothing to run). */
  main_module?: string
  /** Absent from an assets-only Worker without `_headers`/`_redirects`. */
  modules?: VersionModule[]
  compatibility_date?: string
  compatibility_flags?: string[]
  bindings?: VersionBinding[]
  annotations?: Record<string, string>
}

/** Fields a binding kind cannot do without; a list means "any one of these" (first is reported). */
const REQUIRED_BINDING_FIELDS: Readonly<Record<string, readonly string[]>> = {
  plain_text: ['text'],
  secret_text: ['text'],
  json: ['json'],
  kv_namespace: ['namespace_id'],
  r2_bucket: ['bucket_name'],
  d1: ['database_id', 'id'],
  service: ['service'],
  queue: ['queue_name'],
  durable_object_namespace: ['class_name', 'namespace_id'],
}

/** Fields that must be strings when present (`json` may be any JSON value). */
const STRING_FIELDS = new Set([
  'text',
  'namespace_id',
  'bucket_name',
  'database_id',
  'id',
  'service',
  'queue_name',
  'class_name',
])

const MAX_TAG_BYTES = 100
/** The platform's limit on a Worker's modules, uncompressed; whatever the request body limit allows. */
const MAX_WORKER_BYTES = 64 * 1024 * 1024
const JS_IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

export function validateBody(
  body: unknown,
  today = new Date(),
): { errors: ApiError[]; body?: ValidBody } {
  if (!isObject(body)) return { errors: [err('The request body must be a JSON object', '')] }
  const assetsOnly =
    body.main_module === undefined && isObject(body.assets) && typeof body.assets.jwt === 'string'
  const errors = [
    ...(assetsOnly ? checkAssetsOnly(body) : [...checkModules(body), ...checkMainModule(body)]),
    ...checkCompatibility(body, today),
    ...checkBindings(body.bindings),
    ...checkAnnotations(body.annotations),
  ]
  if (errors.length > 0) return { errors }
  return { errors, body: body as ValidBody }
}

/** Configuration files of the assets, the only modules an assets-only Worker may carry. */
const ASSETS_CONFIG_MODULES = new Set(['_headers', '_redirects'])

/**
 * A body without `main_module` but with `assets.jwt` is an assets-only Worker, as wrangler uploads one without `main`:
 * the assets' completion token, and no code. Bindings would have no code to read them (wrangler
 * refuses an assets binding there), and any module but `_headers`/`_redirects` is code no one runs.
 */
function checkAssetsOnly(body: Record<string, unknown>): ApiError[] {
  const errors: ApiError[] = []
  if (Array.isArray(body.bindings) && body.bindings.length > 0)
    errors.push(err('An assets-only version (no main_module) cannot have bindings', '/bindings'))
  if (body.modules === undefined) return errors
  errors.push(...checkModules(body))
  if (!Array.isArray(body.modules)) return errors
  body.modules.forEach((module: unknown, i) => {
    if (!isObject(module)) return
    if (!ASSETS_CONFIG_MODULES.has(String(module.name)) || module.content_type !== 'text/plain') {
      errors.push(
        err(
          `An assets-only version (no main_module) has no code: only _headers and _redirects (text/plain) may be modules, not '${String(module.name)}'`,
          pointer('modules', i),
        ),
      )
    }
  })
  return errors
}

function err(message: string, at: string): ApiError {
  return apiError(Code.validation, message, at)
}

function checkModules(body: Record<string, unknown>): ApiError[] {
  const modules = body.modules
  if (!Array.isArray(modules))
    return [err('modules must be an array of {name, content_type, content_base64}', '/modules')]
  const errors: ApiError[] = []
  const seen = new Set<string>()
  let bytes = 0
  modules.forEach((module: unknown, i) => {
    if (!isObject(module)) {
      errors.push(err('Each module must be an object', pointer('modules', i)))
      return
    }
    const { name, content_type: type, content_base64: content } = module
    if (typeof name !== 'string')
      errors.push(err('Module name must be a string', pointer('modules', i, 'name')))
    else {
      const problem = moduleNameProblem(name)
      if (problem)
        errors.push(err(`Invalid module name '${name}': ${problem}`, pointer('modules', i, 'name')))
      else if (seen.has(name))
        errors.push(err(`Duplicate module name '${name}'`, pointer('modules', i, 'name')))
      seen.add(name)
    }
    if (typeof type !== 'string' || !isKnownContentType(type)) {
      errors.push(
        err(
          `Unsupported content_type ${JSON.stringify(type)}`,
          pointer('modules', i, 'content_type'),
        ),
      )
    }
    if (typeof content !== 'string' || !isCanonicalBase64(content)) {
      errors.push(
        err('content_base64 must be canonical base64', pointer('modules', i, 'content_base64')),
      )
    } else bytes += Buffer.byteLength(content, 'base64')
  })
  if (bytes > MAX_WORKER_BYTES)
    errors.push(
      apiError(
        Code.tooLarge,
        `Script too large: the modules are ${bytes} bytes, over the ${MAX_WORKER_BYTES}-byte (64 MiB) limit`,
        '/modules',
      ),
    )
  return errors
}

/** Names form a virtual tree rooted at the main module's directory: relative, normalised POSIX paths. */
function moduleNameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty'
  if (name.startsWith('/')) return 'must be relative (no leading /)'
  if (name.includes('\\')) return 'must use / as separator'
  const segments = name.split('/')
  if (segments.includes('..')) return 'must not contain .. segments'
  if (segments.includes('.')) return 'must not contain . segments (no leading ./)'
  if (segments.includes('')) return 'must not contain empty segments'
  return undefined
}

/** Canonical: decoding and re-encoding gives the same text (Node's decoder silently skips junk). */
function isCanonicalBase64(text: string): boolean {
  return Buffer.from(text, 'base64').toString('base64') === text
}

function checkMainModule(body: Record<string, unknown>): ApiError[] {
  const main = body.main_module
  if (typeof main !== 'string' || main === '') {
    return [
      err(
        'main_module is required and must be a string (an assets-only version, with assets.jwt, has none)',
        '/main_module',
      ),
    ]
  }
  if (!Array.isArray(body.modules)) return []
  const module = (body.modules as unknown[]).find((m) => isObject(m) && m.name === main)
  if (!isObject(module))
    return [err(`main_module '${main}' does not name a module in modules`, '/main_module')]
  if (typeof module.content_type !== 'string' || !isEsModuleType(module.content_type)) {
    return [
      err(
        `main_module '${main}' must be an ES module (application/javascript+module)`,
        '/main_module',
      ),
    ]
  }
  return []
}

function checkCompatibility(body: Record<string, unknown>, today: Date): ApiError[] {
  const errors: ApiError[] = []
  const date = body.compatibility_date
  if (date !== undefined) {
    if (typeof date !== 'string' || !isCalendarDate(date)) {
      errors.push(
        err('compatibility_date must be a date in the form YYYY-MM-DD', '/compatibility_date'),
      )
    } else if (date > today.toISOString().slice(0, 10)) {
      errors.push(err(`compatibility_date ${date} is in the future (UTC)`, '/compatibility_date'))
    }
  }
  const flags = body.compatibility_flags
  if (flags !== undefined) {
    if (!Array.isArray(flags))
      errors.push(err('compatibility_flags must be an array of strings', '/compatibility_flags'))
    else
      flags.forEach((flag: unknown, i) => {
        if (typeof flag !== 'string')
          errors.push(
            err('Each compatibility flag must be a string', pointer('compatibility_flags', i)),
          )
      })
  }
  return errors
}

function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false
  const parsed = new Date(`${text}T00:00:00Z`)
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(text)
}

function checkBindings(bindings: unknown): ApiError[] {
  if (bindings === undefined) return []
  if (!Array.isArray(bindings)) return [err('bindings must be an array', '/bindings')]
  const errors: ApiError[] = []
  const seen = new Set<string>()
  bindings.forEach((binding: unknown, i) => {
    if (!isObject(binding)) {
      errors.push(err('Each binding must be an object', pointer('bindings', i)))
      return
    }
    const { name, type } = binding
    if (typeof name !== 'string' || !JS_IDENTIFIER.test(name)) {
      errors.push(
        err('Binding name must be a valid JavaScript identifier', pointer('bindings', i, 'name')),
      )
    } else if (seen.has(name)) {
      errors.push(err(`Duplicate binding name '${name}'`, pointer('bindings', i, 'name')))
    }
    if (typeof name === 'string') seen.add(name)
    if (typeof type !== 'string' || type === '') {
      errors.push(err('Binding type must be a string', pointer('bindings', i, 'type')))
      return
    }
    errors.push(...checkBindingFields(binding, type, i))
  })
  return errors
}

function checkBindingFields(binding: Record<string, unknown>, type: string, i: number): ApiError[] {
  if (type === 'dispatch_namespace') return dispatchBindingProblems(binding, i)
  const errors: ApiError[] = []
  const required = REQUIRED_BINDING_FIELDS[type] ?? []
  const present = required.filter((field) => binding[field] !== undefined)
  if (required.length > 0 && present.length === 0) {
    const which =
      required.length === 1
        ? `'${required[0]}'`
        : `one of ${required.map((f) => `'${f}'`).join(', ')}`
    errors.push(
      err(
        `Binding '${String(binding.name)}' of type ${type} requires ${which}`,
        pointer('bindings', i, required[0] ?? ''),
      ),
    )
  }
  for (const field of present) {
    if (STRING_FIELDS.has(field) && typeof binding[field] !== 'string') {
      errors.push(err(`Binding field '${field}' must be a string`, pointer('bindings', i, field)))
    }
  }
  return errors
}

function checkAnnotations(annotations: unknown): ApiError[] {
  if (annotations === undefined) return []
  if (!isObject(annotations)) return [err('annotations must be an object', '/annotations')]
  const errors: ApiError[] = []
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value !== 'string')
      errors.push(err(`Annotation '${key}' must be a string`, pointer('annotations', key)))
  }
  if (annotations['workers/triggered_by'] !== undefined) {
    errors.push(
      err(
        "'workers/triggered_by' is set by the server and cannot be provided",
        pointer('annotations', 'workers/triggered_by'),
      ),
    )
  }
  const tag = annotations['workers/tag']
  if (typeof tag === 'string' && Buffer.byteLength(tag) > MAX_TAG_BYTES) {
    errors.push(
      err(
        `'workers/tag' must be at most ${MAX_TAG_BYTES} bytes`,
        pointer('annotations', 'workers/tag'),
      ),
    )
  }
  return errors
}
