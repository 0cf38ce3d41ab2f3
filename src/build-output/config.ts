import { existsSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { findWranglerConfig, mapWranglerConfig, type WranglerConfig } from '../wrangler/index.js'
import { toWranglerConfig } from './to-wrangler.js'
import { readWorkerConfigFile } from './read.js'

/** Where @cloudflare/vite-plugin records the generated `wrangler.json` files of its last non-Build-Output build. */
const GENERATED_POINTER = '.wrangler/deploy/config.json'

/**
 * A Build Output Worker's `worker.config.json` as the plugin reads a wrangler config: the version
 * fields, the Worker's name and its `assets/` directory. A wrangler config beside it is not read;
 * a note says so, since a stale one is exactly what the user would otherwise think was shipped.
 */
export function readBuildOutputConfig(configFile: string, projectRoot: string): WranglerConfig {
  // The same checks as the tree's reader: bounded, and refused when it holds anything unknown.
  const config = readWorkerConfigFile(configFile)
  const hasAssets = existsSync(join(dirname(configFile), 'assets'))
  const { raw, warnings } = toWranglerConfig(config, hasAssets ? 'assets' : undefined)
  const mapped = mapWranglerConfig(raw, configFile, { generated: true })
  const ignored = [findWranglerConfig(projectRoot), join(projectRoot, GENERATED_POINTER)].filter(
    (file): file is string => file !== undefined && existsSync(file),
  )
  const names = ignored.map(
    (file) =>
      `${relative(projectRoot, file)}${file.endsWith(GENERATED_POINTER) ? ' (generated configs of an earlier build)' : ''}`,
  )
  // One line, however many configs sit beside the tree.
  const notes =
    names.length === 0
      ? []
      : [
          `this Worker's config comes from here; ${names.join(' and ')} ${names.length === 1 ? 'is' : 'are'} ignored`,
        ]
  return { ...mapped, warnings: [...notes, ...warnings, ...mapped.warnings] }
}
