import { printableLine } from '../core/printable.js'

/** Where the plugin's lines go; errors are never logged here, they fail the build. */
export interface Logger {
  info(line: string): void
  warn(line: string): void
  /** Nothing is printed at all: live output (the assets progress line) stays quiet too. */
  silent(): boolean
}

export type LogLevel = 'info' | 'warn' | 'silent'

/** The plugin's log level from the bundler's: only its silence is followed (esbuild's API defaults to 'warning'). */
export function logLevelOf(bundlerLevel: string | undefined): LogLevel {
  return bundlerLevel === 'silent' || bundlerLevel === 'error' || bundlerLevel === 'none'
    ? 'silent'
    : 'info'
}

/**
 * Console output at a level read on every line, so a level learnt later (from the bundler) applies.
 * Each line goes through `printableLine`: a server or CI value that reached it unquoted still
 * cannot drive the terminal or the CI log.
 */
export function createLogger(level: () => LogLevel): Logger {
  return {
    info: (line) => {
      if (level() === 'info') console.log(printableLine(line))
    },
    warn: (line) => {
      if (level() !== 'silent') console.warn(printableLine(line))
    },
    silent: () => level() === 'silent',
  }
}
