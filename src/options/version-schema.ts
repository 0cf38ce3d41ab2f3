import * as v from 'valibot'
import { BindingSchema, type Binding } from './binding-kinds.js'
import { LooseArray, LooseObject, NonEmpty, PositiveInt, StringList } from './fields.js'
import { FIRST_ISSUE, record, warning } from './fields.js'
import { describe, pathItem } from './issues.js'
import { isRecord } from '../core/guards.js'
import type { WorkerModuleBody } from '../core/types.js'

// The `version` option: every field of the Create Version request body except
// `main_module` and `modules` (the plugin computes those from the build), spelled
// as the API spells them. `VersionConfig` is inferred from these schemas, and
// `validateVersionConfig` (validate.ts) runs `versionConfigSchema` as a whole.

export type { Binding } from './binding-kinds.js'

/** Size of a string in UTF-8 bytes. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/** A plain object (not an array, not a class instance), with a message in the options' wording. */
const PlainObject = v.custom<Record<string, unknown>>(
  (input) => isRecord(input) && [Object.prototype, null].includes(Object.getPrototypeOf(input)),
  (issue) => `expected an object, got ${describe(issue.input)}`,
)

/** Metadata about the version, shown in the dashboard and `wrangler versions list`. */
const AnnotationsSchema = record({
  /** Human-readable description of the version. Over 1000 UTF-8 bytes it is truncated (with a warning). */ 'workers/message':
    v.optional(v.string()),
  /** A tag for the version, e.g. a release or commit; at most 100 UTF-8 bytes. */
  'workers/tag': v.optional(
    v.pipe(
      v.string(),
      v.check(
        (tag) => utf8Bytes(tag) <= 100,
        (issue) => `must be at most 100 bytes (UTF-8), got ${utf8Bytes(issue.input)}`,
      ),
    ),
  ),
  /** Set by the server (`upload`, `deploy`, …); setting it is an error. */
  'workers/triggered_by': v.optional(
    v.never('is set by the server and cannot be set in a request'),
  ),
})

