/**
 * Which parts of the Worker's state an upload reads before it sends anything, decided once from the
 * plan: the plugin context asks it whether the reads can start while the bundler works, the upload's
 * session whether a session opened for one plan serves another, and the read itself what to fetch.
 */
import type { UploadPlan } from './index.js'

export interface WorkerReads {
  /**
   * The current deployment: a gradual rollout splits traffic with it, and a gated rollout steps from
   * it. A plain promote to 100% gives the new version all traffic whatever is deployed, and reads
   * nothing for it.
   */
  deployment: boolean
  /** The Durable Object migration tag: only when the build has migrations (a Preview keeps its own). */
  migrationTag: boolean
  /** The current version's secret names, to keep them: a Preview keeps its own secrets. */
  secrets: boolean
  /**
   * Whether the reads may start as soon as the build starts, while the bundler works. Not for a
   * Preview with preflight (nothing is sent before it has started locally; a version's preflight only
   * explains the API's refusal, and the reads create nothing), nor with static assets (a bad assets
   * directory, found once the bundler has written it, is refused before any request is made), nor
   * before the Worker is named (with `@cloudflare/vite-plugin`, its generated config names it).
   */
  early: boolean
}

export function workerReads(plan: UploadPlan): WorkerReads {
  const hasMigrations = Boolean(plan.migrationSteps) || plan.version.migrations !== undefined
  return {
    deployment: plan.promote !== undefined && (plan.promote < 100 || plan.gatedRollout === true),
    migrationTag: hasMigrations && !plan.preview,
    secrets: !plan.preview,
    // A user Worker in a dispatch namespace is read through the namespace (deploy/namespace.ts), not here.
    early:
      !(plan.preflight && plan.preview) &&
      plan.assets === undefined &&
      plan.target.worker !== '' &&
      plan.dispatch === undefined,
  }
}

/** Whether two plans read the same parts of the Worker's state, so one read serves both. */
export function sameReads(a: UploadPlan, b: UploadPlan): boolean {
  const [x, y] = [workerReads(a), workerReads(b)]
  return (
    x.deployment === y.deployment && x.migrationTag === y.migrationTag && x.secrets === y.secrets
  )
}
