/** The fault queue: tests queue failures that the next matching requests suffer, in order. */
import type { Fault } from './types.js'

export class FaultQueue {
  #queue: Fault[] = []

  push(...faults: Fault[]): void {
    this.#queue.push(...faults)
  }

  clear(): void {
    this.#queue = []
  }

  /** Removes and returns the first queued fault that matches; later faults keep their order. */
  take(method: string, path: string): Fault | undefined {
    const index = this.#queue.findIndex((fault) => matches(fault, method, path))
    if (index < 0) return undefined
    return this.#queue.splice(index, 1)[0]
  }
}

function matches(fault: Fault, method: string, path: string): boolean {
  const match = fault.match
  if (match?.method !== undefined && match.method.toUpperCase() !== method.toUpperCase())
    return false
  if (match?.path !== undefined) {
    match.path.lastIndex = 0 // a /g or /y pattern would otherwise remember its last position
    if (!match.path.test(path)) return false
  }
  return true
}

/** What a gateway in front of the API answers when the origin is down: HTML, not JSON. */
export function gatewayPage(status: number): string {
  return `<!DOCTYPE html>
<html><head><title>${status} | Bad gateway</title></head>
<body><h1>Error ${status}</h1><p>The web server reported a bad gateway error.</p>
<p>cloudflare (local emulator)</p></body></html>
`
}
