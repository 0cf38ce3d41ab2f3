import { spawn } from 'node:child_process'
import { join } from 'node:path'
import type { Emulator } from '../../src/emulator/index.js'
import { caEnvironment } from './emulator.js'

/** A user's build in a process of its own, so that a signal, the output and the exit are a user's. */
export interface BuildProcess {
  /** Stdout and stderr so far, interleaved as they came. */
  output: () => string
  /** Resolves once `text` has been printed. */
  printed: (text: string) => Promise<void>
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  kill: (signal: NodeJS.Signals) => void
}

/**
 * Runs `test/upload/build-script.mjs` (the published dist entry): a build of `input` in `dir` that
 * uploads as `worker` to the emulator (no preflight, no git annotations) with the plugin options
 * `extra`, without colours; the token reaches the child by its environment, as a user's CI passes it.
 */
export function spawnBuild(
  emulator: Emulator,
  dir: string,
  worker: string,
  input: string,
  extra: Record<string, unknown> = {},
): BuildProcess {
  const spec = {
    input,
    outDir: join(dir, 'dist'),
    options: {
      worker,
      upload: true,
      outputDir: join(dir, '.workers-version'),
      preflight: false,
      gitAnnotations: false,
      version: { compatibility_date: '2025-01-01' },
      ...extra,
    },
  }
  const { FORCE_COLOR: _forceColor, ...inherited } = process.env
  const child = spawn(process.execPath, [join(import.meta.dirname, '../upload/build-script.mjs')], {
    env: {
      ...inherited,
      BUILD_SPEC: JSON.stringify(spec),
      CLOUDFLARE_API_TOKEN: emulator.token,
      CLOUDFLARE_ACCOUNT_ID: emulator.accountId,
      CLOUDFLARE_API_BASE_URL: emulator.url,
      ...caEnvironment(emulator),
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const waiting: Array<{ text: string; resolve: () => void }> = []
  const take = (chunk: Buffer) => {
    output += chunk.toString()
    for (const wait of waiting.filter((w) => output.includes(w.text))) wait.resolve()
  }
  child.stdout.on('data', take)
  child.stderr.on('data', take)
  return {
    output: () => output,
    printed: (text) =>
      output.includes(text)
        ? Promise.resolve()
        : new Promise((resolve) => waiting.push({ text, resolve })),
    exit: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    kill: (signal) => child.kill(signal),
  }
}
