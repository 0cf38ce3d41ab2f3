import * as v from 'valibot'
import type { Binding } from './bindings.js'
import { LooseArray, LooseObject, NonEmpty, PositiveInt, StringList, isJsonValue } from './fields.js'

// The `version` option: every field of the Create Version request body except
// `main_module` and `modules` (the plugin computes those from the build), spelled
// as the API spells them. `VersionConfig` is inferred from these schemas and
// `validateVersionConfig` (validate.ts) runs them, adding the checks that need
// the whole config or the clock.

export type { Binding, BindingOf, KnownBinding, KnownBindingType, UnknownBinding } from './bindings.js'

/** Size of a string in UTF-8 bytes. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/** Metadata about the version, shown in the dashboard and `wrangler versions list`. */
export const AnnotationsSchema = v.object({
  /** Human-readable description of the version. Over 1000 UTF-8 bytes it is truncated (with a warning). */
  'workers/message': v.optional(v.string()),
  /** A tag for the version, e.g. a release or commit; at most 100 UTF-8 bytes. */
  'workers/tag': v.optional(
    v.pipe(v.string(), v.check((tag) => utf8Bytes(tag) <= 100, (issue) => `must be at most 100 bytes (UTF-8), got ${utf8Bytes(issue.input)}`)),
  ),
  /** Set by the server (`upload`, `deploy`, …); setting it is an error. */
  'workers/triggered_by': v.optional(v.never('is set by the server and cannot be set in a request')),
})

