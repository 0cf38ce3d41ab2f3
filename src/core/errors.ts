import { printableLine } from './printable.js'

/** Every code a `WorkersVersionError` carries; docs/errors.md says what each means and what to do. */
export type ErrorCode =
  | 'AMBIGUOUS_CONFIG'
  | 'AMBIGUOUS_ENVIRONMENT'
  | 'AMBIGUOUS_MAIN_MODULE'
  | 'API_ERROR'
  | 'API_INVALID_RESPONSE'
  | 'API_NETWORK_ERROR'
  | 'API_NOT_SENT'
  | 'API_OUTCOME_UNKNOWN'
  | 'API_RESPONSE_TOO_LARGE'
  | 'API_TIMEOUT'
  | 'ASSETS_CONTAIN_WORKER_OUTPUT'
  | 'ASSETS_DIRECTORY_HOLDS_HOME'
  | 'ASSETS_DIRECTORY_IS_ROOT'
  | 'ASSETS_DIRECTORY_MISSING'
  | 'ASSETS_DIRECTORY_OUTSIDE_ROOT'
  | 'ASSETS_FILE_TOO_LARGE'
  | 'ASSETS_NOT_A_DIRECTORY'
  | 'ASSETS_ONLY_BINDINGS'
  | 'ASSETS_PATH_TOO_LONG'
  | 'ASSETS_PRIVATE_FILES'
  | 'ASSETS_TOO_MANY_FILES'
  | 'ASSETS_UPLOAD_FAILED'
  | 'BUNDLE_FAILED'
  | 'DEPLOYED_NOT_READ_BACK'
  | 'DEPLOYMENT_CHANGED'
  | 'DEPLOYMENT_FAILED'
  | 'DEPLOY_STEPS_FAILED'
  | 'DISPATCH_NAMESPACE_NOT_FOUND'
  | 'DUPLICATE_MODULE_NAME'
  | 'DUPLICATE_WORKER_NAME'
  | 'ESBUILD_MISSING'
  | 'INSECURE_API_URL'
  | 'INTERNAL'
  | 'INVALID_ACCOUNT_ID'
  | 'INVALID_API_URL'
  | 'INVALID_ARGUMENTS'
  | 'INVALID_BUILD_OUTPUT'
  | 'INVALID_CREDENTIALS'
  | 'INVALID_IDENTIFIER'
  | 'INVALID_MODULES'
  | 'INVALID_OPTIONS'
  | 'INVALID_PROXY'
  | 'INVALID_REDIRECTED_CONFIG'
  | 'INVALID_SOURCE_MAP'
  | 'INVALID_WORKER_NAME'
  | 'INVALID_WRANGLER_CONFIG'
  | 'MAIN_MODULE_NOT_FOUND'
  | 'MAIN_NOT_ES_MODULE'
  | 'MIGRATION_NEEDS_FULL_DEPLOY'
  | 'MISSING_ACCOUNT_ID'
  | 'MISSING_CREDENTIALS'
  | 'MISSING_OPTION'
  | 'MISSING_SECRET'
  | 'MISSING_UPLOAD_TARGET'
  | 'NOTHING_TO_DEPLOY'
  | 'NO_ENTRY'
  | 'NO_WORKER_CODE'
  | 'ON_VERSION_FAILED'
  | 'OUTSIDE_PROJECT'
  | 'PREFLIGHT_FAILED'
  | 'PREVIEW_FORK_REFUSED'
  | 'PREVIEW_NAME_COLLISION'
  | 'PROMOTE_NOT_POSSIBLE'
  | 'QUEUE_NOT_FOUND'
  | 'STALE_RESULT'
  | 'UNBUNDLED_IMPORT'
  | 'UNFINISHED_BUILD'
  | 'UNKNOWN_ENVIRONMENT'
  | 'UPLOAD_FAILED'
  | 'WORKER_NOT_FOUND'
  | 'WORKER_TOO_LARGE'
  | 'WORKFLOW_JURISDICTION'
  | 'WORKFLOW_TAKEN'

/**
 * The one error type the plugin throws for problems the user can fix.
 * `code` is stable for tests and tooling; `message` says what to do next.
 */
export class WorkersVersionError extends Error {
  readonly code: ErrorCode
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    // Messages quote server and CI values: none may drive the terminal or the CI log it is printed to.
    super(printableLine(message), options)
    this.name = 'WorkersVersionError'
    this.code = code
    // Vite and Rollup print an error's stack: for a problem the user fixes in their config the
    // plugin's call stack is noise that buries the message, so the stack is the message alone.
    this.stack = `${this.name}: ${this.message}`
  }
}
