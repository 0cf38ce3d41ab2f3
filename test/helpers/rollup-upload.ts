import { join } from 'node:path'
import { rollup } from 'rollup'
import type { Emulator } from '../../src/emulator/index.js'
import rollupPlugin from '../../src/rollup.js'
import { uploadOptions } from './emulator.js'
import { WORKER_FIXTURE } from './fixture.js'

/**
 * A Rollup build of the fixture Worker (or of `output.input`) in `dir` that uploads to the emulator
 * as `worker`, with the plugin options `extra`; resolves with the plugin's output directory,
 * rejects as the build does.
 */
export async function rollupUpload(
  emulator: Emulator,
  dir: string,
  worker: string,
  extra: Record<string, unknown> = {},
  {
    input = join(WORKER_FIXTURE, 'src/index.js'),
    ...output
  }: { sourcemap?: boolean; input?: string } = {},
): Promise<string> {
  const outputDir = join(dir, '.workers-version')
  const bundle = await rollup({
    input,
    // The runtime's own modules stay imports, as in every Worker build.
    external: (id) => id.startsWith('cloudflare:'),
    logLevel: 'silent',
    plugins: [rollupPlugin({ outputDir, ...uploadOptions(emulator, worker, extra) } as never)],
  })
  try {
    await bundle.write({ dir: join(dir, 'dist'), format: 'es', ...output })
  } finally {
    await bundle.close()
  }
  return outputDir
}
