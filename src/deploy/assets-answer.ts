/**
 * The assets upload session's answer, passed from the upload (deploy/steps.ts) to the diff
 * (deploy/diff.ts): how many of the manifest's contents Cloudflare does not hold yet. The upload
 * registers itself when it starts; the diff, once its reads are done, waits for the answer only
 * if an upload was started by then. In strict mode and on the script upload the diff is shown
 * before any write, so no upload has started and it says the figure is not known yet; a dry run
 * has none either. Nothing ever waits for an upload that was not started.
 */
import type { AssetsUploadProgress } from '../assets/progress.js'
import type { BuiltVersion } from '../version/build.js'

type Manifest = NonNullable<BuiltVersion['assets']>

interface Pending {
  answer: Promise<number>
  resolve: (toUpload: number) => void
  reject: (error: unknown) => void
}

/** Keyed by the build's manifest: one per build, so a later build (watch mode) never sees an earlier one's answer. */
const pending = new WeakMap<Manifest, Pending>()

/**
 * Called by the assets upload when it starts; returns what it calls on each progress report (the
 * first one follows the session's answer) and on failure.
 */
export function assetsUploadStarted(manifest: Manifest): {
  progress: (p: AssetsUploadProgress) => void
  failed: (error: unknown) => void
} {
  let resolve!: (n: number) => void
  let reject!: (e: unknown) => void
  const answer = new Promise<number>((res, rej) => {
    resolve = res
    reject = rej
  })
  answer.catch(() => undefined)
  pending.set(manifest, { answer, resolve, reject })
  return {
    // Later reports resolve nothing more: a promise settles once, with the first session's answer.
    progress: (p) => resolve(p.filesToUpload),
    failed: (error) => reject(error),
  }
}

/** The answer of the upload started for `manifest`, or undefined when none was started. */
export function assetsAnswerOf(manifest: Manifest): Promise<number> | undefined {
  return pending.get(manifest)?.answer
}
