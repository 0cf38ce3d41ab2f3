import * as v from 'valibot'
import { BindingName, JsonValue, LooseObject, NonEmpty, PositiveInt, StringList } from './fields.js'

// One valibot schema per binding kind of the Create Version body. The exported
// types are inferred from these schemas, so the checks and the types users see
// cannot drift apart. Field names are spelled exactly as the API spells them.

function binding<const T extends string, const E extends v.ObjectEntries>(type: T, entries: E) {
  return v.object({
    /** The binding kind. */
    type: v.literal(type),
    /** The name the Worker reads the binding by (`env.NAME`): a JavaScript identifier, unique in the version. */
    name: BindingName,
    ...entries,
  })
}

/** Workers AI. */
export const AiBinding = binding('ai', {
  /** Use the staging Workers AI environment. */
  staging: v.optional(v.boolean()),
})
/** An AI Search instance. */
export const AiSearchBinding = binding('ai_search', {
  /** Name of the AI Search instance. */
  instance_name: NonEmpty,
  /** AI Search namespace holding the instance. */
  namespace: v.optional(NonEmpty),
})
/** An AI Search namespace. */
export const AiSearchNamespaceBinding = binding('ai_search_namespace', {
  /** Name of the AI Search namespace. */
  namespace: NonEmpty,
})
/** A Workers Analytics Engine dataset. */
export const AnalyticsEngineBinding = binding('analytics_engine', {
  /** Dataset the Worker writes data points to. */
  dataset: NonEmpty,
})
/** An Artifacts namespace. */
export const ArtifactsBinding = binding('artifacts', {
  /** Name of the Artifacts namespace. */
  namespace: NonEmpty,
})
/** The Worker's static assets (a `Fetcher`). */
export const AssetsBinding = binding('assets', {})
/** Browser Rendering. */
export const BrowserBinding = binding('browser', {})
/** A D1 database. */
export const D1Binding = v.pipe(
  binding('d1', {
    /** Id of the D1 database. */
    database_id: v.optional(NonEmpty),
    /** Older name of `database_id`. */
    id: v.optional(NonEmpty),
  }),
  v.forward(
    v.partialCheck(
      [['database_id'], ['id']],
      (b) => b.database_id !== undefined || b.id !== undefined,
      'required for d1',
    ),
    ['database_id'],
  ),
)
/** A data module from a multipart part (`ArrayBuffer`, service-worker syntax). */
export const DataBlobBinding = binding('data_blob', {
  /** Name of the part (module) holding the data. */
  part: NonEmpty,
})
/** A Workers for Platforms dispatch namespace. */
export const DispatchNamespaceBinding = binding('dispatch_namespace', {
  /** Name of the dispatch namespace. */
  namespace: NonEmpty,
  /** Outbound Worker that receives subrequests of dispatched Workers. */
  outbound: v.optional(
    v.object({
      /** The outbound Worker. */
      worker: v.object({
        /** Name of the outbound Worker. */
        service: NonEmpty,
        /** Environment of the outbound Worker. */
        environment: v.optional(NonEmpty),
      }),
      /** Parameters passed from the dispatcher to the outbound Worker. */
      params: v.optional(v.array(v.object({ /** Parameter name. */ name: NonEmpty }))),
    }),
  ),
})
/** A Durable Object namespace. */
export const DurableObjectNamespaceBinding = v.pipe(
  binding('durable_object_namespace', {
    /** Exported class implementing the Durable Object. */
    class_name: v.optional(NonEmpty),
    /** Worker that exports the class, when it is not this Worker. */
    script_name: v.optional(NonEmpty),
    /** Environment of `script_name` (service environments). */
    environment: v.optional(NonEmpty),
    /** Id of an existing namespace, instead of `class_name`. */
    namespace_id: v.optional(NonEmpty),
    /** Dispatch namespace holding `script_name` (Workers for Platforms). */
    dispatch_namespace: v.optional(NonEmpty),
  }),
  v.forward(
    v.partialCheck(
      [['class_name'], ['namespace_id']],
      (b) => b.class_name !== undefined || b.namespace_id !== undefined,
      'required for durable_object_namespace (or namespace_id)',
    ),
    ['class_name'],
  ),
)
/** A Flagship app (feature flags). */
export const FlagshipBinding = binding('flagship', {
  /** Id of the Flagship app. */
  app_id: NonEmpty,
})
/** A Hyperdrive configuration. */
export const HyperdriveBinding = binding('hyperdrive', {
  /** Id of the Hyperdrive configuration. */
  id: NonEmpty,
})
/** Cloudflare Images. */
export const ImagesBinding = binding('images', {})
/** Keeps a binding of the previous (or given) version, e.g. a secret. */
export const InheritBinding = binding('inherit', {
  /** Name of the binding in the source version, when it is renamed. */
  old_name: v.optional(NonEmpty),
  /** Version to inherit from: a version id or `"latest"` (the default). */
  version_id: v.optional(NonEmpty),
})
/** A JSON value. */
export const JsonBinding = binding('json', {
  /** The value, any JSON. */
  json: JsonValue,
})
/** A K2 stream. */
export const K2Binding = binding('k2', {
  /** Name of the stream. */
  stream: NonEmpty,
})
/** A Workers KV namespace. */
export const KvNamespaceBinding = binding('kv_namespace', {
  /** Id of the KV namespace. */
  namespace_id: NonEmpty,
})
/** Media Transformations. */
export const MediaBinding = binding('media', {})
/** A messaging namespace. */
export const MessagingBinding = binding('messaging', {
  /** Name of the messaging namespace. */
  namespace: NonEmpty,
})
/** An mTLS client certificate for subrequests. */
export const MtlsCertificateBinding = binding('mtls_certificate', {
  /** Id of the uploaded certificate. */
  certificate_id: NonEmpty,
})
/** A Pipeline. */
export const PipelinesBinding = binding('pipelines', {
  /** Name or id of the pipeline. */
  pipeline: NonEmpty,
})
/** A plain-text variable. */
export const PlainTextBinding = binding('plain_text', {
  /** The value. */
  text: v.string(),
})
/** A Queue producer. */
export const QueueBinding = binding('queue', {
  /** Name of the queue. */
  queue_name: NonEmpty,
  /** Default delay in seconds before messages are delivered (0–43200). */
  delivery_delay: v.optional(
    v.pipe(v.number(), v.integer('must be an integer'), v.minValue(0, 'must be 0 or more'), v.maxValue(43200, 'must be at most 43200 seconds (12 hours)')),
  ),
})
/** An R2 bucket. */
export const R2BucketBinding = binding('r2_bucket', {
  /** Name of the bucket. */
  bucket_name: NonEmpty,
  /** Jurisdiction of the bucket. */
  jurisdiction: v.optional(v.picklist(['eu', 'fedramp', 'fedramp-high'])),
})
/** A rate limiter. */
export const RatelimitBinding = binding('ratelimit', {
  /** Identifier of the rate limit namespace (shared by Workers that use the same id). */
  namespace_id: NonEmpty,
  /** The limit. */
  simple: v.object({
    /** Requests allowed per period. */
    limit: PositiveInt,
    /** Period in seconds: 10 or 60. */
    period: v.picklist([10, 60]),
  }),
})
/** A Web Crypto key available as a `CryptoKey`. */
export const SecretKeyBinding = v.pipe(
  binding('secret_key', {
    /** Algorithm-specific key parameters (as for `crypto.subtle.importKey`). */
    algorithm: LooseObject,
    /** Data format of the key. */
    format: v.picklist(['raw', 'pkcs8', 'spki', 'jwk']),
    /** Operations the key may be used for. */
    usages: v.array(v.picklist(['encrypt', 'decrypt', 'sign', 'verify', 'deriveKey', 'deriveBits', 'wrapKey', 'unwrapKey'])),
    /** Base64 key data; required for the `raw`, `pkcs8` and `spki` formats. */
    key_base64: v.optional(v.string()),
    /** The key as a JSON Web Key; required for the `jwk` format. */
    key_jwk: v.optional(LooseObject),
  }),
  v.forward(
    v.partialCheck(
      [['format'], ['key_base64'], ['key_jwk']],
      (b) => (b.format === 'jwk' ? b.key_jwk !== undefined : b.key_base64 !== undefined),
      'required for secret_key (key_base64 for raw/pkcs8/spki, key_jwk for jwk)',
    ),
    ['format'],
  ),
)
/** A secret string. */
export const SecretTextBinding = binding('secret_text', {
  /** The secret value. */
  text: v.string(),
})
/** A secret from a Secrets Store. */
export const SecretsStoreSecretBinding = binding('secrets_store_secret', {
  /** Id of the store. */
  store_id: NonEmpty,
  /** Name of the secret in the store. */
  secret_name: NonEmpty,
})
/** Sending email. */
export const SendEmailBinding = v.pipe(
  binding('send_email', {
    /** The only address the Worker may send to. */
    destination_address: v.optional(NonEmpty),
    /** Addresses the Worker may send to. */
    allowed_destination_addresses: v.optional(StringList),
    /** Addresses the Worker may send from. */
    allowed_sender_addresses: v.optional(StringList),
  }),
  v.forward(
    v.partialCheck(
      [['destination_address'], ['allowed_destination_addresses']],
      (b) => b.destination_address === undefined || b.allowed_destination_addresses === undefined,
      'cannot be combined with allowed_destination_addresses',
    ),
    ['destination_address'],
  ),
)
/** Another Worker (service binding). */
export const ServiceBinding = binding('service', {
  /** Name of the Worker. */
  service: NonEmpty,
  /** Environment of the Worker (service environments). */
  environment: v.optional(NonEmpty),
  /** Named entrypoint (exported `WorkerEntrypoint` class) to bind to. */
  entrypoint: v.optional(NonEmpty),
  /** Props passed to the entrypoint as `ctx.props`. */
  props: v.optional(LooseObject),
})
/** A text module from a multipart part (`string`, service-worker syntax). */
export const TextBlobBinding = binding('text_blob', {
  /** Name of the part (module) holding the text. */
  part: NonEmpty,
})
/** A Vectorize index. */
export const VectorizeBinding = binding('vectorize', {
  /** Name of the index. */
  index_name: NonEmpty,
})
/** The version's own metadata (id, tag, timestamp). */
export const VersionMetadataBinding = binding('version_metadata', {})
/** A Workers VPC network. */
export const VpcNetworkBinding = v.pipe(
  binding('vpc_network', {
    /** Id of a Cloudflare Tunnel. */
    tunnel_id: v.optional(NonEmpty),
    /** Id of a network. */
    network_id: v.optional(NonEmpty),
  }),
  v.forward(
    v.partialCheck(
      [['tunnel_id'], ['network_id']],
      (b) => (b.tunnel_id === undefined) !== (b.network_id === undefined),
      'exactly one of tunnel_id and network_id is required for vpc_network',
    ),
    ['tunnel_id'],
  ),
)
/** A Workers VPC service. */
export const VpcServiceBinding = binding('vpc_service', {
  /** Id of the VPC service. */
  service_id: NonEmpty,
})
/** A WebAssembly module from a multipart part (service-worker syntax). */
export const WasmModuleBinding = binding('wasm_module', {
  /** Name of the part (module) holding the Wasm. */
  part: NonEmpty,
})
/** A Workflow. */
export const WorkflowBinding = binding('workflow', {
  /** Name of the Workflow. */
  workflow_name: NonEmpty,
  /** Exported `WorkflowEntrypoint` class. */
  class_name: v.optional(NonEmpty),
  /** Worker that exports the class, when it is not this Worker. */
  script_name: v.optional(NonEmpty),
})

