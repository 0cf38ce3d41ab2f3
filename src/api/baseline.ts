/**
 * The versions baseline (`readBaseline`: the Worker's newest version number before this build's
 * first send) read together with the Worker's other reads, instead of in a round trip of its own
 * between them and the send. Measured on bench/network.mjs's model, that round trip was one of the
 * four after the handshakes on a Worker deploy's critical path.
 *
 * Reading it earlier keeps what the baseline proves: every version numbered up to it was stored
 * before this build's request left, because the read has ended before the send starts. What widens
 * is the window in which another build could store a version of exactly this build's modules and
 * metadata (the one case the lookup cannot tell apart, `findCreatedVersion`): from the instant
 * between the read and the send to the bundler's remaining work, bounded by the age after which the
 * Worker's state is read again.
 */
import { type ApiCallContext, withApi } from './request.js'
import type { ApiSession } from './retry.js'
import { readBaseline, type VersionBaseline } from './versions.js'

/**
 * Starts reading the baseline of `worker` into `ctx.baselines`, when the context has that store.
 * Not awaited by the caller: a failure is left for the send, which then reads it itself.
 */
export function readBaselineEarly(ctx: ApiCallContext, worker: string): void {
  // Without an account yet the send reads it itself (its own request names the missing account).
  if (!ctx.baselines || !ctx.accountId) return
  const read = withApi(ctx, (session) => readBaseline(session, ctx.accountId, worker))
  read.catch(() => undefined)
  ctx.baselines.set(worker, read)
}

/**
 * The baseline for a send about to start: the one read early when there is one (taken, so a later
 * send reads its own), otherwise read now on the send's session. An early read that failed is
 * read again: without a baseline no lost response could ever be recovered.
 */
export async function baselineForSend(
  ctx: Pick<ApiCallContext, 'baselines'>,
  session: ApiSession,
  accountId: string,
  worker: string,
): Promise<VersionBaseline | undefined> {
  const early = ctx.baselines?.get(worker)
  ctx.baselines?.delete(worker)
  if (early) {
    // An early read's waits do not hold the process open (`background`): this wait does.
    const handle = setInterval(() => undefined, 2 ** 30)
    try {
      return await early
    } catch {
      // Read again below.
    } finally {
      clearInterval(handle)
    }
  }
  return readBaseline(session, accountId, worker)
}
