// Why a wrangler config key does not reach the version body. Keys not listed
// here and not mapped are unknown to the plugin; they are reported too.

const BUILD =
  'is a wrangler build setting; your bundler builds the Worker, so it has no effect here'
const WORKER_SETTING =
  'is a Worker setting, not part of a version; not sent (apply it with wrangler deploy or the dashboard)'
const LOCAL_DEV = 'configures local development (wrangler dev) only; not part of a version'
const UNSUPPORTED = 'is a service-worker / Workers Sites feature the plugin does not support; ignored'

/** Keys that change nothing about the version and are ignored silently. */
export const SILENT = new Set(['$schema', 'dev', 'send_metrics', 'main', 'name', 'account_id', 'env'])

/** Keys the plugin knowingly does not map, with the reason given in the warning. */
export const NOT_MAPPED: ReadonlyMap<string, string> = new Map([
  ...['build', 'define', 'alias', 'minify', 'keep_names', 'no_bundle', 'rules', 'find_additional_modules',
    'preserve_file_names', 'base_dir', 'tsconfig', 'jsx_factory', 'jsx_fragment', 'upload_source_maps',
    'python_modules'].map((k) => [k, BUILD] as const),
  ...['routes', 'route', 'triggers', 'workers_dev', 'preview_urls', 'observability', 'logpush', 'tail_consumers',
    'streaming_tail_consumers', 'compliance_region', 'first_party_worker', 'keep_vars',
    'cloudchamber', 'usage_model', 'addresses'].map((k) => [k, WORKER_SETTING] as const),
  ...['access', 'connect'].map((k) => [k, LOCAL_DEV] as const),
  ['exports', 'is not mapped from a wrangler config; set the `version.exports` option instead'],
  ['dependencies_instrumentation', 'configures the package_dependencies wrangler collects; the plugin collects none (the `version.package_dependencies` option sends them)'],
  ...['site', 'wasm_modules', 'text_blobs', 'data_blobs'].map((k) => [k, UNSUPPORTED] as const),
  ['pages_build_output_dir', 'is a Pages setting; this plugin creates Worker versions; ignored'],
  ['legacy_env', 'service environments (legacy_env = false) are not supported; environments are read as wrangler environments'],
])
