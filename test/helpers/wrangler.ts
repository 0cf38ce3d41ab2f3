import { execFile } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Emulator } from '../../src/emulator/index.js'
import { caEnvironment } from './emulator.js'

/** wrangler 4.164.0, pinned as a dev dependency: what the plugin is cross-checked against. */
export const WRANGLER = resolve(import.meta.dirname, '../../node_modules/wrangler/bin/wrangler.js')

/**
 * Runs the real wrangler CLI against the emulator, offline: the API base URL, token and account
 * point at the emulator, metrics are off, and HOME is a fresh directory; `extraEnv` adds CI variables. Resolves with stdout;
 * rejects with both output streams when wrangler fails.
 */
export async function runWrangler(
  emulator: Emulator,
  args: string[],
  cwd: string,
  extraEnv: Record<string, string> = {},
): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'wrangler-home-'))
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_CONFIG_HOME: home,
    CI: 'true',
    CLOUDFLARE_API_BASE_URL: emulator.url,
    CLOUDFLARE_API_TOKEN: emulator.token,
    CLOUDFLARE_ACCOUNT_ID: emulator.accountId,
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_HIDE_BANNER: 'true',
    ...caEnvironment(emulator),
    ...extraEnv,
  }
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [WRANGLER, ...args],
      { cwd, env, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`wrangler ${args.join(' ')} failed:\n${stdout}\n${stderr}`))
        else resolvePromise(stdout)
      },
    )
  })
}

/**
 * Creates a Worker on the emulator, as a first `wrangler deploy` or the dashboard would: since 4.87
 * `wrangler versions upload` refuses a Worker that does not exist yet, before sending anything.
 */
export async function createWorkerOn(emulator: Emulator, name: string): Promise<void> {
  const response = await fetch(`${emulator.url}/accounts/${emulator.accountId}/workers/workers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  })
  if (!response.ok)
    throw new Error(
      `creating Worker ${name} failed: HTTP ${response.status} ${await response.text()}`,
    )
}
