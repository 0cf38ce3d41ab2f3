import type { VersionResult } from '../core/body.js'
import type { ModuleRule } from '../modules/content-types.js'
import type { VersionConfig } from './version-schema.js'
import type { SecretsOption } from './secrets.js'
import type { StrictOption } from './strict.js'
import type { RolloutOptions } from './rollout.js'

/** Network limits of every request the plugin sends. */
export interface NetworkOptions {
  timeouts?: {
    /** @default 10_000 */ connectMs?: number
    /** Until the response headers arrive. @default 60_000 */ headersMs?: number
    /** Longest gap while the body is sent or received. @default 60_000 */ bodyMs?: number
    /** The whole upload, retries and static assets included. @default 1_800_000 (30 min) */ deadlineMs?: number
  }
  retries?: {
    /** @default 5 */ attempts?: number
    /** @default 500 */ baseDelayMs?: number
    /** @default 10_000 */ maxDelayMs?: number
  }
}

/**
 * The Worker's static assets: uploaded before the version, which then carries their completion token. A build
 * with no Worker code (a Vite build of HTML pages, or no entry chunk) and a directory is an assets-only Worker.
 */
export interface AssetsOptions {
  /** The directory to upload, relative to the root. @default the client build with @cloudflare/vite-plugin, else the wrangler config's `assets.directory` */
  directory?: string
  /** Adds an `assets` binding of this name (`env.ASSETS`). @default the wrangler config's `assets.binding` */
  binding?: string
  /** Refuse more files than this before any request (the platform allows 20,000 on Free, 100,000 on Paid). @default 20_000 */
  maxFiles?: number
  /** Buckets uploaded at once. @default 3 */
  concurrency?: number
  /**
   * Files and directories (gitignore syntax, relative to the assets directory) that look private but
   * are meant to be public. Without it, `.env*`, `.dev.vars*`, `.npmrc`, `.netrc`, `.git-credentials`,
   * `.pypirc`, `*.pem`, SSH private keys (`id_rsa`, `id_ed25519`, …), `.git`, `.ssh/`, `.aws/`, `.gnupg/`,
   * `.wrangler/` and `node_modules/` in the directory fail the build before anything is sent,
   * unless `.assetsignore` leaves them out. @default []
   */
  allowDotfiles?: string[]
}

/**
 * Options of `workersVersion()`, the same for every bundler. Every default and
 * environment-variable fallback named here is applied in `src/options/defaults.ts`.
 */
