import type { ResolvedOptions } from '../../src/options/resolve.js'
import type { BuildPlan } from '../../src/plan/index.js'
import type { Logger } from '../../src/report/logger.js'
import { buildVersion, type BuiltVersion } from '../../src/version/build.js'

/**
 * A version whose one module answers every request with `text`, built from a bundler's output as
 * the plugin builds it (no bundler run: the upload is what these tests are about).
 */
export function versionAnswering(
  text: string,
  plan: BuildPlan,
  options: ResolvedOptions,
  logger: Logger,
): Promise<BuiltVersion> {
  return buildVersion(
    {
      files: [
        {
          fileName: 'index.js',
          contents: Buffer.from(
            `export default { fetch() { return new Response(${JSON.stringify(text)}) } }`,
          ),
          kind: 'chunk',
          format: 'esm',
          isEntry: true,
        },
      ],
    } as never,
    plan,
    options,
    logger,
  )
}
