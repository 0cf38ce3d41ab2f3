/** Public types of the local Cloudflare API emulator. */
import type { StoredPreview, StoredPreviewDeployment } from './previews.js'

export type { StoredPreview, StoredPreviewDeployment }

import type { VersionBinding, VersionModule } from '../workerd/types.js'
export type { RunnableVersionBody, VersionBinding, VersionModule } from '../workerd/types.js'

export interface AssetsEmulatorOptions {
  /** Files per bucket in an upload session's answer. Default 100. */
  bucketFiles?: number
  /** Lifetime of upload tokens (their `exp` claim). Default one hour. */
  uploadTokenTtlMs?: number
}

/** A manifest received by `assets-upload-session`. */
export interface RecordedAssetsSession {
  accountId: string
  scriptName: string
  manifest: Record<string, { hash: string; size: number }>
}

/** One bucket upload: the part names (hashes) and content types it carried, and the status answered. */
export interface RecordedAssetsUpload {
  accountId: string
  hashes: string[]
  contentTypes: string[]
  status: number
}

/** The static assets side of the emulator: what it received and fault injection. */
interface EmulatorAssets {
  sessions: RecordedAssetsSession[]
  uploads: RecordedAssetsUpload[]
  /** Hashes the account holds (uploaded in any session), sorted. */
  heldHashes(accountId?: string): string[]
  /** Marks files as already held, as if uploaded earlier (benchmarks, dedupe tests). */
  hold(files: { hash: string; bytes: Buffer }[], accountId?: string): void
  /** Forgets every file the account holds. */
  forget(accountId?: string): void
  /**
   * Fault: the next upload token issued stops working after `afterUploads` accepted bucket
   * uploads (401 as for an expired token) and/or gets an `exp` claim `ttlMs` from now.
   */
  expireNextUploadToken(fault: { afterUploads?: number; ttlMs?: number }): void
}

export interface EmulatorOptions {
  /** Port on 127.0.0.1; 0 or undefined picks a free one. */
  port?: number
  /**
   * Accepted Bearer token (and accepted X-Auth-Key), printable ASCII. Default: a random one for
   * each run (read it from `emulator.token`), so no page a browser opens can guess it.
   */
  token?: string
  /**
   * Serve HTTPS instead of HTTP, with a certificate authority made for this run: its certificate is
   * `emulator.tls.caFile`, to trust through `NODE_EXTRA_CA_CERTS`. The CA may sign only loopback
   * names, and its key never leaves the emulator's memory. Default false.
   */
  tls?: boolean
  /** The only account id that routes. Default `'local-account'`. */
  accountId?: string
  /**
   * The accounts `GET /accounts` lists for the token (as a token that can see several accounts
   * does); only `accountId` routes. Default: that one account, named "Emulator account".
   */
  accounts?: Array<{ id: string; name: string }>
  /**
   * `GET /memberships` lists a membership for each of `accounts`; with this set it answers 403 (code 9106)
   * instead, as wrangler expects of a token that may not read memberships. Default false.
   */
  membershipsHidden?: boolean
  /** Run each version in workerd via Miniflare and serve it on an origin of its own, `http://<id8>-<worker>.localhost:<port>/` (`https://` with `tls`). Default true. */
  preview?: boolean
  /**
   * Create a Worker on its first version upload. Off by default, like the real API: a version for a
   * Worker that was not created first (`POST …/workers/workers`) is a 404 (code 10007).
   */
  autoCreateWorkers?: boolean
  /**
   * An account created recently: like such accounts on the platform, it refuses migrations that
   * create key-value-backed Durable Objects (`new_classes`, code 10099). Default false.
   */
  newAccount?: boolean
  /**
   * How many Miniflare instances of versions that are not deployed stay running (least recently used
   * first out); the versions of each Worker's current deployment always stay up. An evicted version
   * restarts lazily on its next request. Default 2.
   */
  maxRunning?: number
  /** Picks the traffic bucket of a Worker-level request, in [0, 1). Default `Math.random`; tests pass their own. */
  trafficRandom?: () => number
  /** Request body limit; larger uploads get 413 / code 10027. Default 100 MB (the Free/Pro limit). */
  maxBodyBytes?: number
  /** One line per request: method, path, status. Never tokens or bodies. */
  log?: (line: string) => void
  /** Static assets endpoints: bucket size and upload token lifetime. */
  assets?: AssetsEmulatorOptions
  /** Zones of the account, for routes and Custom Domains (`id` defaults to a hash-like id). Default none. */
  zones?: Array<{ name: string; id?: string }>
  /** Queues of the account, for queue consumers (`id` defaults to a generated one). Default none. */
  queues?: Array<{ name: string; id?: string }>
  /** The account's workers.dev subdomain (`GET …/workers/subdomain`). Default `'emulator'`. */
  workersDevSubdomain?: string
}

export interface EmulatorZone {
  id: string
  name: string
}

export interface EmulatorRoute {
  id: string
  zone_id: string
  pattern: string
  script: string
}

export interface EmulatorCustomDomain {
  id: string
  hostname: string
  zone_id: string
  zone_name: string
  service: string
  environment: string
  enabled: boolean
  previews_enabled: boolean
}

export interface EmulatorQueueConsumer {
  consumer_id: string
  type: 'worker'
  script: string
  settings: Record<string, unknown>
  dead_letter_queue?: string
  created_on: string
}

export interface EmulatorQueue {
  accountId: string
  queue_id: string
  queue_name: string
  consumers: EmulatorQueueConsumer[]
}

export interface EmulatorWorkflow {
  id: string
  name: string
  script_name: string
  class_name: string
  created_on: string
  modified_on: string
  [field: string]: unknown
}

