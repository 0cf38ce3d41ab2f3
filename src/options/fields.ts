import * as v from 'valibot'
import { MAX_NESTING, describeKeyPath, nestsWithinLimit, pathBeyondNesting } from '../core/guards.js'

// Small building blocks shared by the binding and version schemas.

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u

// Reserved words cannot be identifiers (`const { class } = env` is a syntax error).
const RESERVED = new Set(
  ('await break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with yield ' +
    'let static implements interface package private protected public').split(' '),
)

/** Whether `name` can be used as a JavaScript identifier (`env.NAME`, `const { NAME } = env`). */
export function isIdentifier(name: string): boolean {
  return name.length <= 1024 && IDENTIFIER.test(name) && !RESERVED.has(name)
}

/** Stops a pipe at its first issue: one message per field ("must be YYYY-MM-DD", not also "not a real date"). */
export const FIRST_ISSUE = { abortPipeEarly: true } as const

/** A non-empty string (ids, names, tags). */
export const NonEmpty = v.pipe(v.string(), v.minLength(1, 'must not be empty'))

/** A binding name: unique in the version and a valid JavaScript identifier. */
export const BindingName = v.pipe(v.string(), v.check(isIdentifier, 'must be a valid JavaScript identifier'))

/** A list of non-empty strings. */
export const StringList = v.array(NonEmpty)

/** A positive integer. */
export const PositiveInt = v.config(v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1, 'must be a positive integer')), FIRST_ISSUE)

/** Whether a value survives `JSON.stringify` (no functions, BigInt, cycles) and does not nest past `MAX_NESTING`. */
export function isJsonValue(value: unknown): boolean {
  try {
    return nestsWithinLimit(value) && JSON.stringify(value) !== undefined
  } catch {
    return false
  }
}

/** Why `value` is not JSON: nested too deep (saying where), or not serialisable. */
export function notJsonMessage(value: unknown): string {
  const deep = pathBeyondNesting(value)
  return deep ? `nests more than ${MAX_NESTING} levels deep (at ${describeKeyPath(deep)}); no Worker config needs that` : 'must be a JSON-serialisable value'
}

/** Any JSON-serialisable value. */
export const JsonValue = v.custom<unknown>(isJsonValue, (issue) => notJsonMessage(issue.input))

/** A plain JSON object whose fields are passed through unchanged. */
export const LooseObject = v.pipe(
  v.custom<Record<string, unknown>>(
    (input) => typeof input === 'object' && input !== null && !Array.isArray(input),
    (issue) => `expected an object, got ${Array.isArray(issue.input) ? 'an array' : issue.input === null ? 'null' : typeof issue.input}`,
  ),
  v.check((input: Record<string, unknown>) => isJsonValue(input), (issue) => notJsonMessage(issue.input)),
)

/** A JSON array whose items are passed through unchanged. */
export const LooseArray = v.pipe(
  v.array(v.unknown()),
  v.check((input: unknown[]) => isJsonValue(input), (issue) => notJsonMessage(issue.input)),
)

/** The requirement of every warning: it never holds, so valibot always reports it. */
export const WARNING = (_input: unknown): boolean => false

/** A check that always reports `message` as a warning. */
export function warning<T = unknown>(message: v.ErrorMessage<v.CheckIssue<T>>): v.CheckAction<T, v.ErrorMessage<v.CheckIssue<T>>> {
  return v.check<T, v.ErrorMessage<v.CheckIssue<T>>>(WARNING, message)
}

/**
 * An object schema whose unknown keys are kept and reported as warnings.
 * Typed as a plain object so that the option types stay exact (TypeScript flags
 * a misspelt field), while at run time an unknown field is passed through.
 */
export function record<const E extends v.ObjectEntries>(
  entries: E,
  unknownKey = 'unknown field; sent as is',
  message?: v.ErrorMessage<v.ObjectIssue>,
): v.ObjectSchema<E, undefined> {
  // Kept as is, so it must survive JSON.stringify like everything else in the body.
  const rest = v.pipe(v.unknown(), warning(unknownKey), v.check(isJsonValue, (issue) => notJsonMessage(issue.input)))
  const schema = v.objectWithRest(entries, rest, message as v.ErrorMessage<v.ObjectWithRestIssue>)
  return schema as unknown as v.ObjectSchema<E, undefined>
}
