/**
 * Keeps the Miniflare instances behind preview URLs and Worker-level routes. Each is a workerd
 * process, so only the versions of current deployments (pinned) plus the few most recently used
 * others run at a time; an evicted version restarts on its next request.
 */
import type { MiniflareOptions } from 'miniflare'
import type { RunningVersion } from '../workerd/workerd.js'
import type { RunnableVersionBody } from './types.js'

/** Adds to a version's Miniflare options what the emulator models beyond the version itself. */
export type ExtendOptions = (
  options: MiniflareOptions,
  body: RunnableVersionBody,
) => MiniflareOptions | Promise<MiniflareOptions>

/**
 * An instance id is a version id, or a version id, `#` and what else that instance runs with (a
 * user Worker behind an outbound Worker, say): it is pinned while its version is.
 */
const versionOf = (id: string): string => id.split('#', 1)[0] ?? id

export class VersionPool {
  /** Insertion order doubles as recency: a used entry is re-inserted at the end. */
  #running = new Map<string, Promise<RunningVersion>>()
  #closed = false
  /** Evictions still shutting down; close() waits for them too. */
  #disposing = new Set<Promise<void>>()
  /** Versions that serve a deployment: never evicted while pinned. */
  #pinned = new Set<string>()

  /** `maxRunning`: how many versions that are not pinned stay running; `extend` applies to every start. */
  constructor(
    readonly maxRunning: number,
    private readonly extend?: ExtendOptions,
  ) {}

  /** Replaces the pinned set (after a deployment) and stops what is no longer needed. */
  pin(ids: Set<string>): void {
    this.#pinned = new Set(ids)
    this.#evict()
  }

  /** Ids of the versions running or starting now. */
  running(): string[] {
    return [...this.#running.keys()]
  }

  /**
   * Starts a version (or returns its running instance); rejects with workerd's startup error.
   * `extra` extends this instance's options after the pool's own extension.
   */
  async start(
    id: string,
    body: RunnableVersionBody,
    workerName: string,
    extra?: ExtendOptions,
  ): Promise<RunningVersion> {
    if (this.#closed) throw new Error('The emulator is closing')
    const existing = this.#running.get(id)
    if (existing) {
      this.#touch(id, existing)
      return existing
    }
    const extend = async (options: MiniflareOptions) => {
      const own = this.extend ? await this.extend(options, body) : options
      return extra ? extra(own, body) : own
    }
    const starting = import('../workerd/workerd.js').then(({ runVersion }) =>
      runVersion(body, { workerName, extend }),
    )
    this.#running.set(id, starting)
    starting.catch(() => {
      if (this.#running.get(id) === starting) this.#running.delete(id)
    })
    this.#evict()
    const running = await starting
    // close() may have run while workerd was starting; it could not dispose what did not exist yet.
    if (this.#closed) {
      await running.dispose()
      throw new Error('The emulator is closing')
    }
    return running
  }

  /** Forgets a version whose upload was rejected. */
  async discard(id: string): Promise<void> {
    const entry = this.#running.get(id)
    this.#running.delete(id)
    await disposeQuietly(entry)
  }

  async close(): Promise<void> {
    this.#closed = true
    const entries = [...this.#running.values()]
    this.#running.clear()
    await Promise.all([...entries.map(disposeQuietly), ...this.#disposing])
  }

  #touch(id: string, entry: Promise<RunningVersion>): void {
    this.#running.delete(id)
    this.#running.set(id, entry)
  }

  #evict(): void {
    const unpinned = [...this.#running.keys()].filter((id) => !this.#pinned.has(versionOf(id))) // least recently used first
    for (const id of unpinned.slice(0, Math.max(0, unpinned.length - this.maxRunning))) {
      const entry = this.#running.get(id)
      this.#running.delete(id)
      const disposing = disposeQuietly(entry).finally(() => this.#disposing.delete(disposing))
      this.#disposing.add(disposing)
    }
  }
}

async function disposeQuietly(entry: Promise<RunningVersion> | undefined): Promise<void> {
  if (!entry) return
  try {
    await (await entry).dispose()
  } catch {
    // A version that failed to start has nothing left to dispose.
  }
}