/** What deploys attached to Workers beyond their versions: routes, Custom Domains, queue consumers, Workflows. */
export interface EmulatorAttachments {
  zones: readonly EmulatorZone[]
  routes: readonly EmulatorRoute[]
  customDomains: readonly EmulatorCustomDomain[]
  queues: readonly EmulatorQueue[]
  /** Keyed by `${accountId}\n${name}`. */
  workflows: ReadonlyMap<string, EmulatorWorkflow>
}

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  /** Lower-cased header names; `authorization` and `x-auth-key` are `'[REDACTED]'`. */
  headers: Record<string, string>
  /** Parsed JSON when it parses, raw text otherwise, `undefined` when never read (dropped, refused before the body) or too large. */
  body: unknown
  /** The client's port on 127.0.0.1: which connection the request came on (a proxy's tunnel, say). */
  remotePort: number
  /** HTTP status sent; 0 when the socket was destroyed without an answer. */
  status: number
}

export interface StoredVersion {
  id: string
  number: number
  created_on: string
  worker: string
  accountId: string
  /** Whether the upload asked for `?deploy=true`. */
  deploy: boolean
  annotations: Record<string, string>
  /** Absent for an assets-only version. */
  main_module?: string
  /** As uploaded (secret values included: only the API responses hide them). */
  bindings: VersionBinding[]
  compatibility_date?: string
  compatibility_flags?: string[]
  modules: VersionModule[]
  /** Preview URLs (empty when preview is off). */
  urls: string[]
  startup_time_ms: number
  /** The whole request body, for tests that need fields the emulator does not model. */
  request: Record<string, unknown>
  /** The asset set (manifest) of the version's `assets.jwt`, when it had one (JSON Create Version only). */
  assetsManifest?: Record<string, { hash: string; size: number }>
}

export interface StoredWorker {
  id: string
  name: string
  created_on: string
  updated_on: string
  /** The Durable Object migration tag of the script; set by a script upload that applies migrations. */
  migration_tag?: string
  /** workers.dev and Preview URLs, as `POST …/scripts/:s/subdomain` set them (both off for a new Worker). */
  subdomain: { enabled: boolean; previews_enabled: boolean }
  /** What `PATCH …/script-settings` set (observability, logpush, tail_consumers, tags). */
  settings?: Record<string, unknown>
  /** Cron Triggers, as `PUT …/schedules` set them. */
  schedules?: Array<{ cron: string; created_on: string; modified_on: string }>
}

/** One version's share of a deployment. */
export interface DeploymentVersion {
  version_id: string
  percentage: number
}

/** One cohort of a `strategy: "cohorts"` deployment: the split of the requests that name it. */
export interface DeploymentCohort {
  name: string
  versions: DeploymentVersion[]
}

export interface StoredDeployment {
  id: string
  created_on: string
  source: string
  strategy: 'percentage' | 'cohorts'
  author_email: string
  /** The split of the requests of no cohort (all of them in a percentage deployment). */
  versions: DeploymentVersion[]
  cohorts?: DeploymentCohort[]
  annotations: Record<string, string>
}

export type FaultMatch = { method?: string; path?: RegExp }

export type Fault = { match?: FaultMatch } & (
  | { kind: 'status'; status: number; retryAfter?: number; body?: unknown }
  | { kind: 'drop' }
  /** The work is done but the answer never comes; `storeAfterMs`: the connection is cut at once and the work done that much later, as by a server still busy with a request its client gave up on. */
  | { kind: 'lose-response'; storeAfterMs?: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'non-json'; status?: number }
)

export interface Emulator {
  /** API base, e.g. `http://127.0.0.1:PORT/client/v4` (`https://` with `tls`). */
  url: string
  /** Origin of the server, e.g. `http://127.0.0.1:PORT`. */
  origin: string
  /** The API token: the one given, or the random one of this run. */
  token: string
  /** With `tls`: the CA certificate (PEM) that signed the server's, and the file holding it (removed on close). */
  tls?: { ca: string; caFile: string }
  accountId: string
  requests: RecordedRequest[]
  versions(worker: string, accountId?: string): StoredVersion[]
  /** Newest first, like `GET …/deployments`. */
  deployments(worker: string, accountId?: string): StoredDeployment[]
  /** The Worker as stored (with its `migration_tag`), or undefined. */
  worker(worker: string, accountId?: string): StoredWorker | undefined
  /** The Worker's Previews, oldest first. */
  previews(worker: string, accountId?: string): StoredPreview[]
  /** A Preview's deployments, newest first (secret values included: only API answers hide them). */
  previewDeployments(previewId: string): StoredPreviewDeployment[]
  /** Sets when a Preview and its deployments were made (ISO 8601), so a test can age them without waiting. */
  setPreviewCreatedOn(previewId: string, createdOn: string): void
  /** Sets the Worker's Preview defaults (its `previews_base_config.env`), which every deployment's `env` goes over. */
  setPreviewDefaults(
    worker: string,
    env: Record<string, Omit<VersionBinding, 'name'>>,
    accountId?: string,
  ): void
  /** Version ids whose workerd instance is running or starting right now. */
  runningVersions(): string[]
  /** Queue faults; each one is consumed by the first later request it matches. */
  injectFaults(...faults: Fault[]): void
  clearFaults(): void
  /** Static assets: recorded manifests and uploads, held files, token expiry faults (524s go through `injectFaults`). */
  assets: EmulatorAssets
  /** Routes, Custom Domains, queues with their consumers, and Workflows, as deploys left them (script settings, workers.dev and schedules are on `worker()`). */
  attachments: EmulatorAttachments
  /** Close the server and dispose every Miniflare instance. */
  close(): Promise<void>
}
