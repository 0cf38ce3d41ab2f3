// Why a wrangler config key does not reach the version body. Keys not listed
// here and not mapped are unknown to the plugin; they are reported too.

const BUILD =
  'is a wrangler build setting; your bundler builds the Worker, so it has no effect here'
const WORKER_SETTING =
  'is a Worker setting, not part of a version; not sent (apply it with wrangler deploy or the dashboard)'

/**
 * The Worker settings a promote does not apply, each with its reason (the README's "Worker settings"
 * table repeats them). The ones a promote applies are read in deploy-settings.ts.
 */
const NOT_APPLIED: ReadonlyArray<[key: string, reason: string]> = [
  [
    'streaming_tail_consumers',
    `${WORKER_SETTING}; the plugin does not apply streaming tail consumers (a separate beta API)`,
  ],
  [
    'compliance_region',
    'selects the API host of a FedRAMP account; set `apiBaseUrl` (or CLOUDFLARE_API_BASE_URL) to that host instead; not sent',
  ],
  ['first_party_worker', 'is for Cloudflare-internal Workers only; not sent'],
  [
    'keep_vars',
    'is not applied: a version carries the vars of its config only, so vars set elsewhere (the dashboard) are replaced, as wrangler does without keep_vars',
  ],
  ['cloudchamber', `${WORKER_SETTING}; Containers are deployed by wrangler, not by this plugin`],
  ['usage_model', 'is deprecated (Workers Standard has no usage model); not sent'],
  ['addresses', `${WORKER_SETTING}; the plugin does not configure Email Routing addresses`],
]
const LOCAL_DEV = 'configures local development (wrangler dev) only; not part of a version'
const UNSUPPORTED =
  'is a service-worker / Workers Sites feature the plugin does not support; ignored'

/** Keys that change nothing about the version and are ignored silently. */
export const SILENT = new Set([
  '$schema',
  'dev',
  'send_metrics',
  'main',
  'name',
  'account_id',
  'env',
])

/** Keys the plugin knowingly does not map, with the reason given in the warning. */
export const NOT_MAPPED: ReadonlyMap<string, string> = new Map([
  ...[
    'build',
    'define',
    'alias',
    'minify',
    'keep_names',
    'no_bundle',
    'rules',
    'find_additional_modules',
    'preserve_file_names',
    'base_dir',
    'tsconfig',
    'jsx_factory',
    'jsx_fragment',
    'python_modules',
  ].map((k) => [k, BUILD] as const),
  ...NOT_APPLIED,
  ...['access', 'connect'].map((k) => [k, LOCAL_DEV] as const),
  [
    'dependencies_instrumentation',
    'configures the package_dependencies wrangler collects; the plugin collects none (the `version.package_dependencies` option sends them)',
  ],
  ...['site', 'wasm_modules', 'text_blobs', 'data_blobs'].map((k) => [k, UNSUPPORTED] as const),
  ['pages_build_output_dir', 'is a Pages setting; this plugin creates Worker versions; ignored'],
  [
    'legacy_env',
    'service environments (legacy_env = false) are not supported; environments are read as wrangler environments',
  ],
])