export interface WorkersVersionOptions {
  /** The Worker's id or name (the `{worker_id}` of the request). Required to upload. @default the wrangler config's `name` */
  worker?: string
  /** Cloudflare account id. @default the wrangler config's `account_id`, else `CLOUDFLARE_ACCOUNT_ID`, else the only account the token can see (`GET /accounts`, at upload) */
  accountId?: string
  /** Every field of the Create Version body except `main_module` and `modules`, spelled as the API spells them. Overrides the wrangler config field by field. @default {} */
  version?: VersionConfig
  /** Secrets the new version keeps (`inherit`) or sets from the build's environment (`fromEnv`); the Versions API drops any secret not listed. */
  secrets?: SecretsOption
  /** Read `wrangler.jsonc` / `wrangler.json` / `wrangler.toml` from the project root (`true`: it must exist) or this path; `false` reads none. @default the first of those files in the root, when there is one */
  wrangler?: boolean | string
  /** The wrangler environment (`env.<name>`) to use. @default `CLOUDFLARE_ENV` */
  env?: string
  /** Write `worker-env.d.ts` declaring `Env` from the bindings (`true`) or to this path, relative to the root. @default false */
  types?: boolean | string
  /** Which entry chunk is the main module when the build has several: its output file name or entry name. @default the only entry */
  mainModule?: string
  /**
   * Attach each chunk's source map as `<module>.map` (only when the bundler produced maps). Unset, the
   * wrangler config's `upload_source_maps` decides, as it does for `wrangler deploy`; when that is unset
   * too, only the maps a chunk links by a `//# sourceMappingURL=<file>` comment are sent (not hidden or
   * inline ones), as wrangler does. @default the wrangler config's `upload_source_maps`, else the linked maps
   */
  sourcemaps?: boolean
  /** Extra or overriding content-type rules, e.g. `{ test: '*.md', type: 'text/plain' }`; `type: false` leaves files out. Later rules win. */
  rules?: ModuleRule[]
  /** Where `request.json` and `result.json` go, relative to the project root. @default '.workers-version' */
  outputDir?: string
  /** Create the version at build end. @default Vite: `true` when the mode equals `uploadMode`; other bundlers: `false` */
  upload?: boolean
  /** The Vite mode that uploads (`vite build --mode deploy`). @default 'deploy' */
  uploadMode?: string
  /** Vite only: the environment that builds the Worker. @default the single server environment */
  environment?: string
  /** Project root for relative paths, `outputDir`, `types` and the wrangler config. @default the bundler's root (Vite's `root`, webpack's `context`), else the current directory */
  root?: string
  /** API token (preferred). @default `CLOUDFLARE_API_TOKEN` */
  apiToken?: string
  /** Global API key, with `email`. @default `CLOUDFLARE_API_KEY` */
  apiKey?: string
  /** Account e-mail for `apiKey`. @default `CLOUDFLARE_EMAIL` */
  email?: string
  /** API base URL. @default `CLOUDFLARE_API_BASE_URL`, else 'https://api.cloudflare.com/client/v4' */
  apiBaseUrl?: string
  /** `'silent'` prints nothing, `'warn'` only warnings and retries. @default 'info', or 'silent' when the bundler's own log level is silent */
  logLevel?: 'info' | 'warn' | 'silent'
  /**
   * Traffic for the new version after an upload: `true` deploys it to 100%; a number from 1 to 100
   * starts a gradual rollout at that percentage, the rest staying on the version deployed now.
   * With a pending Durable Object migration, `true` (or 100) deploys through the script upload (a
   * non-versioned deploy that applies the pending steps); anything else is refused before any upload.
   * An object starts a health-gated rollout (`{ steps: [0, 10, 50, 100], interval: '5m', url, checks,
   * maxErrorRate, errorRateFactor, minRequests }`): the new version is probed through version
   * overrides, then given each step's share while its error rate, read from the GraphQL Analytics
   * API, stays within bounds; otherwise the previous version gets 100% again and the build fails.
   * @default none: the version is created without traffic
   */
  promote?: boolean | number | RolloutOptions
  /**
   * Deploy the build as a Worker Preview deployment instead of a version: `'name'` to the Preview of
   * that name; `true` to the Preview named after the branch (the first set of `WORKERS_CI_BRANCH`,
   * `GITHUB_HEAD_REF`, `GITHUB_REF_NAME`, `CI_COMMIT_REF_NAME`, `BITBUCKET_BRANCH`, `CIRCLE_BRANCH`,
   * `BUILDKITE_BRANCH`, then the local git branch); `'auto'` to deploy (as `promote: true`) on a push
   * of `productionBranch` and make a Preview on every other branch. A pull request never deploys: with
   * `true` or `'auto'` it gets its head branch's Preview, or `pr-<number>` when it comes from a fork;
   * a fork's pull request is refused unless `previewForks` allows it. `true` and `'auto'` refuse the
   * build of a tag or of a merge-queue ref, and `'auto'` another GitHub event on `productionBranch`.
   * A missing Preview is created. Cannot be combined with `promote` (except `'auto'`).
   * @default false
   */
  preview?: boolean | string
  /** The branch `preview: 'auto'` deploys from, on a push of it; every other branch gets a Preview. @default 'main' */
  productionBranch?: string
  /**
   * Let the build of a pull request from a fork (or from a repository the CI does not name) make a
   * Preview: with `preview: true` or `'auto'` its own, named `pr-<number>` (never a branch's), with
   * `preview: 'name'` that one. Its code runs with the Worker's Preview bindings and secrets, so any
   * `preview` refuses it unless this is set.
   * @default false
   */
  previewForks?: boolean
  /**
   * Explain a Worker that fails at startup with workerd's stack trace (through the optional peer
   * `miniflare`). The API starts every version it receives and refuses one that fails (10021) before
   * it can get traffic; when it refuses one, preflight starts it in workerd and the build fails with
   * workerd's message. A Preview is started in workerd before anything is sent. @default `true` when `promote` is set
   */
  preflight?: boolean
  /** Create the Worker when it does not exist yet (first deploy). @default `true` when `worker` is a name, `false` for a 32-hex-digit id */
  createWorker?: boolean
  /**
   * Before anything is written, refuse a deploy that removes a binding, a route or a Custom Domain,
   * changes a binding's target or lowers the compatibility date, unless `allow` acknowledges the
   * change by the key the refusal prints (`remove-binding:CACHE`, `remove-route:example.com/*`…).
   * `true` acknowledges none. The `deploy` command's `--strict` turns it on. @default false
   */
  strict?: boolean | StrictOption
  /**
   * Compare a dry run (`upload: false`) with the deployed Worker too, as every upload does: with the
   * upload's credentials, worker name and account, it sends GET requests only and writes nothing to
   * Cloudflare; without credentials it says what it could not compare and why. A read that fails is
   * reported, and the dry run still succeeds; with `strict`, a change strict mode would refuse fails it.
   * Off by default: a plain build stays offline. The `deploy` command's `--dry-run --diff` turns it on.
   * Uploads always compare, whatever it says. @default false
   */
  diff?: boolean
  /** Without a configured `workers/tag` or `workers/message`, take them from git: the short commit SHA (`-dirty` when the tree has changes) and the commit subject. @default true */
  gitAnnotations?: boolean
  /**
   * Also write the version as Cloudflare Build Output (`.cloudflare/output/<version>/` under the root: `config.json`,
   * `workers/default/worker.config.json`, `bundle/`, `assets/`), the format `cf deploy --prebuilt` deploys. `true`
   * writes `v0`, which @cloudflare/vite-plugin 1.x reads; `'v1'` the version wrangler 4.164 writes and `cf` reads.
   * Secrets are written as declarations only, never their values. @default false
   */
  buildOutput?: boolean | 'v0' | 'v1'
  /**
   * Workers for Platforms: upload the build as a user Worker into this dispatch namespace (`PUT
   * …/workers/dispatch/namespaces/{namespace}/scripts/{worker}`, as `wrangler deploy --dispatch-namespace`)
   * instead of creating a version. A user Worker has no versions, deployments or Previews: the upload
   * deploys it at once, so `promote` and `preview` are refused with it. The namespace must exist.
   * @default none
   */
  dispatchNamespace?: string
  /**
   * The user Worker's tags (with `dispatchNamespace` only), sent in the upload's metadata: at most 8,
   * each non-empty, without `,` or `&`. They replace the Worker's tags. @default none (the metadata has no `tags`)
   */
  tags?: string[]
  /** Static assets; `false` uploads none even when a config names a directory. */
  assets?: AssetsOptions | false
  /** Called with the created version after a successful upload. */
  onVersion?: (version: VersionResult) => void | Promise<void>
  /** Network limits of the upload. */
  network?: NetworkOptions
  /**
   * Images' URL interface on the requests the Worker serves (`/cdn-cgi/image/…`), set by a promote to
   * 100% after its deployment as `wrangler deploy` (4.168) sets the config's `images.url_transformations`;
   * this option wins over the config's. `allowedOrigins`: where source images may come from (`['*']`
   * for anywhere). Removing it leaves the Worker's setting as it is. Refused with a Preview.
   */
  images?: { urlTransformations: { enabled: boolean; allowedOrigins?: string[] } }
}

/** Images' URL interface of a Worker as the API takes it (`PUT …/settings/transformations/workers/{script}`). */
export interface UrlTransformations {
  enabled: boolean
  allowed_origins?: string[]
}
