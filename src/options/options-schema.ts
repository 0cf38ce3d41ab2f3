import * as v from 'valibot'
import { WorkersVersionError } from '../core/errors.js'
import { isRecord } from '../core/guards.js'
import { didYouMean, strictObject } from './fields.js'
import { describe, Problems } from './issues.js'
import { isStrictKey, STRICT_KEY_FORMS } from './strict.js'

// The shape of every top-level option of `workersVersion()`, checked before the
// bundler does any work. A misspelt option (`sourcemap`) is an error naming the
// option it most likely meant, else listing the known ones. The `version` option is only checked to be an object here:
// `validateVersionConfig` checks its contents once the wrangler config is merged in.

const nonEmptyString = (value: unknown) => typeof value === 'string' && value.trim() !== ''
const Str = v.custom<string>(
  nonEmptyString,
  (issue) => `expected a non-empty string, got ${describe(issue.input)}`,
)
const Bool = v.boolean((issue) => `expected true or false, got ${describe(issue.input)}`)
const BoolOrStr = v.union(
  [Bool, Str],
  (issue) =>
    `expected true or false, got ${describe(issue.input)} or expected a non-empty string, got ${describe(issue.input)}`,
)
const Obj = v.custom<Record<string, unknown>>(
  isRecord,
  (issue) => `expected an object, got ${describe(issue.input)}`,
)
/** An unknown key's message: the closest known key when one is near, else every known one. */
const notAnOption =
  (what = 'is not an option') =>
  (_key: string, closest: string | undefined, known: readonly string[]) =>
    closest === undefined ? `${what} (known: ${known.join(', ')})` : `${what}${didYouMean(closest)}`

/** A whole number of at least `min`: `positive` (1) or `non-negative` (0). */
const whole = (min: 0 | 1) =>
  v.custom<number>(
    (n) => typeof n === 'number' && Number.isInteger(n) && n >= min,
    (issue) =>
      `expected a ${min === 1 ? 'positive' : 'non-negative'} whole number, got ${describe(issue.input)}`,
  )

/** An object with the given fields; any other key is an error naming the one it most likely meant. */
function fields<const E extends v.ObjectEntries>(entries: E) {
  return v.pipe(Obj, strictObject(entries, notAnOption()))
}

const RULE_FIELDS = {
  test: 'expected a glob, a RegExp, or an array of them',
  type: 'expected a content type string, or false to leave the files out',
}
const Rule = v.pipe(
  v.custom<Record<string, unknown>>(isRecord, 'expected { test, type }'),
  v.looseObject(
    {
      test: v.custom<string | RegExp | Array<string | RegExp>>((test) => {
        const tests = Array.isArray(test) ? test : [test]
        return tests.length > 0 && tests.every((t) => typeof t === 'string' || t instanceof RegExp)
      }, RULE_FIELDS.test),
      type: v.custom<string | false>(
        (type) => type === false || nonEmptyString(type),
        RULE_FIELDS.type,
      ),
    },
    // A missing field gets the message of a wrong one.
    (issue) => RULE_FIELDS[issue.path?.[0]?.key as keyof typeof RULE_FIELDS],
  ),
)

const SecretNames = v.custom<string[]>(
  (names) => Array.isArray(names) && names.every((n) => typeof n === 'string'),
  'expected an array of secret names',
)

const AssetsOptions = fields({
  directory: v.optional(Str),
  binding: v.optional(Str),
  maxFiles: v.optional(whole(1)),
  concurrency: v.optional(whole(1)),
  allowDotfiles: v.optional(
    v.custom<string[]>(
      (names) => Array.isArray(names) && names.every((n) => typeof n === 'string' && n !== ''),
      'expected an array of file names or patterns',
    ),
  ),
})

