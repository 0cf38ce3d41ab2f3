import { dirname, join } from 'node:path'
import { esbuildAdapter } from '../bundlers/esbuild.js'
import { WorkersVersionError } from '../core/errors.js'
import type { AdapterContext, AdapterOptions, WorkerOutput } from '../core/stage-types.js'

/** What the bundle takes from the Worker's wrangler config. */
export interface BundleInput {
  /** `main`, absolute. */
  main: string
  projectRoot: string
  /** Bundle with external source maps and upload them: wrangler 4.164 does unless `upload_source_maps` is `false`. */
  sourceMaps: boolean
  /** `minify`, `keep_names`, `define`, `alias` and the JSX factories, as the config writes them. */
  minify?: unknown
  keepNames?: unknown
  define?: unknown
  alias?: unknown
  jsxFactory?: unknown
  jsxFragment?: unknown
}

/**
 * Bundles a source `main` with esbuild, with this plugin's esbuild adapter doing what it does in an
 * esbuild build (non-JavaScript imports as modules of their own, by the same rules; the metafile read
 * into the output files), and esbuild's options as wrangler sets them for a deploy. Nothing is written:
 * the output stays in memory. esbuild is an optional peer, loaded here only.
 */
export async function bundleSourceWorker(
  input: BundleInput,
  options: AdapterOptions,
): Promise<WorkerOutput> {
  const esbuild = await import('esbuild').catch(() => {
    throw new WorkersVersionError(
      'ESBUILD_MISSING',
      `The Worker's \`main\` (${input.main}) is source code to bundle, and bundling needs esbuild, an optional peer dependency that is not installed: ` +
        'install it (`npm install --save-dev esbuild`), or build the Worker first and point `main` at the output with `no_bundle: true`.',
    )
  })
  const { createEsbuildPlugin } = await import('unplugin')
  let captured: WorkerOutput[] | undefined
  // The adapter's side of the plugin, without a plan: the command plans and uploads itself.
  const context: AdapterContext = {
    options,
    prepare: async () => undefined,
    root: () => input.projectRoot,
    complete: async (workers) => {
      captured = workers
    },
  }
  const plugin = createEsbuildPlugin<undefined>(() => ({
    name: 'unplugin-workers-version:deploy',
    esbuild: esbuildAdapter(context),
  }))
  const nodeEnv = JSON.stringify('production')
  const result = await esbuild
    .build({
      entryPoints: [input.main],
      absWorkingDir: input.projectRoot,
      bundle: true,
      write: false,
      // Never written: the adapter reads the files from memory, named relative to it.
      outdir: join(dirname(input.main), '.workers-version-bundle'),
      format: 'esm',
      target: 'es2024',
      supported: { 'import-source': true, using: true },
      conditions: ['workerd', 'worker', 'browser'],
      external: ['__STATIC_CONTENT_MANIFEST'],
      // Linked (a `//# sourceMappingURL` comment), as wrangler bundles it: the plan sends a map its chunk links unless `upload_source_maps` is false.
      sourcemap: input.sourceMaps ? 'linked' : false,
      minify: input.minify === true,
      keepNames: input.keepNames !== false,
      define: {
        'process.env.NODE_ENV': nodeEnv,
        'global.process.env.NODE_ENV': nodeEnv,
        'globalThis.process.env.NODE_ENV': nodeEnv,
        ...stringRecord(input.define),
      },
      alias: stringRecord(input.alias),
      loader: { '.js': 'jsx', '.mjs': 'jsx', '.cjs': 'jsx' },
      ...(typeof input.jsxFactory === 'string' && { jsxFactory: input.jsxFactory }),
      ...(typeof input.jsxFragment === 'string' && { jsxFragment: input.jsxFragment }),
      logLevel: 'silent',
      plugins: [plugin()],
    })
    .catch((error: unknown) => {
      const errors = (
        error as {
          errors?: Array<{ text: string; location?: { file: string; line: number } | null }>
        }
      ).errors
      const lines = errors
        ?.map((e) => `  - ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`)
        .join('\n')
      throw new WorkersVersionError(
        'BUNDLE_FAILED',
        `esbuild could not bundle ${input.main}:\n${lines ?? String(error)}`,
      )
    })
  if (result.errors.length > 0 || !captured?.[0])
    throw new WorkersVersionError('BUNDLE_FAILED', `esbuild could not bundle ${input.main}.`)
  return { ...captured[0], outDir: undefined }
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {}
  return Object.fromEntries(
    Object.entries(value).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  )
}
