import * as v from 'valibot'
import {
  MAX_NESTING,
  describeKeyPath,
  isRecord,
  nestsWithinLimit,
  pathBeyondNesting,
} from '../core/guards.js'
import { closestKey, pathItem, WARNING } from './issues.js'

// Small building blocks shared by the binding and version schemas.

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u

// Reserved words cannot be identifiers (`const { class } = env` is a syntax error).
const RESERVED = new Set(
  (
    'await break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with yield ' +
    'let static implements interface package private protected public'
  ).split(' '),
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
export const BindingName = v.pipe(
  v.string(),
  v.check(isIdentifier, 'must be a valid JavaScript identifier'),
)

/** A list of non-empty strings. */
export const StringList = v.array(NonEmpty)

/** A positive integer. */
export const PositiveInt = v.config(
  v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1, 'must be a positive integer')),
  FIRST_ISSUE,
)

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
  return deep
    ? `nests more than ${MAX_NESTING} levels deep (at ${describeKeyPath(deep)}); no Worker config needs that`
    : 'must be a JSON-serialisable value'
}

/** Any JSON-serialisable value. */
export const JsonValue = v.custom<unknown>(isJsonValue, (issue) => notJsonMessage(issue.input))

/** A plain JSON object whose fields are passed through unchanged. */
export const LooseObject = v.pipe(
  v.custom<Record<string, unknown>>(
    (input) => typeof input === 'object' && input !== null && !Array.isArray(input),
    (issue) =>
      `expected an object, got ${Array.isArray(issue.input) ? 'an array' : issue.input === null ? 'null' : typeof issue.input}`,
  ),
  v.check(
    (input: Record<string, unknown>) => isJsonValue(input),
    (issue) => notJsonMessage(issue.input),
  ),
)

/** A JSON array whose items are passed through unchanged. */
export const LooseArray = v.pipe(
  v.array(v.unknown()),
  v.check(
    (input: unknown[]) => isJsonValue(input),
    (issue) => notJsonMessage(issue.input),
  ),
)

export { WARNING } from './issues.js'

/** A check that always reports `message` as a warning. */
export function warning<T = unknown>(
  message: v.ErrorMessage<v.CheckIssue<T>>,
): v.CheckAction<T, v.ErrorMessage<v.CheckIssue<T>>> {
  return v.check<T, v.ErrorMessage<v.CheckIssue<T>>>(WARNING, message)
}

/**
 * An object schema whose unknown own keys are errors, each with its path and the known key it most
 * likely meant. Own keys are read from the input itself, so `constructor` and `__proto__` (which
 * valibot's object schemas skip) are refused like any other unknown key.
 */
export function strictObject<const E extends v.ObjectEntries>(
  entries: E,
  unknownKey: (key: string, closest: string | undefined, known: readonly string[]) => string,
  message?: v.ErrorMessage<v.ObjectWithRestIssue>,
): v.GenericSchema<Record<string, unknown>> {
  const known = Object.keys(entries)
  const schema = v.objectWithRest(entries, v.unknown(), message)
  const strict = v.lazy((input) => {
    if (!isRecord(input)) return schema
    // A key set to undefined is a key not set, as for the known ones.
    const unknown = Object.keys(input).filter(
      (key) => !Object.hasOwn(entries, key) && input[key] !== undefined,
    )
    if (unknown.length === 0) return schema
    return v.pipe(
      schema,
      v.rawCheck(({ addIssue }) => {
        for (const key of unknown)
          addIssue({
            message: unknownKey(key, closestKey(key, known), known),
            path: [pathItem(input, key)],
          })
      }),
    )
  })
  // Its entries stay visible, so a `variant` (the bindings, by `type`) still picks it by them.
  return Object.assign(strict, { entries: schema.entries }) as unknown as v.GenericSchema<
    Record<string, unknown>
  >
}

/** `; did you mean \`name\`?` when a known key is close to the unknown one. */
export function didYouMean(closest: string | undefined): string {
  return closest === undefined ? '' : `; did you mean \`${closest}\`?`
}

/**
 * An object schema whose unknown keys are errors naming the closest known key (`unknownKey` words
 * the error). Typed as a plain object so that the option types stay exact.
 */
export function record<const E extends v.ObjectEntries>(
  entries: E,
  unknownKey = 'unknown field',
  message?: v.ErrorMessage<v.ObjectIssue>,
): v.ObjectSchema<E, undefined> {
  const schema = strictObject(
    entries,
    (_key, closest) => `${unknownKey}${didYouMean(closest)}`,
    message as v.ErrorMessage<v.ObjectWithRestIssue>,
  )
  return schema as unknown as v.ObjectSchema<E, undefined>
}
