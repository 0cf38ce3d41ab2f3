/**
 * Keeps the Miniflare instances behind preview URLs. Only the most recently used few run at a
 * time (each is a workerd process); an evicted version restarts on its next preview request.
 */
import type { RunningVersion } from './workerd.js'
import type { RunnableVersionBody } from './types.js'

export class PreviewPool {
  /** Insertion order doubles as recency: a used entry is re-inserted at the end. */
  #running = new Map<string, Promise<RunningVersion>>()
  #closed = false
  /** Evictions still shutting down; close() waits for them too. */
  #disposing = new Set<Promise<void>>()

  constructor(readonly maxRunning: number) {}

  /** Starts a version (or returns its running instance); rejects with workerd's startup error. */
  async start(id: string, body: RunnableVersionBody, workerName: string): Promise<RunningVersion> {
    if (this.#closed) throw new Error('The emulator is closing')
    const existing = this.#running.get(id)
    if (existing) {
      this.#touch(id, existing)
      return existing
    }
    const starting = import('./workerd.js').then(({ runVersion }) => runVersion(body, { workerName }))
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
    while (this.#running.size > this.maxRunning) {
      const [oldest, entry] = this.#running.entries().next().value as [string, Promise<RunningVersion>]
      this.#running.delete(oldest)
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
