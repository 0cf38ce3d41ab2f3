import { cp } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository's root: the bench scripts build its playground and work in folders under it. */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Vite's CLI as the repository installs it, run by `node` in each measured process. */
export const VITE = join(
  dirname(createRequire(import.meta.url).resolve('vite/package.json')),
  'bin/vite.js',
)

/** The playground Worker's sources (src/ and the shared.js it imports) copied into `dir`. */
export async function copyPlayground(dir) {
  await cp(join(REPO, 'playground/src'), join(dir, 'src'), { recursive: true })
  await cp(join(REPO, 'playground/shared.js'), join(dir, 'shared.js'))
}