const Rule = v.pipe(
  v.string(),
  v.maxLength(100, 'must be at most 100 characters'),
  v.regex(/^!?\//, 'must start with "/" or "!/"'),
)

/** Rules (globs) for requests that run the Worker before assets are served. */
export const RunWorkerFirstRules = v.pipe(
  v.array(Rule),
  v.minLength(1, 'needs at least 1 rule (or use a boolean)'),
  v.maxLength(100, 'must have at most 100 rules'),
  v.check((rules) => rules.some((rule) => !rule.startsWith('!')), 'needs at least one positive rule (not starting with "!")'),
  v.check(
    (rules) => new Set(rules).size === rules.length,
    (issue) => `has duplicate rules: ${JSON.stringify([...new Set(issue.input.filter((r, i) => issue.input.indexOf(r) !== i))].slice(0, 5))}`,
  ),
)

/** How static assets are served. */
export const AssetsConfigSchema = v.object({
  /** Redirects and rewrites for requests of HTML content. */
  html_handling: v.optional(v.picklist(['auto-trailing-slash', 'force-trailing-slash', 'drop-trailing-slash', 'none'])),
  /** Response when no asset matches and there is no Worker to run. */
  not_found_handling: v.optional(v.picklist(['none', '404-page', 'single-page-application'])),
  /** `true` runs the Worker before every asset; rules (`/api/*`, `!/api/docs`) choose the paths that do. */
  run_worker_first: v.optional(v.union([v.boolean(), RunWorkerFirstRules], 'expected a boolean or an array of rules')),
})

/** Static assets of the version. */
export const AssetsSchema = v.object({
  /** Completion token of the assets upload; the plugin fills it in when it uploads the assets directory. */
  jwt: v.optional(NonEmpty),
  /** How the assets are served. */
  config: v.optional(AssetsConfigSchema),
})

const RenamedClass = v.object({
  /** Current class name. */
  from: NonEmpty,
  /** New class name. */
  to: NonEmpty,
})
const TransferredClass = v.object({
  /** Class name in the other Worker. */
  from: NonEmpty,
  /** The Worker the namespace is transferred from. */
  from_script: NonEmpty,
  /** Class name in this Worker. */
  to: NonEmpty,
})
const stepEntries = {
  /** Classes to create Durable Object namespaces (key-value storage) for. */
  new_classes: v.optional(StringList),
  /** Classes to create SQLite-backed Durable Object namespaces for. */
  new_sqlite_classes: v.optional(StringList),
  /** Classes whose Durable Object namespaces (and data) are deleted. */
  deleted_classes: v.optional(StringList),
  /** Classes renamed, keeping their data. */
  renamed_classes: v.optional(v.array(RenamedClass)),
  /** Namespaces transferred from another Worker. */
  transferred_classes: v.optional(v.array(TransferredClass)),
}
const tagEntries = {
  /** Tag the Worker's current migration tag must equal, or the request is rejected. */
  old_tag: v.optional(NonEmpty),
  /** Tag the Worker gets once the migration is applied. */
  new_tag: v.optional(NonEmpty),
}

/** One migration step (no tags). */
export const MigrationStepSchema = v.object(stepEntries)
/** A single set of migrations. */
export const SingleStepMigrationSchema = v.object({ ...tagEntries, ...stepEntries })
/** Several migration steps applied in order. */
export const MultiStepMigrationsSchema = v.object({
  ...tagEntries,
  /** Steps, applied in order. */
  steps: v.array(MigrationStepSchema),
})
/** Durable Object migrations, applied when the version is deployed. */
export const MigrationsSchema = v.union([MultiStepMigrationsSchema, SingleStepMigrationSchema])

/** Smart Placement. */
export const SmartPlacementSchema = v.object({
  /** Enables Smart Placement. */
  mode: v.literal('smart'),
  /** A region hint for Smart Placement (wrangler sends it as given). */
  hint: v.optional(NonEmpty),
})
/** Placement near a target. */
export const TargetedPlacementSchema = v.pipe(
  v.object({
    /** Targeted placement. */
    mode: v.literal('targeted'),
    /** Cloud region to run near, e.g. `aws:us-east-1`. */
    region: v.optional(NonEmpty),
    /** Hostname to run near. */
    hostname: v.optional(NonEmpty),
    /** `host:port` to run near. */
    host: v.optional(NonEmpty),
  }),
  v.check((p) => p.region !== undefined || p.hostname !== undefined || p.host !== undefined, 'needs region, hostname or host'),
)
/** Run near a cloud region. */
export const RegionPlacementSchema = v.object({ /** Cloud region, e.g. `aws:us-east-1`. */ region: NonEmpty })
/** Run near a hostname. */
export const HostnamePlacementSchema = v.object({ /** Hostname to run near. */ hostname: NonEmpty })
/** Run near a `host:port`. */
export const HostPlacementSchema = v.object({ /** `host:port` to run near. */ host: NonEmpty })
/** Where the Worker runs. */
export const PlacementSchema = v.union([
  SmartPlacementSchema,
  TargetedPlacementSchema,
  RegionPlacementSchema,
  HostnamePlacementSchema,
  HostPlacementSchema,
])

/** Resource limits. */
export const LimitsSchema = v.object({
  /** CPU time limit per invocation, in milliseconds. */
  cpu_ms: v.optional(PositiveInt),
  /** Subrequest limit per invocation. */
  subrequests: v.optional(PositiveInt),
})

/** A container attached to a Durable Object class. */
export const ContainerSchema = v.object({
  /** Durable Object class of this Worker the container belongs to. */
  class_name: NonEmpty,
})

/** Compatibility date, `YYYY-MM-DD`; a real date not after today (UTC). */
export const CompatibilityDateSchema = v.pipe(
  v.string(),
  v.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD'),
  v.check(isCalendarDate, 'is not a real calendar date'),
)

/** Whether `YYYY-MM-DD` names a real day. */
export function isCalendarDate(date: string): boolean {
  const time = Date.parse(`${date}T00:00:00Z`)
  return Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === date
}

const Bindings = v.array(v.custom<Binding>((input) => typeof input === 'object' && input !== null && isJsonValue(input)))

/** The schema of the `version` option (checks needing the whole config live in validate.ts). */
export const VersionConfigSchema = v.object({
  /** Metadata about the version (`workers/message`, `workers/tag`). */
  annotations: v.optional(AnnotationsSchema),
  /** Static assets: the upload token and how they are served. */
  assets: v.optional(AssetsSchema),
  /** Bindings available on `env`. Names must be unique JavaScript identifiers; unknown kinds pass through with a warning. */
  bindings: v.optional(Bindings),
  /** Date of the runtime behaviour the Worker targets (`YYYY-MM-DD`, not after today in UTC). */
  compatibility_date: v.optional(CompatibilityDateSchema),
  /** Runtime feature flags, e.g. `nodejs_compat`; no duplicates. */
  compatibility_flags: v.optional(
    v.pipe(
      StringList,
      v.check((flags) => new Set(flags).size === flags.length, 'must not contain duplicates'),
    ),
  ),
  /** Containers attached to Durable Object classes of this Worker. */
  containers: v.optional(v.array(ContainerSchema)),
  /** Resource limits. */
  limits: v.optional(LimitsSchema),
  /** Durable Object migrations, single-step or `{ steps }`; not together with `exports`. */
  migrations: v.optional(MigrationsSchema),
  /** Where the Worker runs: Smart Placement or near a region/hostname/host. */
  placement: v.optional(PlacementSchema),
  /** @deprecated Usage models were retired; the field is accepted with a warning. */
  usage_model: v.optional(v.picklist(['standard', 'bundled', 'unbound'])),
  /** Declared exports of the Worker (newer API field, passed through); not together with `migrations`. */
  exports: v.optional(LooseObject),
  /** Cache settings (wrangler's `cache`), passed through. */
  cache_options: v.optional(LooseObject),
  /** Package dependencies (newer API field, passed through). */
  package_dependencies: v.optional(LooseArray),
})

/** The plugin's `version` option: the Create Version body without `main_module` and `modules`. */
export type VersionConfig = v.InferOutput<typeof VersionConfigSchema>
/** Durable Object migrations as the API takes them. */
export type Migrations = v.InferOutput<typeof MigrationsSchema>
/** Where the Worker runs. */
export type Placement = v.InferOutput<typeof PlacementSchema>
