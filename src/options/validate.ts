import { WorkersVersionError } from '../core/errors.js'
import { describe, Problems } from './issues.js'
import { checkBindings, checkMigrations, checkPlacement, parseInto } from './parts.js'
import { utf8Bytes, VersionConfigSchema, type VersionConfig } from './schema.js'
import { isRecord } from '../core/guards.js'

/** Options of {@link validateVersionConfig}. */
export interface ValidateOptions {
  /** "Today" for the `compatibility_date` check (tests pin it); defaults to the current time. */
  now?: Date
  /** Root of the paths in messages; defaults to `version`. */
  path?: string
}

const MESSAGE_LIMIT = 1000
const COMPUTED = new Set(['main_module', 'modules'])
const DISPATCHED: Record<string, (problems: Problems, value: unknown) => void> = {
  bindings: checkBindings,
  migrations: checkMigrations,
  placement: checkPlacement,
}

/**
 * Validates the `version` option against the Create Version body and returns it
 * unchanged (the same object) apart from documented normalisations: an
 * over-long `workers/message` is truncated, in a copy. Throws one `WorkersVersionError`
 * (`INVALID_OPTIONS`) listing every problem with its path.
 */
export function validateVersionConfig(input: unknown, opts: ValidateOptions = {}): { config: VersionConfig; warnings: string[] } {
  const root = opts.path ?? 'version'
  const problems = new Problems(root)
  let config: VersionConfig | undefined
  try {
    config = check(input, problems, opts.now ?? new Date())
  } catch (error) {
    if (error instanceof WorkersVersionError) throw error
    // A getter that throws, a revoked proxy…: report, never crash.
    problems.error([], `could not be read (${error instanceof Error ? error.message : String(error)})`)
  }
  problems.throwIfAny(`Invalid \`${root}\` options`)
  return { config: config!, warnings: problems.warnings }
}

function check(input: unknown, problems: Problems, now: Date): VersionConfig | undefined {
  if (!isPlainObject(input)) {
    problems.error([], `expected an object, got ${describe(input)}`)
    return undefined
  }
  const entries: Record<string, any> = VersionConfigSchema.entries
  for (const key of Object.keys(input)) {
    const value = input[key]
    if (COMPUTED.has(key)) problems.error([key], 'is computed from the build; remove it from the `version` option')
    else if (value === undefined) continue
    else if (Object.hasOwn(DISPATCHED, key)) DISPATCHED[key]!(problems, value)
    else if (Object.hasOwn(entries, key)) parseInto(problems, [key], entries[key], value)
    else problems.warn([key], 'not a Create Version field the plugin knows; sent as is')
  }
  if (input.usage_model !== undefined) problems.warn(['usage_model'], 'is deprecated and has no effect; remove it')
  checkCompatibilityDate(problems, input.compatibility_date, now)
  checkExclusive(problems, input)
  checkContainers(problems, input)
  return normalise(input, problems) as VersionConfig
}

function checkCompatibilityDate(problems: Problems, date: unknown, now: Date): void {
  if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return
  const today = now.toISOString().slice(0, 10)
  if (date > today) problems.error(['compatibility_date'], `is after today (${today} in UTC)`)
}

function checkExclusive(problems: Problems, input: Record<string, unknown>): void {
  if (input.exports !== undefined && input.migrations !== undefined) {
    problems.error(['exports'], 'cannot be set together with `migrations`')
  }
}

/** Durable Object classes of this Worker: bound without `script_name`, or created by these migrations. */
function localClasses(input: Record<string, unknown>): Set<string> {
  const classes = new Set<string>()
  const add = (value: unknown) => {
    if (typeof value === 'string') classes.add(value)
  }
  if (Array.isArray(input.bindings)) {
    for (const b of input.bindings) {
      if (isRecord(b) && b.type === 'durable_object_namespace' && b.script_name === undefined) add(b.class_name)
    }
  }
  const m = input.migrations
  const steps = isRecord(m) ? (Array.isArray(m.steps) ? m.steps : [m]) : []
  for (const step of steps) {
    if (!isRecord(step)) continue
    for (const list of [step.new_classes, step.new_sqlite_classes]) if (Array.isArray(list)) list.forEach(add)
    for (const list of [step.renamed_classes, step.transferred_classes]) {
      if (Array.isArray(list)) list.forEach((item) => isRecord(item) && add(item.to))
    }
  }
  return classes
}

function checkContainers(problems: Problems, input: Record<string, unknown>): void {
  if (!Array.isArray(input.containers)) return
  const classes = localClasses(input)
  input.containers.forEach((container, index) => {
    const name = isRecord(container) ? container.class_name : undefined
    if (typeof name === 'string' && name !== '' && !classes.has(name)) {
      problems.error(
        ['containers', index, 'class_name'],
        `${describe(name)} is not a Durable Object class of this Worker (bind it with a durable_object_namespace binding without script_name, or create it in migrations)`,
      )
    }
  })
}

/** Truncates `text` to at most `limit` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, limit: number): string {
  let bytes = 0
  let end = 0
  for (const char of text) {
    bytes += utf8Bytes(char)
    if (bytes > limit) break
    end += char.length
  }
  return text.slice(0, end)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isRecord(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** A copy with the same prototype (spread copies own `__proto__` keys as data, never as prototypes). */
function copyOf<T extends object>(value: T, changes: Partial<T>): T {
  return Object.setPrototypeOf({ ...value, ...changes }, Object.getPrototypeOf(value))
}

/** The input itself, or a copy when a documented normalisation applies. */
function normalise(input: Record<string, unknown>, problems: Problems): Record<string, unknown> {
  const annotations = input.annotations
  if (!isRecord(annotations)) return input
  const message = annotations['workers/message']
  if (typeof message !== 'string' || utf8Bytes(message) <= MESSAGE_LIMIT) return input
  const truncated = truncateUtf8(message, MESSAGE_LIMIT)
  problems.warn(['annotations', 'workers/message'], `is ${utf8Bytes(message)} bytes; truncated to ${utf8Bytes(truncated)} (limit ${MESSAGE_LIMIT})`)
  return copyOf(input, { annotations: copyOf(annotations, { 'workers/message': truncated }) })
}
