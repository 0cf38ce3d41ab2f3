/**
 * What the emulator served through a deployment's split: for each request, the Worker, the version
 * that answered and when, and whether it was an error. Cloudflare counts `errors` as invocations
 * that did not end well (an uncaught exception, exceeded resources); workerd answers an uncaught
 * exception with a 500, which the emulator cannot tell from a 500 the Worker returns itself, so
 * every answer from 500 up counts as an error here: never fewer errors than the platform counts.
 */
export interface Invocation {
  account: string
  script: string
  versionId: string
  at: number
  status: number
}

export class InvocationLog {
  readonly #entries: Invocation[] = []

  record(entry: Invocation): void {
    this.#entries.push(entry)
  }

  /** Requests and errors per version of `script`, in [start, end] (milliseconds since the epoch). */
  sums(
    account: string,
    script: string,
    start: number,
    end: number,
  ): Map<string, { requests: number; errors: number }> {
    const sums = new Map<string, { requests: number; errors: number }>()
    for (const e of this.#entries) {
      if (e.account !== account || e.script !== script || e.at < start || e.at > end) continue
      const sum = sums.get(e.versionId) ?? { requests: 0, errors: 0 }
      sum.requests++
      if (e.status >= 500) sum.errors++
      sums.set(e.versionId, sum)
    }
    return sums
  }

  all(): readonly Invocation[] {
    return this.#entries
  }
}
