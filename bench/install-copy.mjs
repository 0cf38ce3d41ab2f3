import { cp, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { REPO } from './repo.mjs'

/**
 * The plugin as users have it: a copy of the built package in `<work>/node_modules`. Imported by its
 * own name from inside the repository it would resolve to dist/ outside node_modules, and Vite would
 * then bundle it into the config file, dynamic imports (the upload code) and all.
 */
export async function installPluginCopy(work) {
  const installed = join(work, 'node_modules', 'unplugin-workers-version')
  await mkdir(installed, { recursive: true })
  await cp(join(REPO, 'package.json'), join(installed, 'package.json'))
  await cp(join(REPO, 'dist'), join(installed, 'dist'), { recursive: true })
}
