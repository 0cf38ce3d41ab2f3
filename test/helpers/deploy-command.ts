import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { cloudflare } from '@cloudflare/vite-plugin'
import { createBuilder } from 'vite'
import type { Emulator } from '../../src/emulator/index.js'
import { caEnvironment } from './emulator.js'
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
export async function runCli(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
  cli = CLI,
): Promise<CliRun> {
  const home = await mkdtemp(join(tmpdir(), 'deploy-command-home-'))
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [cli, ...args],
      {
        cwd,
        env: { PATH: process.env.PATH ?? '', HOME: home, NO_COLOR: '1', ...env },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolvePromise({ code, stdout, stderr })
      },
    )
  })
}

/** The variables that point the command at the emulator. */
export function emulatorEnv(
  emulator: Emulator,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    // An emulator serving HTTPS: the command trusts its CA as the tests do (nothing for plain HTTP).
    ...caEnvironment(emulator),
    CLOUDFLARE_API_BASE_URL: emulator.url,
    CLOUDFLARE_API_TOKEN: emulator.token,
    CLOUDFLARE_ACCOUNT_ID: emulator.accountId,
    ...extra,
  }
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

/**
 * Build Output v0 of test/fixtures/build-output-worker, as `buildOutput: true` writes it from a Rollup
 * build (a dry run: nothing is sent): Worker "bo-out" with a var, a KV namespace, a wasm module, a
 * lazy chunk and static assets.
 */
export async function rollupBuildOutput(): Promise<string> {
  const { rollup } = await import('rollup')
  const { default: rollupPlugin } = await import('../../src/rollup.js')
  const fixture = join(TEST_ROOT, 'fixtures/build-output-worker')
  const root = await tempDir('deploy-bo-rollup')
  await cp(join(fixture, 'public'), join(root, 'public'), { recursive: true })
  const version = {
    compatibility_date: '2025-01-01',
    bindings: [
      { type: 'plain_text', name: 'GREETING', text: 'hello from a var' },
      { type: 'kv_namespace', name: 'KV', namespace_id: '0123456789abcdef0123456789abcdef' },
    ],
  }
  const bundle = await rollup({
    input: join(fixture, 'src/index.js'),
    logLevel: 'silent',
    plugins: [
      rollupPlugin({
        root,
        worker: 'bo-out',
        version,
        assets: { directory: 'public', binding: 'ASSETS' },
        buildOutput: true,
        logLevel: 'silent',
        gitAnnotations: false,
      } as never),
    ],
  })
  try {
    await bundle.write({ dir: join(root, 'dist'), format: 'es', sourcemap: true })
  } finally {
    await bundle.close()
  }
  // The build's own dry run wrote its request.json: the tree is what the command deploys.
  await rm(join(root, '.workers-version'), { recursive: true })
  return root
}

/** Build Output v1 of test/fixtures/build-output-wrangler as `wrangler build` 4.164 writes it, offline (Worker "bo-wrangler"). */
export async function wranglerBuildOutput(): Promise<string> {
  const root = await tempDir('deploy-bo-wrangler')
  await cp(join(TEST_ROOT, 'fixtures/build-output-wrangler'), root, { recursive: true })
  await cp(join(WORKER_FIXTURE, 'src/add.wasm'), join(root, 'src/add.wasm'))
  const home = await mkdtemp(join(tmpdir(), 'wrangler-home-'))
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_CONFIG_HOME: home,
    CI: 'true',
    WRANGLER_SEND_METRICS: 'false',
    CLOUDFLARE_API_BASE_URL: 'http://127.0.0.1:9/client/v4',
  }
  const wrangler = resolve(import.meta.dirname, '../../node_modules/wrangler/bin/wrangler.js')
  await new Promise<void>((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [wrangler, 'build', '--experimental-new-config', '--experimental-cf-build-output'],
      { cwd: root, env },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`wrangler build failed:\n${stdout}\n${stderr}`))
          : resolvePromise(),
    )
  })
  return root
}

/**
 * The full-stack app's entry Worker built by `vite build` with @cloudflare/vite-plugin writing Build
 * Output (test/fixtures/vite-build-output's cloudflare.config.ts, `cfBuildOutput`), no plugin of ours:
 * Worker "fullstack-bo". The stale wrangler.jsonc stays beside it.
 */
export async function viteBuildOutput(): Promise<string> {
  const root = await copyFixture('vite-fullstack')
  await rm(join(root, 'aux'), { recursive: true })
  await rm(join(root, 'vite.config.js'))
  await cp(
    join(TEST_ROOT, 'fixtures/vite-build-output/cloudflare.config.ts'),
    join(root, 'cloudflare.config.ts'),
  )
  const builder = await createBuilder({
    root,
    configFile: false,
    logLevel: 'silent',
    plugins: [
      cloudflare({
        inspectorPort: false,
        persistState: false,
        experimental: { newConfig: { cfBuildOutput: true, types: { generate: false } } },
      }),
    ],
  })
  await builder.buildApp()
  return root
}
