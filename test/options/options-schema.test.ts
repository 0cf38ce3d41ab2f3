import { describe, expect, test } from 'vitest'
import { WorkersVersionError } from '../../src/core/errors.js'
import { parseOptions } from '../../src/options/options-schema.js'

function messageOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(WorkersVersionError)
    expect((error as WorkersVersionError).code).toBe('INVALID_OPTIONS')
    return (error as Error).message
  }
  throw new Error('expected INVALID_OPTIONS')
}

// Options the hand-written check in options/index.ts rejects today, with the line it prints.
const BAD: Array<[options: unknown, line: string]> = [
  [null, 'workersVersion() takes an options object, got null.'],
  [[], 'workersVersion() takes an options object, got an array.'],
  [
    { sourcemap: false },
    'sourcemap: is not an option of workersVersion(); did you mean `sourcemaps`?',
  ],
  [{ worker: '' }, 'worker: expected a non-empty string, got ""'],
  [{ worker: '  ' }, 'worker: expected a non-empty string, got "  "'],
  [{ outputDir: 3 }, 'outputDir: expected a non-empty string, got 3'],
  [{ sourcemaps: 'yes' }, 'sourcemaps: expected true or false, got "yes"'],
  [
    { wrangler: 1 },
    'wrangler: expected true or false, got 1 or expected a non-empty string, got 1',
  ],
  [
    { types: null },
    'types: expected true or false, got null or expected a non-empty string, got null',
  ],
  [{ version: [] }, 'version: expected an object, got an array'],
  [{ onVersion: 'log' }, 'onVersion: expected a function, got "log"'],
  [{ rules: {} }, 'rules: expected an array, got an object'],
  [{ rules: [1] }, 'rules[0]: expected { test, type }'],
  [
    { rules: [{ test: [], type: 'text/plain' }] },
    'rules[0].test: expected a glob, a RegExp, or an array of them',
  ],
  [
    { rules: [{ test: '*.md', type: true }] },
    'rules[0].type: expected a content type string, or false to leave the files out',
  ],
  [{ rules: [{}] }, 'rules[0].test: expected a glob, a RegExp, or an array of them'],
  [
    { rules: [{ test: '*.md' }] },
    'rules[0].type: expected a content type string, or false to leave the files out',
  ],
  [{ logLevel: 'debug' }, "logLevel: expected 'info', 'warn' or 'silent', got \"debug\""],
  [{ secrets: { keep: [] } }, 'secrets.keep: is not an option (known: inherit, fromEnv)'],
  [{ secrets: { inherit: 'A' } }, 'secrets.inherit: expected an array of secret names'],
  [{ secrets: { fromEnv: [1] } }, 'secrets.fromEnv: expected an array of secret names'],
  [{ network: 5 }, 'network: expected an object, got 5'],
  [{ network: { timeout: {} } }, 'network.timeout: is not an option; did you mean `timeouts`?'],
  [{ network: { retries: 3 } }, 'network.retries: expected an object, got 3'],
  [
    { network: { timeouts: { connect: 1 } } },
    'network.timeouts.connect: is not an option; did you mean `connectMs`?',
  ],
  [
    { network: { timeouts: { connectMs: -1 } } },
    'network.timeouts.connectMs: expected a non-negative whole number, got -1',
  ],
  [
    { network: { retries: { attempts: 0 } } },
    'network.retries.attempts: expected a positive whole number, got 0',
  ],
  [
    { network: { retries: { maxDelayMs: 1.5 } } },
    'network.retries.maxDelayMs: expected a non-negative whole number, got 1.5',
  ],
]

describe('parseOptions', () => {
  test.each(BAD)('%j is rejected with the message the hand-written check gave', (options, line) => {
    expect(messageOf(() => parseOptions(options))).toContain(line)
  })

  test('lists every problem in the order the options were written', () => {
    const message = messageOf(() =>
      parseOptions({ sourcemap: false, outputDir: 3, logLevel: 'loud', worker: 'w' }),
    )
    expect(message).toMatch(
      /^Invalid workersVersion\(\) options \(3 problems\):\n {2}- sourcemap: [^\n]+\n {2}- outputDir: [^\n]+\n {2}- logLevel: /,
    )
  })

  test('valid options, undefined values and the coming options pass', () => {
    expect(() =>
      parseOptions({
        worker: 'w',
        version: {},
        secrets: { inherit: ['A'], fromEnv: [] },
        wrangler: 'wrangler.toml',
        types: true,
        rules: [{ test: [/x/, '*.md'], type: false }],
        network: { timeouts: { connectMs: 0 }, retries: { attempts: 1 } },
        logLevel: 'silent',
        onVersion: () => {},
        mainModule: undefined,
        sourcemap: undefined,
        promote: 100,
        preflight: false,
        createWorker: true,
        gitAnnotations: true,
        assets: {
          directory: 'public',
          binding: 'ASSETS',
          maxFiles: 20000,
          concurrency: 4,
          allowDotfiles: ['.env.example'],
        },
      }),
    ).not.toThrow()
    expect(() => parseOptions({ promote: true, assets: false })).not.toThrow()
    expect(() => parseOptions({ promote: 1 })).not.toThrow()
  })

  test.each([0, 101, -5, 2.5, '50'])(
    'promote: %j names promote and the allowed values',
    (promote) => {
      expect(messageOf(() => parseOptions({ promote }))).toContain(
        `promote: expected true, false, a whole percentage from 1 to 100 or a gated rollout { steps, interval, … }, got ${typeof promote === 'string' ? `"${promote}"` : promote}`,
      )
    },
  )

  test.each([
    [{ preflight: 'no' }, 'preflight: expected true or false, got "no"'],
    [{ createWorker: 1 }, 'createWorker: expected true or false, got 1'],
    [{ gitAnnotations: null }, 'gitAnnotations: expected true or false, got null'],
    [{ assets: true }, 'assets: expected an object or false, got true'],
    [{ assets: 'public' }, 'assets: expected an object or false, got "public"'],
    [{ assets: { directory: '' } }, 'assets.directory: expected a non-empty string, got ""'],
    [{ assets: { maxFiles: 0 } }, 'assets.maxFiles: expected a positive whole number, got 0'],
    [
      { assets: { concurrency: 1.5 } },
      'assets.concurrency: expected a positive whole number, got 1.5',
    ],
    [
      { assets: { allowDotfiles: '.env' } },
      'assets.allowDotfiles: expected an array of file names or patterns',
    ],
    [
      { assets: { dir: 'x' } },
      'assets.dir: is not an option (known: directory, binding, maxFiles, concurrency, allowDotfiles)',
    ],
  ])('%j', (options, line) => {
    expect(messageOf(() => parseOptions(options))).toContain(line)
  })
})