const OPTIONS = {
  worker: v.optional(Str),
  accountId: v.optional(Str),
  version: v.optional(Obj),
  secrets: v.optional(
    fields({ inherit: v.optional(SecretNames), fromEnv: v.optional(SecretNames) }),
  ),
  wrangler: v.optional(BoolOrStr),
  env: v.optional(Str),
  types: v.optional(BoolOrStr),
  mainModule: v.optional(Str),
  sourcemaps: v.optional(Bool),
  rules: v.optional(v.array(Rule, (issue) => `expected an array, got ${describe(issue.input)}`)),
  outputDir: v.optional(Str),
  upload: v.optional(Bool),
  uploadMode: v.optional(Str),
  environment: v.optional(Str),
  root: v.optional(Str),
  apiToken: v.optional(Str),
  apiKey: v.optional(Str),
  email: v.optional(Str),
  apiBaseUrl: v.optional(Str),
  onVersion: v.optional(v.function((issue) => `expected a function, got ${describe(issue.input)}`)),
  network: v.optional(
    fields({
      timeouts: v.optional(
        fields({
          connectMs: v.optional(whole(0)),
          headersMs: v.optional(whole(0)),
          bodyMs: v.optional(whole(0)),
          deadlineMs: v.optional(whole(0)),
        }),
      ),
      retries: v.optional(
        fields({
          attempts: v.optional(whole(1)),
          baseDelayMs: v.optional(whole(0)),
          maxDelayMs: v.optional(whole(0)),
        }),
      ),
    }),
  ),
  logLevel: v.optional(
    v.picklist(
      ['info', 'warn', 'silent'],
      (issue) => `expected 'info', 'warn' or 'silent', got ${describe(issue.input)}`,
    ),
  ),
  promote: v.optional(
    v.custom<boolean | number | Record<string, unknown>>(
      (p) =>
        typeof p === 'boolean' ||
        (typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 100) ||
        // A gated rollout: its fields are checked one by one (options/rollout.ts).
        isRecord(p),
      (issue) =>
        `expected true, false, a whole percentage from 1 to 100 or a gated rollout { steps, interval, … }, got ${describe(issue.input)}`,
    ),
  ),
  preflight: v.optional(Bool),
  preview: v.optional(
    v.custom<boolean | string>(
      (x) => typeof x === 'boolean' || nonEmptyString(x),
      (issue) => `expected true, false, 'auto' or a Preview name, got ${describe(issue.input)}`,
    ),
  ),
  productionBranch: v.optional(Str),
  previewForks: v.optional(Bool),
  createWorker: v.optional(Bool),
  strict: v.optional(
    v.union(
      [
        Bool,
        fields({
          allow: v.optional(
            v.custom<string[]>(
              (keys) => Array.isArray(keys) && keys.every(isStrictKey),
              (issue) =>
                `expected an array of acknowledged changes, each ${STRICT_KEY_FORMS}, got ${describe(issue.input)}`,
            ),
          ),
        }),
      ],
      (issue) => `expected true, false or { allow: [...] }, got ${describe(issue.input)}`,
    ),
  ),
  diff: v.optional(Bool),
  gitAnnotations: v.optional(Bool),
  buildOutput: v.optional(
    v.custom<boolean | 'v0' | 'v1'>(
      (x) => typeof x === 'boolean' || x === 'v0' || x === 'v1',
      (issue) => `expected true, false, 'v0' or 'v1', got ${describe(issue.input)}`,
    ),
  ),
  dispatchNamespace: v.optional(Str),
  tags: v.optional(
    v.custom<string[]>(
      (tags) => Array.isArray(tags) && tags.every((t) => typeof t === 'string'),
      (issue) => `expected an array of tag strings, got ${describe(issue.input)}`,
    ),
  ),
  assets: v.optional(
    v.lazy((input) =>
      input === false
        ? v.literal(false)
        : v.pipe(
            v.custom(
              (x) => isRecord(x),
              (issue) => `expected an object or false, got ${describe(issue.input)}`,
            ),
            AssetsOptions,
          ),
    ),
  ),
  images: v.optional(
    fields({
      urlTransformations: fields({
        enabled: Bool,
        allowedOrigins: v.optional(
          v.custom<string[]>(
            (x) => Array.isArray(x) && x.every(nonEmptyString),
            'expected an array of origins (host names, or "*" for any)',
          ),
        ),
      }),
    }),
  ),
} satisfies v.ObjectEntries

/** Every top-level option of `workersVersion()` and the shape of its value; any other key is an error. */
const OptionsSchema = strictObject(OPTIONS, notAnOption('is not an option of workersVersion()'))

/**
 * Checks the shape of the options passed to `workersVersion()`. Throws one
 * `WorkersVersionError('INVALID_OPTIONS')` listing every problem with its option.
 */
export function parseOptions(input: unknown): void {
  if (!isRecord(input)) {
    throw new WorkersVersionError(
      'INVALID_OPTIONS',
      `workersVersion() takes an options object, got ${describe(input)}.`,
    )
  }
  const problems = new Problems('')
  problems.parse(OptionsSchema, input)
  problems.throwIfAny('Invalid workersVersion() options')
}
