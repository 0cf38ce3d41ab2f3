import { existsSync } from 'node:fs'
import { join } from 'node:path'

/** The names wrangler looks for, in its order of preference. */
const CONFIG_FILES = ['wrangler.jsonc', 'wrangler.json', 'wrangler.toml']

/** The first of wrangler.jsonc, wrangler.json, wrangler.toml in `root`. Apart from the reader, so finding none loads no parser. */
export function findWranglerConfig(root: string): string | undefined {
  for (const name of CONFIG_FILES) {
    const file = join(root, name)
    if (existsSync(file)) return file
  }
  return undefined
}
