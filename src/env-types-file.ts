import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { renderEnvTypes } from './options/env-types.js'
import type { ResolvedOptions } from './options/index.js'

/** Writes `worker-env.d.ts` for the configured bindings; untouched when already current (no editor reloads). */
export async function writeEnvTypes(file: string, options: ResolvedOptions): Promise<void> {
  const content = renderEnvTypes(options.dryRunConfig().bindings, options.secrets)
  const current = await readFile(file, 'utf8').catch(() => undefined)
  if (current === content) return
  await mkdir(dirname(file), { recursive: true })
  await writeFile(file, content)
}
