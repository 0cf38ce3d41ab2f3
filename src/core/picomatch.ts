import { createRequire } from 'node:module'
import type picomatchType from 'picomatch'

let loaded: typeof picomatchType | undefined

/**
 * picomatch, loaded on the first glob compiled: most builds have none, and loading it costs
 * start-up time on every dry run. It is CommonJS, so it loads synchronously, as rules compile.
 * The build points unplugin's own import of picomatch here too (tsdown.config.ts).
 */
export default function picomatch(
  ...args: Parameters<typeof picomatchType>
): ReturnType<typeof picomatchType> {
  loaded ??= createRequire(import.meta.url)('picomatch') as typeof picomatchType
  return loaded(...args)
}
