import * as v from 'valibot'
import {
  BindingName,
  JsonValue,
  LooseObject,
  NonEmpty,
  PositiveInt,
  StringList,
  isJsonValue,
  notJsonMessage,
} from './fields.js'
import { FIRST_ISSUE, WARNING, record } from './fields.js'
import { describe, typeName } from './issues.js'

// Every binding kind of the Create Version body, one record each: its schema
// (field names spelled as the API spells them; the exported types are inferred
// from it), its type in `worker-env.d.ts`, where a wrangler config declares it
// and the Miniflare option that runs it locally. Every other list of kinds (the
// validator's variants, the `Env` types, the wrangler import) is derived from
// this table, so a new kind is one new record.

/** Where a wrangler config declares a binding kind, and how its fields map to the API's. */
export interface WranglerSource {
  /** The config section, e.g. `kv_namespaces`. */
  section: string
  /** The list inside the section (`durable_objects.bindings`, `queues.producers`). */
  list?: string
  /** A single object (`ai`, `browser`) rather than an array of them; `optional` when it may lack the binding name (`assets`). */
  single?: true | 'optional'
  /** The key holding the binding's name. Default: `binding`. */
  nameKey?: string
  /** `[field in the API]: key in the config`. */
  fields?: Record<string, string>
  /** The id wrangler provisions when it is missing; without it the current version's binding is inherited. */
  inheritWithout?: string
  /** The API fields of one item, when they are not a plain renaming. */
  map?: (item: Record<string, unknown>, name: string) => Record<string, unknown>
}

/** What the plugin knows about one binding kind. */
export interface BindingKind<S extends v.GenericSchema = v.GenericSchema> {
  /** The binding's schema. */
  schema: S
  /** Its type in `worker-env.d.ts` (names from @cloudflare/workers-types, as `wrangler types` writes them). */
  env: string
  /** Where a wrangler config declares it; none for kinds wrangler cannot declare. */
  wrangler?: WranglerSource
  /** The Miniflare option that runs it locally (`kvNamespaces`); none when Miniflare has no equivalent. */
  miniflare?: string
}

function binding<const T extends string, const E extends v.ObjectEntries>(type: T, entries: E) {
  return record(
    {
      /** The binding kind. */
      type: v.literal(type),
      /** The name the Worker reads the binding by (`env.NAME`): a JavaScript identifier, unique in the version. */
      name: BindingName,
      ...entries,
    },
    `unknown field for ${type}`,
    (issue) =>
      issue.input === undefined
        ? `required for ${type}`
        : `expected an object, got ${describe(issue.input)}`,
  )
}

/** A string that may be a secret: messages name its type, never its value. */
const Secret = v.string((issue) => `expected string, got ${typeName(issue.input)}`)

/**
 * `schema` with a rule across its fields (one of two ids, say): checked once the fields named are
 * valid, and reported at the first of them.
 */
function requiring<const S extends v.ObjectSchema<v.ObjectEntries, undefined>>(
  schema: S,
  fields: readonly [keyof S['entries'] & string, ...Array<keyof S['entries'] & string>],
  holds: (binding: v.InferOutput<S>) => boolean,
  message: string,
) {
  const check = v.partialCheck(
    fields.map((field) => [field]) as never,
    holds as never,
    message,
  ) as unknown as v.BaseValidation<v.InferOutput<S>, v.InferOutput<S>, v.BaseIssue<unknown>>
  return v.pipe(schema, v.forward(check, [fields[0]] as never))
}

/**
 * Where a wrangler config declares a kind: its section's name alone when the items carry the API's
 * own field names. `fields` may list the keys that keep their name; without `fields` or `map`, every
 * field of the kind keeps its name.
 */
type WranglerSpec =
  string | (Omit<WranglerSource, 'fields'> & { fields?: Record<string, string> | string[] })

/** The fields every binding has, which a wrangler item names its own way. */
const BASE = new Set(['type', 'name'])