/** Every binding kind the plugin knows, by `type`. */
export const BINDING_SCHEMAS = {
  ai: AiBinding,
  ai_search: AiSearchBinding,
  ai_search_namespace: AiSearchNamespaceBinding,
  analytics_engine: AnalyticsEngineBinding,
  artifacts: ArtifactsBinding,
  assets: AssetsBinding,
  browser: BrowserBinding,
  d1: D1Binding,
  data_blob: DataBlobBinding,
  dispatch_namespace: DispatchNamespaceBinding,
  durable_object_namespace: DurableObjectNamespaceBinding,
  flagship: FlagshipBinding,
  hyperdrive: HyperdriveBinding,
  images: ImagesBinding,
  inherit: InheritBinding,
  json: JsonBinding,
  k2: K2Binding,
  kv_namespace: KvNamespaceBinding,
  media: MediaBinding,
  messaging: MessagingBinding,
  mtls_certificate: MtlsCertificateBinding,
  pipelines: PipelinesBinding,
  plain_text: PlainTextBinding,
  queue: QueueBinding,
  r2_bucket: R2BucketBinding,
  ratelimit: RatelimitBinding,
  secret_key: SecretKeyBinding,
  secret_text: SecretTextBinding,
  secrets_store_secret: SecretsStoreSecretBinding,
  send_email: SendEmailBinding,
  service: ServiceBinding,
  text_blob: TextBlobBinding,
  vectorize: VectorizeBinding,
  version_metadata: VersionMetadataBinding,
  vpc_network: VpcNetworkBinding,
  vpc_service: VpcServiceBinding,
  wasm_module: WasmModuleBinding,
  workflow: WorkflowBinding,
} as const

/** A binding kind the plugin knows. */
export type KnownBindingType = keyof typeof BINDING_SCHEMAS

/** A binding of a kind the plugin knows, by `type`. */
export type BindingOf<T extends KnownBindingType> = v.InferOutput<(typeof BINDING_SCHEMAS)[T]>

/** A binding of a kind the plugin knows. */
export type KnownBinding = { [T in KnownBindingType]: BindingOf<T> }[KnownBindingType]

/** A binding of a kind this plugin does not know yet: passed through unchanged, with a warning. */
export interface UnknownBinding {
  /** The binding kind, as the API spells it. */
  type: string & {}
  /** The name the Worker reads the binding by. */
  name: string
  /** Kind-specific fields. */
  [field: string]: unknown
}

/** One entry of the Create Version `bindings` array. */
export type Binding = KnownBinding | UnknownBinding

/** The schema for a known binding `type`, or undefined (safe for `__proto__` and friends). */
export function bindingSchemaFor(type: string): (typeof BINDING_SCHEMAS)[KnownBindingType] | undefined {
  return Object.hasOwn(BINDING_SCHEMAS, type) ? BINDING_SCHEMAS[type as KnownBindingType] : undefined
}
