import { printableLine } from './printable.js'

/**
 * The one error type the plugin throws for problems the user can fix.
 * `code` is stable for tests and tooling; `message` says what to do next.
 */
export class WorkersVersionError extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    // Messages quote server and CI values: none may drive the terminal or the CI log it is printed to.
    super(printableLine(message), options)
    this.name = 'WorkersVersionError'
    this.code = code
    // Vite and Rollup print an error's stack: for a problem the user fixes in their config the
    // plugin's call stack is noise that buries the message, so the stack is the message alone.
    this.stack = `${this.name}: ${this.message}`
  }
}
