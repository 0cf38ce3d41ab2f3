/**
 * What the Worker looks like before anything is sent, and how a background read of it is awaited.
 * Which parts are read is decided once, by `workerReads` (plan/reads.ts).
 */
import {
  currentDeployment,
  currentMigrationTag,
  getWorker,
  listSecrets,
  readBaselineEarly,
  type ApiCallContext,
  type Deployment,
} from '../api/index.js'
import type { UploadPlan } from '../plan/index.js'
import { workerReads } from '../plan/reads.js'

/** What the Worker looks like before the version is created: read in parallel, in one round trip. */
export interface WorkerState {
  isNew: boolean
  current?: Deployment
  migrationTag?: string
  secrets: string[]
}

/**
 * A state read earlier than this before it is used is read again: it is meant to hide the
 * reads behind the bundler's work, not to act on what the Worker looked like minutes ago.
 */
export const EARLY_STATE_MAX_AGE_MS = 60_000

/** Whether a state read at `readAt` may still be acted on at `now`. */
export function isFresh(readAt: number, now: number): boolean {
  return now - readAt <= EARLY_STATE_MAX_AGE_MS
}

/** The Worker's existence, current deployment, migration tag and secrets, each read only when needed. */
export async function readWorker(ctx: ApiCallContext, plan: UploadPlan): Promise<WorkerState> {
  const worker = plan.target.worker
  const reads = workerReads(plan)
  // Started with the reads, taken by the send (api/baseline.ts); a Preview sends no version body.
  if (!plan.preview) readBaselineEarly(ctx, worker)
  const [info, current, migrationTag, secrets] = await Promise.all([
    getWorker(ctx, worker),
    reads.deployment ? currentDeployment(ctx, worker) : undefined,
    reads.migrationTag ? currentMigrationTag(ctx, worker) : undefined,
    reads.secrets ? listSecrets(ctx, worker) : [],
  ])
  return { isNew: info === undefined, current, migrationTag, secrets: secrets.map((s) => s.name) }
}

/**
 * Awaits a background read. Its timers do not keep the process running, and a pending promise
 * does not either: without a handle of its own the process could end mid-upload, silently.
 */
export async function holdingProcessOpen<T>(promise: Promise<T>): Promise<T> {
  const handle = setInterval(() => undefined, 2 ** 30)
  try {
    return await promise
  } finally {
    clearInterval(handle)
  }
}
