import { checkEnvVarLimits } from './env-var-limits.js'
import { Problems } from './issues.js'
import { utf8Bytes, versionConfigSchema, type VersionConfig } from './version-schema.js'
import { isRecord } from '../core/guards.js'

/** Options of {@link validateVersionConfig}. */
export interface ValidateOptions {
  /** "Today" for the `compatibility_date` check (tests pin it); defaults to the current time. */
  now?: Date
  /** Root of the paths in messages; defaults to `version`. */
  path?: string
}

/** The limit of `workers/message` in UTF-8 bytes (the API truncates beyond it). */
export const MESSAGE_LIMIT = 1000

/**
 * Validates the `version` option against the Create Version body and returns it
 * unchanged (the same object) apart from documented normalisations: an
 * over-long `workers/message` is truncated, in a copy. Throws one `WorkersVersionError`
 * (`INVALID_OPTIONS`) listing every problem with its path.
 */
export function validateVersionConfig(
  input: unknown,
  opts: ValidateOptions = {},
): { config: VersionConfig; warnings: string[] } {
  const root = opts.path ?? 'version'
  const problems = new Problems(root)
  // Before the schema, which takes seconds over millions of bindings: refused at once.
  try {
    if (isRecord(input)) checkEnvVarLimits(input.bindings, problems)
  } catch {
    // A getter that throws: the schema below reports what cannot be read.
  }
  problems.throwIfAny(`Invalid \`${root}\` options`)
  problems.parse(versionConfigSchema(opts.now ?? new Date()), input)
  problems.throwIfAny(`Invalid \`${root}\` options`)
  return {
    config: normalise(input as Record<string, unknown>, problems) as VersionConfig,
    warnings: problems.warnings,
  }
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
  problems.warn(
    ['annotations', 'workers/message'],
    `is ${utf8Bytes(message)} bytes; truncated to ${utf8Bytes(truncated)} (limit ${MESSAGE_LIMIT})`,
  )
  return copyOf(input, { annotations: copyOf(annotations, { 'workers/message': truncated }) })
}