/** A record of the registry. */
function kind<const S extends v.GenericSchema & { entries: v.ObjectEntries }>(
  schema: S,
  env: string,
  miniflare?: string,
  spec?: WranglerSpec,
): BindingKind<S> {
  const wrangler = typeof spec === 'string' ? { section: spec } : spec
  if (!wrangler) return { schema, env, miniflare }
  const own = wrangler.map ? [] : Object.keys(schema.entries).filter((key) => !BASE.has(key))
  const fields = wrangler.fields ?? own
  return {
    schema,
    env,
    miniflare,
    wrangler: {
      ...wrangler,
      fields: Array.isArray(fields) ? Object.fromEntries(fields.map((key) => [key, key])) : fields,
    },
  }
}

/** A kind with no fields of its own that a wrangler config declares as one object under its type. */
function single<const T extends string>(type: T, env: string, miniflare?: string) {
  return kind(binding(type, {}), env, miniflare, { section: type, single: true })
}

/** Every binding kind the plugin knows, by `type`, in the order wrangler sends them. */
export const BINDING_KINDS = {
  /** A plain-text variable. */
  plain_text: kind(
    binding('plain_text', { /** The value. */ text: v.string() }),
    'string',
    'bindings',
    'vars',
  ),
  /** A JSON value. */
  json: kind(
    binding('json', { /** The value, any JSON. */ json: JsonValue }),
    'unknown',
    'bindings',
    'vars',
  ),
  /** A Workers KV namespace. */
  kv_namespace: kind(
    binding('kv_namespace', { /** Id of the KV namespace. */ namespace_id: NonEmpty }),
    'KVNamespace',
    'kvNamespaces',
    { section: 'kv_namespaces', fields: { namespace_id: 'id' }, inheritWithout: 'id' },
  ),
  /** Sending email. */
  send_email: kind(
    requiring(
      binding('send_email', {
        /** The only address the Worker may send to. */ destination_address: v.optional(NonEmpty),
        /** Addresses the Worker may send to. */ allowed_destination_addresses:
          v.optional(StringList),
        /** Addresses the Worker may send from. */ allowed_sender_addresses: v.optional(StringList),
      }),
      ['destination_address', 'allowed_destination_addresses'],
      (b) => b.destination_address === undefined || b.allowed_destination_addresses === undefined,
      'cannot be combined with allowed_destination_addresses',
    ),
    'SendEmail',
    'email',
    { section: 'send_email', nameKey: 'name' },
  ),
  /** A Durable Object namespace. */
  durable_object_namespace: kind(
    requiring(
      binding('durable_object_namespace', {
        /** Exported class implementing the Durable Object. */ class_name: v.optional(NonEmpty),
        /** Worker that exports the class, when it is not this Worker. */ script_name:
          v.optional(NonEmpty),
        /** Environment of `script_name` (service environments). */ environment:
          v.optional(NonEmpty),
        /** Id of an existing namespace, instead of `class_name`. */ namespace_id:
          v.optional(NonEmpty),
        /** Dispatch namespace holding `script_name` (Workers for Platforms). */ dispatch_namespace:
          v.optional(NonEmpty),
      }),
      ['class_name', 'namespace_id'],
      (b) => b.class_name !== undefined || b.namespace_id !== undefined,
      'required for durable_object_namespace (or namespace_id)',
    ),
    'DurableObjectNamespace',
    'durableObjects',
    {
      section: 'durable_objects',
      list: 'bindings',
      nameKey: 'name',
      fields: ['class_name', 'script_name', 'environment'],
    },
  ),
  /** A Workflow. */
  workflow: kind(
    binding('workflow', {
      /** Name of the Workflow. */ workflow_name: NonEmpty,
      /** Exported `WorkflowEntrypoint` class. */ class_name: v.optional(NonEmpty),
      /** Worker that exports the class, when it is not this Worker. */ script_name:
        v.optional(NonEmpty),
    }),
    'Workflow',
    'workflows',
    {
      section: 'workflows',
      fields: { workflow_name: 'name', class_name: 'class_name', script_name: 'script_name' },
    },
  ),
  /** A Queue producer. */
  queue: kind(
    binding('queue', {
      /** Name of the queue. */ queue_name: NonEmpty,
      /** Default delay in seconds before messages are delivered (0–43200). */
      delivery_delay: v.optional(
        v.config(
          v.pipe(
            v.number(),
            v.integer('must be an integer'),
            v.minValue(0, 'must be 0 or more'),
            v.maxValue(43200, 'must be at most 43200 seconds (12 hours)'),
          ),
          FIRST_ISSUE,
        ),
      ),
    }),
    'Queue',
    'queueProducers',
    {
      section: 'queues',
      list: 'producers',
      fields: { queue_name: 'queue', delivery_delay: 'delivery_delay' },
    },
  ),
  /** An R2 bucket. */
  r2_bucket: kind(
    binding('r2_bucket', {
      /** Name of the bucket. */ bucket_name: NonEmpty,
      /** Jurisdiction of the bucket. */ jurisdiction: v.optional(
        v.picklist(['eu', 'fedramp', 'fedramp-high']),
      ),
    }),
    'R2Bucket',
    'r2Buckets',
    { section: 'r2_buckets', inheritWithout: 'bucket_name' },
  ),
  /** A D1 database. */
  d1: kind(
    requiring(
      binding('d1', {
        /** Id of the D1 database. */ database_id: v.optional(NonEmpty),
        /** Older name of `database_id`. */ id: v.optional(NonEmpty),
      }),
      ['database_id', 'id'],
      (b) => b.database_id !== undefined || b.id !== undefined,
      'required for d1',
    ),
    'D1Database',
    'd1Databases',
    { section: 'd1_databases', fields: ['database_id'], inheritWithout: 'database_id' },
  ),
  /** A Vectorize index. */
  vectorize: kind(
    binding('vectorize', { /** Name of the index. */ index_name: NonEmpty }),
    'VectorizeIndex',
    'vectorize',
    'vectorize',
  ),
  /** An AI Search namespace. */
  ai_search_namespace: kind(
    binding('ai_search_namespace', { /** Name of the AI Search namespace. */ namespace: NonEmpty }),
    'AiSearchNamespace',
    'aiSearchNamespaces',
    'ai_search_namespaces',
  ),
  /** An AI Search instance. */
  ai_search: kind(
    binding('ai_search', {
      /** Name of the AI Search instance. */ instance_name: NonEmpty,
      /** AI Search namespace holding the instance. */ namespace: v.optional(NonEmpty),
    }),
    'AiSearchInstance',
    'aiSearchInstances',
    'ai_search',
  ),
  /** A Hyperdrive configuration. */
  hyperdrive: kind(
    binding('hyperdrive', { /** Id of the Hyperdrive configuration. */ id: NonEmpty }),
    'Hyperdrive',
    'hyperdrives',
    'hyperdrive',
  ),
  /** A secret from a Secrets Store. */
  secrets_store_secret: kind(
    binding('secrets_store_secret', {
      /** Id of the store. */ store_id: NonEmpty,
      /** Name of the secret in the store. */ secret_name: NonEmpty,
    }),
    'SecretsStoreSecret',
    'secretsStoreSecrets',
    'secrets_store_secrets',
  ),
  /** An Artifacts namespace. */
  artifacts: kind(
    binding('artifacts', { /** Name of the Artifacts namespace. */ namespace: NonEmpty }),
    'Artifacts',
    'artifacts',
    'artifacts',
  ),
  /** wrangler's example binding (`unsafe_hello_world`); not for production use. */
  unsafe_hello_world: kind(
    binding('unsafe_hello_world', {
      /** Whether the example runs a timer. */ enable_timer: v.optional(v.boolean()),
    }),
    'HelloWorldBinding',
    'helloWorld',
    'unsafe_hello_world',
  ),
  /** A Flagship app (feature flags). */
  flagship: kind(
    binding('flagship', { /** Id of the Flagship app. */ app_id: NonEmpty }),
    'Flagship',
    'flagship',
    'flagship',
  ),
  /** A rate limiter. */
  ratelimit: kind(
    binding('ratelimit', {
      /** Identifier of the rate limit namespace (shared by Workers that use the same id). */ namespace_id:
        NonEmpty,
      /** The limit: requests allowed per period of 10 or 60 seconds. */ simple: record({
        limit: PositiveInt,
        period: v.picklist([10, 60]),
      }),
    }),
    'RateLimit',
    'ratelimits',
    { section: 'ratelimits', nameKey: 'name' },
  ),
  /** A Workers VPC service. */
  vpc_service: kind(
    binding('vpc_service', { /** Id of the VPC service. */ service_id: NonEmpty }),
    'Fetcher',
    'vpcServices',
    'vpc_services',
  ),
  /** A Workers VPC network. */
  vpc_network: kind(
    requiring(
      binding('vpc_network', {
        /** Id of a Cloudflare Tunnel. */ tunnel_id: v.optional(NonEmpty),
        /** Id of a network. */ network_id: v.optional(NonEmpty),
      }),
      ['tunnel_id', 'network_id'],
      (b) => (b.tunnel_id === undefined) !== (b.network_id === undefined),
      'exactly one of tunnel_id and network_id is required for vpc_network',
    ),
    'Fetcher',
    'vpcNetworks',
    {
      section: 'vpc_networks',
      // wrangler sends the tunnel when both are set.
      map: (item) =>
        item.tunnel_id !== undefined
          ? { tunnel_id: item.tunnel_id }
          : { network_id: item.network_id },
    },
  ),
  /** Another Worker (service binding). */
  service: kind(
    binding('service', {
      /** Name of the Worker. */ service: NonEmpty,
      /** Environment of the Worker (service environments). */ environment: v.optional(NonEmpty),
      /** Named entrypoint (exported `WorkerEntrypoint` class) to bind to. */ entrypoint:
        v.optional(NonEmpty),
      /** Props passed to the entrypoint as `ctx.props`. */ props: v.optional(LooseObject),
    }),
    'Fetcher',
    'serviceBindings',
    'services',
  ),
  /** A Workers Analytics Engine dataset. */
  analytics_engine: kind(
    binding('analytics_engine', {
      /** Dataset the Worker writes data points to. */ dataset: NonEmpty,
    }),
    'AnalyticsEngineDataset',
    'analyticsEngineDatasets',
    {
      // wrangler documents the dataset as defaulting to the binding name.
      section: 'analytics_engine_datasets',
      map: (item, name) => ({ dataset: item.dataset ?? name }),
    },
  ),
  /** A Workers for Platforms dispatch namespace. */
  dispatch_namespace: kind(
    binding('dispatch_namespace', {
      /** Name of the dispatch namespace. */ namespace: NonEmpty,
      /** Outbound Worker that receives subrequests of dispatched Workers, and the parameters passed to it. */
      outbound: v.optional(
        record({
          worker: record({
            /** Name of the outbound Worker. */ service: NonEmpty,
            /** Its environment. */ environment: v.optional(NonEmpty),
          }),
          params: v.optional(v.array(record({ /** Parameter name. */ name: NonEmpty }))),
        }),
      ),
    }),
    'DispatchNamespace',
    'dispatchNamespaces',
    { section: 'dispatch_namespaces', map: dispatchOutbound },
  ),
  /** An mTLS client certificate for subrequests. */
  mtls_certificate: kind(
    binding('mtls_certificate', {
      /** Id of the uploaded certificate. */ certificate_id: NonEmpty,
    }),
    'Fetcher',
    'mtlsCertificates',
    'mtls_certificates',
  ),
  /** A Pipeline. */
  pipelines: kind(
    binding('pipelines', { /** Name or id of the pipeline. */ pipeline: NonEmpty }),
    'import("cloudflare:pipelines").Pipeline<import("cloudflare:pipelines").PipelineRecord>',
    'pipelines',
    'pipelines',
  ),
  /** A Worker Loader, for Workers created at run time. */
  worker_loader: kind(
    binding('worker_loader', {}),
    'WorkerLoader',
    'workerLoaders',
    'worker_loaders',
  ),
  /** Log forwarding (wrangler's `logfwdr`). */
  logfwdr: kind(
    binding('logfwdr', { /** Where the logs go. */ destination: NonEmpty }),
    'unknown',
    undefined,
    { section: 'logfwdr', list: 'bindings', nameKey: 'name' },
  ),
  /** Browser Rendering. */
  browser: single('browser', 'Fetcher', 'browserRendering'),
  /** Workers AI. */
  ai: kind(
    binding('ai', {
      /** Use the staging Workers AI environment. */ staging: v.optional(v.boolean()),
    }),
    'Ai',
    'ai',
    { section: 'ai', single: true },
  ),
  /** Cloudflare Images. */
  images: kind(binding('images', {}), 'ImagesBinding', 'images', {
    section: 'images',
    // `images` may hold only `url_transformations` (a deploy setting, wrangler/deploy-settings.ts).
    single: 'optional',
  }),
  /** Cloudflare Stream. */
  stream: single('stream', 'StreamBinding', 'stream'),
  /** Media Transformations. */
  media: single('media', 'MediaBinding', 'media'),
  /** The version's own metadata (id, tag, timestamp). */
  version_metadata: single('version_metadata', 'WorkerVersionMetadata', 'versionMetadata'),
  /** The Worker's static assets (a `Fetcher`). */
  assets: kind(binding('assets', {}), 'Fetcher', 'assets', {
    section: 'assets',
    single: 'optional',
  }),
  /** A secret string. */
  secret_text: kind(
    binding('secret_text', { /** The secret value. */ text: Secret }),
    'string',
    'bindings',
  ),
  /** A Web Crypto key available as a `CryptoKey`. */
  secret_key: kind(
    requiring(
      binding('secret_key', {
        /** Algorithm-specific key parameters (as for `crypto.subtle.importKey`). */ algorithm:
          LooseObject,
        /** Data format of the key. */ format: v.picklist(['raw', 'pkcs8', 'spki', 'jwk']),
        /** Operations the key may be used for. */
        usages: v.array(
          v.picklist([
            'encrypt',
            'decrypt',
            'sign',
            'verify',
            'deriveKey',
            'deriveBits',
            'wrapKey',
            'unwrapKey',
          ]),
        ),
        /** Base64 key data; required for the `raw`, `pkcs8` and `spki` formats. */ key_base64:
          v.optional(Secret),
        /** The key as a JSON Web Key; required for the `jwk` format. */ key_jwk:
          v.optional(LooseObject),
      }),
      ['format', 'key_base64', 'key_jwk'],
      (b) => (b.format === 'jwk' ? b.key_jwk !== undefined : b.key_base64 !== undefined),
      'required for secret_key (key_base64 for raw/pkcs8/spki, key_jwk for jwk)',
    ),
    'CryptoKey',
  ),
  /** Keeps a binding of the previous (or given) version, e.g. a secret. */
  inherit: kind(
    binding('inherit', {
      /** Name of the binding in the source version, when it is renamed. */ old_name:
        v.optional(NonEmpty),
      /** Version to inherit from: a version id or `"latest"` (the default). */ version_id:
        v.optional(NonEmpty),
    }),
    'unknown',
  ),
  /** A K2 stream. */
  k2: kind(
    binding('k2', { /** Name of the stream. */ stream: NonEmpty }),
    'unknown',
    undefined,
    'k2',
  ),
  /** An Agent Memory namespace. */
  agent_memory: kind(
    binding('agent_memory', { /** Name of the Agent Memory namespace. */ namespace: NonEmpty }),
    'AgentMemoryNamespace',
    undefined,
    'agent_memory',
  ),
  /** Analytics SQL (querying the account's analytics). */
  analytics: single('analytics', 'AnalyticsSQLBinding'),
  /** A messaging namespace. */
  messaging: kind(
    binding('messaging', { /** Name of the messaging namespace. */ namespace: NonEmpty }),
    'unknown',
  ),
  /** A WebAssembly module from a multipart part (service-worker syntax). */
  wasm_module: kind(
    binding('wasm_module', { /** Name of the part holding the Wasm. */ part: NonEmpty }),
    'WebAssembly.Module',
    'wasmBindings',
  ),
  /** A text module from a multipart part (`string`, service-worker syntax). */
  text_blob: kind(
    binding('text_blob', { /** Name of the part holding the text. */ part: NonEmpty }),
    'string',
    'textBlobBindings',
  ),
  /** A data module from a multipart part (`ArrayBuffer`, service-worker syntax). */
  data_blob: kind(
    binding('data_blob', { /** Name of the part holding the data. */ part: NonEmpty }),
    'ArrayBuffer',
    'dataBlobBindings',
  ),
} as const