const Rule = v.config(
  v.pipe(
    v.string(),
    v.maxLength(100, 'must be at most 100 characters'),
    v.regex(/^!?\//, 'must start with "/" or "!/"'),
  ),
  FIRST_ISSUE,
)

/** Rules (globs) for requests that run the Worker before assets are served. */
const RunWorkerFirstRules = v.config(
  v.pipe(
    v.array(Rule),
    v.minLength(1, 'needs at least 1 rule (or use a boolean)'),
    v.maxLength(100, 'must have at most 100 rules'),
    v.check(
      (rules) => rules.some((rule) => !rule.startsWith('!')),
      'needs at least one positive rule (not starting with "!")',
    ),
    v.check(
      (rules) => new Set(rules).size === rules.length,
      (issue) =>
        `has duplicate rules: ${JSON.stringify([...new Set(issue.input.filter((r, i) => issue.input.indexOf(r) !== i))].slice(0, 5))}`,
    ),
  ),
  FIRST_ISSUE,
)

/** How static assets are served. */
const AssetsConfigSchema = record({
  /** Redirects and rewrites for requests of HTML content. */
  html_handling: v.optional(
    v.picklist(['auto-trailing-slash', 'force-trailing-slash', 'drop-trailing-slash', 'none']),
  ),
  /** Response when no asset matches and there is no Worker to run. */ not_found_handling:
    v.optional(v.picklist(['none', '404-page', 'single-page-application'])),
  /** `true` runs the Worker before every asset; rules (`/api/*`, `!/api/docs`) choose the paths that do. */
  run_worker_first: v.optional(
    v.union([v.boolean(), RunWorkerFirstRules], 'expected a boolean or an array of rules'),
  ),
})

/** Static assets of the version. */
const AssetsSchema = record({
  /** Completion token of the assets upload. Not set by hand: the plugin fills it in only when it uploads the assets directory itself. */ jwt: v.optional(
    NonEmpty,
  ),
  /** How the assets are served. */ config: v.optional(AssetsConfigSchema),
})

const RenamedClass = record({
  /** Current class name. */ from: NonEmpty,
  /** New class name. */ to: NonEmpty,
})
const TransferredClass = record({
  /** Class name in the other Worker. */ from: NonEmpty,
  /** The Worker the namespace is transferred from. */ from_script: NonEmpty,
  /** Class name in this Worker. */ to: NonEmpty,
})
const stepEntries = {
  /** Classes to create Durable Object namespaces (key-value storage) for. */ new_classes:
    v.optional(StringList),
  /** Classes to create SQLite-backed Durable Object namespaces for. */ new_sqlite_classes:
    v.optional(StringList),
  /** Classes whose Durable Object namespaces (and data) are deleted. */ deleted_classes:
    v.optional(StringList),
  /** Classes renamed, keeping their data. */ renamed_classes: v.optional(v.array(RenamedClass)),
  /** Namespaces transferred from another Worker. */ transferred_classes: v.optional(
    v.array(TransferredClass),
  ),
}
const tagEntries = {
  /** Tag the Worker's current migration tag must equal, or the request is rejected. */ old_tag:
    v.optional(NonEmpty),
  /** Tag the Worker gets once the migration is applied. */ new_tag: v.optional(NonEmpty),
}
const NotOnAStep = v.optional(v.never('tags belong on `migrations`, not on a step'))

/** One migration step (no tags). */
const MigrationStepSchema = record({ ...stepEntries, old_tag: NotOnAStep, new_tag: NotOnAStep })
/** A single set of migrations. */
const SingleStepMigrationSchema = record({ ...tagEntries, ...stepEntries })
/** Several migration steps applied in order. */
const MultiStepMigrationsSchema = record({
  ...tagEntries,
  /** Steps, applied in order. */ steps: v.array(MigrationStepSchema),
})
/**
 * Durable Object migrations, applied by a non-versioned deploy (the script upload, with
 * `promote: true`; a version cannot carry them): one step, or several under `steps`. The presence of `steps` decides the form (a variant
 * cannot: it would need `steps` itself to be valid to pick the multi-step form).
 */
const MigrationsSchema = v.pipe(
  PlainObject,
  v.lazy((input) =>
    Object.hasOwn(input as object, 'steps') ? MultiStepMigrationsSchema : SingleStepMigrationSchema,
  ),
)

/** Smart Placement. */
const SmartPlacementSchema = record({
  /** Enables Smart Placement. */ mode: v.literal('smart'),
  /** A region hint for Smart Placement (wrangler sends it as given). */ hint: v.optional(NonEmpty),
})
/** Placement near a target (one of region, hostname and host). */
const TargetedPlacementSchema = record({
  /** Targeted placement. */ mode: v.literal('targeted'),
  /** Cloud region to run near, e.g. `aws:us-east-1`. */ region: v.optional(NonEmpty),
  /** Hostname to run near. */ hostname: v.optional(NonEmpty),
  /** `host:port` to run near. */ host: v.optional(NonEmpty),
})
const NoMode = v.optional(v.undefined())
/** Run near a cloud region. */
const RegionPlacementSchema = record({
  mode: NoMode,
  /** Cloud region, e.g. `aws:us-east-1`. */ region: NonEmpty,
})
/** Run near a hostname. */
const HostnamePlacementSchema = record({
  mode: NoMode,
  /** Hostname to run near. */ hostname: NonEmpty,
})
/** Run near a `host:port`. */
const HostPlacementSchema = record({ mode: NoMode, /** `host:port` to run near. */ host: NonEmpty })

const TARGETS = ['region', 'hostname', 'host'] as const
const targetsOf = (p: Record<string, unknown>) => TARGETS.filter((key) => Object.hasOwn(p, key))

/** What is wrong with the targets of a placement, if anything: they decide which form it has. */
function placementTargetProblem(p: Record<string, unknown>): string | undefined {
  const targets = targetsOf(p)
  if (Object.hasOwn(p, 'mode'))
    return p.mode === 'targeted' && targets.length === 0
      ? 'needs region, hostname or host'
      : undefined
  if (targets.length === 0) return 'needs mode "smart", or one of region, hostname and host'
  if (targets.length > 1)
    return `set only one of region, hostname and host (got ${targets.join(', ')}), or use mode "targeted"`
  return undefined
}

/** Where the Worker runs: Smart Placement, or near a region/hostname/host. */
const PlacementSchema = v.pipe(
  PlainObject,
  v.check(
    (p) => placementTargetProblem(p) === undefined,
    (issue) => placementTargetProblem(issue.input)!,
  ),
  v.variant(
    'mode',
    [
      SmartPlacementSchema,
      TargetedPlacementSchema,
      RegionPlacementSchema,
      HostnamePlacementSchema,
      HostPlacementSchema,
    ],
    (issue) => `expected "smart" or "targeted", got ${describe(issue.input)}`,
  ),
)

/** Resource limits. */
const LimitsSchema = record({
  /** CPU time limit per invocation, in milliseconds. */ cpu_ms: v.optional(PositiveInt),
  /** Subrequest limit per invocation. */ subrequests: v.optional(PositiveInt),
})

/** A container attached to a Durable Object class. */
const ContainerSchema = record({
  /** Durable Object class of this Worker the container belongs to. */ class_name: NonEmpty,
})

/** Whether `YYYY-MM-DD` names a real day. */
function isCalendarDate(date: string): boolean {
  const time = Date.parse(`${date}T00:00:00Z`)
  return Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === date
}

/** Compatibility date, `YYYY-MM-DD`; a real date (not after today: checked by `versionConfigSchema`). */
const CompatibilityDateSchema = v.config(
  v.pipe(
    v.string(),
    v.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD'),
    v.check(isCalendarDate, 'is not a real calendar date'),
  ),
  FIRST_ISSUE,
)

/** Binding names are unique across every kind. */
const Bindings = v.pipe(
  v.array(BindingSchema, (issue) => `expected an array of bindings, got ${describe(issue.input)}`),
  v.rawCheck(({ dataset, addIssue }) => {
    const seen = new Map<string, number>()
    if (!Array.isArray(dataset.value)) return
    dataset.value.forEach((binding: unknown, index) => {
      const name = isRecord(binding) ? binding.name : undefined
      if (typeof name !== 'string') return
      const first = seen.get(name)
      if (first === undefined) seen.set(name, index)
      else {
        const item = pathItem(dataset.value, index)
        addIssue({
          message: `duplicate binding name ${describe(name)} (also bindings[${first}])`,
          path: [item, pathItem(item.value, 'name')],
        })
      }
    })
  }),
)

const COMPUTED = v.optional(
  v.never('is computed from the build; remove it from the `version` option'),
)

/** The schema of the `version` option (checks needing the whole config or the clock: `versionConfigSchema`). */
const VersionConfigSchema = record(
  {
    /** Metadata about the version (`workers/message`, `workers/tag`). */ annotations:
      v.optional(AnnotationsSchema),
    /** Static assets: the upload token and how they are served. */ assets:
      v.optional(AssetsSchema),
    /** Bindings available on `env`. Names must be unique JavaScript identifiers; unknown kinds pass through with a warning. */ bindings:
      v.optional(Bindings),
    /** Date of the runtime behaviour the Worker targets (`YYYY-MM-DD`, not after today in UTC). */ compatibility_date:
      v.optional(CompatibilityDateSchema),
    /** Runtime feature flags, e.g. `nodejs_compat`; no duplicates. */
    compatibility_flags: v.optional(
      v.pipe(
        StringList,
        v.check((flags) => new Set(flags).size === flags.length, 'must not contain duplicates'),
      ),
    ),
    /** Containers attached to Durable Object classes of this Worker. */ containers: v.optional(
      v.array(ContainerSchema),
    ),
    /** Resource limits. */ limits: v.optional(LimitsSchema),
    /** Durable Object migrations, single-step or `{ steps }`; not together with `exports`. */ migrations:
      v.optional(MigrationsSchema),
    /** Where the Worker runs: Smart Placement or near a region/hostname/host. */ placement:
      v.optional(PlacementSchema),
    /** @deprecated Usage models were retired; the field is accepted with a warning. */
    usage_model: v.optional(
      v.pipe(
        v.picklist(['standard', 'bundled', 'unbound']),
        warning('is deprecated and has no effect; remove it'),
      ),
    ),
    /** Declared exports of the Worker (newer API field, passed through); not together with `migrations`. */ exports:
      v.optional(LooseObject),
    /** Cache settings (wrangler's `cache`), passed through. */ cache_options:
      v.optional(LooseObject),
    /** Package dependencies (newer API field, passed through). */ package_dependencies:
      v.optional(LooseArray),
    /** Computed from the build: not an option. */ main_module: COMPUTED,
    /** Computed from the build: not an option. */ modules: COMPUTED,
  },
  'not a Create Version field the plugin knows',
)

/** Durable Object classes of this Worker: bound without `script_name`, or created by the migrations. */
function localClasses(config: Record<string, unknown>): Set<string> {
  const classes = new Set<string>()
  const add = (value: unknown) => typeof value === 'string' && classes.add(value)
  for (const b of Array.isArray(config.bindings) ? config.bindings : []) {
    if (isRecord(b) && b.type === 'durable_object_namespace' && b.script_name === undefined)
      add(b.class_name)
  }
  const m = config.migrations
  for (const step of isRecord(m) ? (Array.isArray(m.steps) ? m.steps : [m]) : []) {
    if (!isRecord(step)) continue
    for (const list of [step.new_classes, step.new_sqlite_classes])
      if (Array.isArray(list)) list.forEach(add)
    for (const list of [step.renamed_classes, step.transferred_classes])
      if (Array.isArray(list)) list.forEach((item) => isRecord(item) && add(item.to))
  }
  return classes
}

/** Today in UTC, as `compatibility_date` spells dates: the latest date the API accepts. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10)
}

/**
 * The whole `version` schema for a given "today": the fields, then the checks
 * across fields (exports vs migrations, containers vs Durable Object classes)
 * and the compatibility date against the clock.
 */
export function versionConfigSchema(now: Date) {
  const today = todayUtc(now)
  return v.pipe(
    PlainObject,
    VersionConfigSchema,
    v.rawCheck(({ dataset, addIssue }) => {
      const config = dataset.value as Record<string, unknown>
      const at = (...keys: [string, ...Array<string | number>]) =>
        keys.reduce<v.IssuePathItem[]>(
          (path, key) => [...path, pathItem(path.at(-1)?.value ?? config, key)],
          [],
        ) as [v.IssuePathItem, ...v.IssuePathItem[]]
      const date = config.compatibility_date
      if (typeof date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(date) && date > today) {
        addIssue({ message: `is after today (${today} in UTC)`, path: at('compatibility_date') })
      }
      if (config.exports !== undefined && config.migrations !== undefined)
        addIssue({ message: 'cannot be set together with `migrations`', path: at('exports') })
      if (!Array.isArray(config.containers)) return
      const classes = localClasses(config)
      config.containers.forEach((container, index) => {
        const name = isRecord(container) ? container.class_name : undefined
        if (typeof name === 'string' && name !== '' && !classes.has(name)) {
          const why =
            'is not a Durable Object class of this Worker (bind it with a durable_object_namespace binding without script_name, or create it in migrations)'
          addIssue({
            message: `${describe(name)} ${why}`,
            path: at('containers', index, 'class_name'),
          })
        }
      })
    }),
  )
}

/** The plugin's `version` option: the Create Version body without `main_module` and `modules`. */
export type VersionConfig = Omit<
  v.InferOutput<typeof VersionConfigSchema>,
  'bindings' | 'main_module' | 'modules'
> & { bindings?: Binding[] }

/** The JSON body of Create Version, with every field's type (the pipeline's own code reads `core/body.ts`'s). */
export type VersionRequestBody = VersionConfig & {
  main_module: string
  modules: WorkerModuleBody[]
}
