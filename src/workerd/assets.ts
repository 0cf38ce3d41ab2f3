/**
 * The assets of a version body, for Miniflare. The files behind an `assets.jwt` live in whatever
 * issued the token (the local API emulator, when one runs in this process): it registers itself in
 * `ASSETS_SOURCES`, so this code, shared by preflight and the emulator, needs no import of it.
 */
import type { VersionModule } from './types.js'

/** Something that holds uploaded assets and can lay out the files a completion token stands for. */
export interface AssetsSource {
  directoryFor(jwt: string, modules: VersionModule[]): Promise<string> | undefined
}

/** Every open emulator's assets, so a version run (which only has the version body) can find its files. */
export const ASSETS_SOURCES = new Set<AssetsSource>()

type MiniflareAssets = NonNullable<import('miniflare').MiniflareOptions['assets']>

/**
 * Miniflare's `assets` option for a version body whose `assets.jwt` is a completion token of a
 * running emulator: the `assets` binding's name, `html_handling` / `not_found_handling`, and
 * `run_worker_first` (true, or rules: positive ones to the Worker, `!` ones to the assets).
 */
export async function miniflareAssetsFor(body: {
  main_module?: string
  assets?: { jwt?: unknown; config?: Record<string, unknown> }
  modules: VersionModule[]
  bindings?: { type: string; name: string }[]
}): Promise<MiniflareAssets | undefined> {
  const jwt = body.assets?.jwt
  if (typeof jwt !== 'string') return undefined
  let directory: Promise<string> | undefined
  for (const service of ASSETS_SOURCES) directory ??= service.directoryFor(jwt, body.modules)
  if (!directory) return undefined
  const config = body.assets?.config ?? {}
  const binding = body.bindings?.find((b) => b.type === 'assets')?.name
  const runFirst = config.run_worker_first
  const assetConfig: NonNullable<MiniflareAssets['assetConfig']> = {}
  if (typeof config.html_handling === 'string')
    assetConfig.html_handling = config.html_handling as NonNullable<
      typeof assetConfig.html_handling
    >
  if (typeof config.not_found_handling === 'string') {
    assetConfig.not_found_handling = config.not_found_handling as NonNullable<
      typeof assetConfig.not_found_handling
    >
  }
  // An assets-only Worker has no code: every request is the assets' (a miss is their 404).
  const routerConfig: NonNullable<MiniflareAssets['routerConfig']> = {
    has_user_worker: body.main_module !== undefined,
  }
  if (runFirst === true) routerConfig.invoke_user_worker_ahead_of_assets = true
  if (Array.isArray(runFirst)) {
    const rules = runFirst.filter((r): r is string => typeof r === 'string')
    routerConfig.static_routing = {
      user_worker: rules.filter((r) => !r.startsWith('!')),
      asset_worker: rules.filter((r) => r.startsWith('!')).map((r) => r.slice(1)),
    }
  }
  return {
    directory: await directory,
    ...(binding === undefined ? {} : { binding }),
    assetConfig,
    routerConfig,
  }
}

/**
 * `assets.jwt`, when sent, must be a completion token issued for this Worker (an upload token is
 * not one). Returns the problem, the asset set the token stands for, or undefined without assets.
 * Create Version and the script upload both check it.
 */
