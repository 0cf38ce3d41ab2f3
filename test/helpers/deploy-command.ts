import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { cloudflare } from '@cloudflare/vite-plugin'
import { createBuilder } from 'vite'
import type { Emulator } from '../../src/emulator/index.js'
import { TEST_ROOT, WORKER_FIXTURE, copyFixture, tempDir } from './fixture.js'

/** The package's command line as built (`npm run build`), run as `npx unplugin-workers-version` runs it. */
export const CLI = resolve(import.meta.dirname, '../../dist/cli.js')

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/**
 * `unplugin-workers-version <args>` in `cwd`, with only the variables given (and PATH, and a fresh
 * HOME): no CI variable of the machine running the tests leaks in.
 */
export async function runCli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  const home = await mkdtemp(join(tmpdir(), 'deploy-command-home-'))
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: home, NO_COLOR: '1', ...env }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolvePromise({ code, stdout, stderr })
    })
  })
}

/** The variables that point the command at the emulator. */
export function emulatorEnv(emulator: Emulator, extra: Record<string, string> = {}): Record<string, string> {
  return { CLOUDFLARE_API_BASE_URL: emulator.url, CLOUDFLARE_API_TOKEN: emulator.token, CLOUDFLARE_ACCOUNT_ID: emulator.accountId, ...extra }
}

/** `vite build` of a project as its own vite.config sets it up (no plugin of ours). */
export async function viteBuild(root: string): Promise<void> {
  const builder = await createBuilder({ root, logLevel: 'silent' })
  await builder.buildApp()
}

/**
 * The full-stack fixture built by `vite build` with @cloudflare/vite-plugin alone: it writes
 * `.wrangler/deploy/config.json` pointing at the generated `dist/fullstack/wrangler.json` (with
 * `no_bundle`) and its auxiliary Worker's `dist/fullstack_aux/wrangler.json`.
 */
export async function builtFullstack(): Promise<string> {
  const root = await copyFixture('vite-fullstack')
  await viteBuild(root)
  return root
}

/**
 * The module fixture Worker (a wasm, a text and a data module, a lazy chunk) built by `vite build` with
 * @cloudflare/vite-plugin and test/fixtures/vite-cloudflare's wrangler.jsonc, in a project of its own.
 */
export async function builtModulesWorker(): Promise<string> {
  const dir = await tempDir('deploy-modules')
  await cp(join(WORKER_FIXTURE, 'src'), join(dir, 'worker/src'), { recursive: true })
  const root = join(dir, 'app')
  await mkdir(root)
  await cp(join(TEST_ROOT, 'fixtures/vite-cloudflare/wrangler.jsonc'), join(root, 'wrangler.jsonc'))
  const builder = await createBuilder({
    root,
    configFile: false,
    logLevel: 'silent',
    build: { sourcemap: true },
    plugins: [cloudflare({ inspectorPort: false, persistState: false })],
  })
  await builder.buildApp()
  return root
}