function dispatchOutbound(item: Record<string, unknown>): Record<string, unknown> {
  const out = item.outbound
  if (typeof out !== 'object' || out === null) return { namespace: item.namespace }
  const { service, environment, parameters } = out as Record<string, unknown>
  const worker = { service, ...(environment !== undefined && { environment }) }
  return {
    namespace: item.namespace,
    outbound: {
      worker,
      ...(Array.isArray(parameters) && { params: parameters.map((p) => ({ name: p })) }),
    },
  }
}

/** A binding kind the plugin knows. */
type KnownBindingType = keyof typeof BINDING_KINDS

/** What the plugin knows about `type`, or undefined (safe for `__proto__` and friends). */
export function bindingKind(type: string): BindingKind | undefined {
  return Object.hasOwn(BINDING_KINDS, type) ? BINDING_KINDS[type as KnownBindingType] : undefined
}

/** A binding of a kind the plugin knows, by `type`. */
type BindingOf<T extends KnownBindingType> = v.InferOutput<(typeof BINDING_KINDS)[T]['schema']>

/** A binding of a kind the plugin knows. */
type KnownBinding = { [T in KnownBindingType]: BindingOf<T> }[KnownBindingType]

/** A binding of a kind this plugin does not know yet: passed through unchanged, with a warning. */
interface UnknownBinding {
  /** The binding kind, as the API spells it. */
  type: string & {}
  /** The name the Worker reads the binding by. */
  name: string
  /** Kind-specific fields. */
  [field: string]: unknown
}

/** One entry of the Create Version `bindings` array. */
export type Binding = KnownBinding | UnknownBinding

const UnknownBindingSchema = v.pipe(
  v.looseObject({
    type: v.pipe(
      v.string(),
      v.check((type) => bindingKind(type) === undefined),
    ),
    name: BindingName,
  }),
  v.check(
    (b) => isJsonValue(b),
    (issue) => notJsonMessage(issue.input),
  ),
  v.forward(
    v.partialCheck(
      [['type']],
      WARNING,
      (issue) =>
        `unknown binding type ${describe((issue.input as { type: unknown }).type)}; passed through unchanged`,
    ),
    ['type'],
  ),
)

/** Any binding: the kind's own schema, chosen by `type`; an unknown kind passes through with a warning. */
export const BindingSchema = v.variant(
  'type',
  [...Object.values(BINDING_KINDS).map((k) => k.schema), UnknownBindingSchema],
  (issue) => {
    if (!issue.path) return `expected a binding object, got ${describe(issue.input)}`
    return issue.input === undefined
      ? 'required'
      : `expected a string, got ${describe(issue.input)}`
  },
)
