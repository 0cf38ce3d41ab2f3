import { builtinModules } from 'node:module'
import { isEsModuleType } from './content-types.js'
import { literalImports } from './module-imports.js'
import { WorkersVersionError } from '../core/errors.js'
import type { BundlerName, WorkerModule } from '../core/types.js'

// The Workers runtime resolves only modules of the version itself, `cloudflare:*`,
// and Node's built-ins (with `nodejs_compat`). A package name left in the output
// (an npm dependency the bundler kept external) fails only at upload, with 10021.

const NODE_BUILTINS = new Set(builtinModules)

function isRuntimeProvided(specifier: string): boolean {
  if (specifier.startsWith('cloudflare:') || specifier.startsWith('node:')) return true
  // Workers Sites' asset manifest, which the runtime provides to older Workers.
  if (specifier === '__STATIC_CONTENT_MANIFEST') return true
  return NODE_BUILTINS.has(specifier.split('/')[0]!) || NODE_BUILTINS.has(specifier)
}

function isBare(specifier: string): boolean {
  return (
    !/^(?:\.{1,2}\/|\/|[a-z][a-z0-9+.-]*:)/i.test(specifier) &&
    specifier !== '.' &&
    specifier !== '..'
  )
}

const BUNDLE_HINTS: Record<BundlerName, string> = {
  vite: 'bundle it with `ssr.noExternal: true` (or `resolve.noExternal` of the Worker environment), or add @cloudflare/vite-plugin',
  rollup:
    'bundle it with @rollup/plugin-node-resolve (and @rollup/plugin-commonjs), or remove it from `external`',
  rolldown: 'remove it from `external` so Rolldown bundles it',
  esbuild: 'set `bundle: true` and remove it from `external`/`packages: "external"`',
  webpack: 'remove it from `externals` so webpack bundles it',
  rspack: 'remove it from `externals` so rspack bundles it',
}

/**
 * Whether a module may import a package: a quoted specifier after `from`, `import` or `import(`
 * that is not a path. Every real import of a package is among them (and so are some strings and
 * comments); the lexer, loaded only for a module that has one, then decides.
 */
function mayImportPackage(contents: Uint8Array): boolean {
  return literalImports(contents).some(
    ({ specifier, require }) => !require && isBare(specifier) && !isRuntimeProvided(specifier),
  )
}

/**
 * Refuses ES modules that import a package by name: the version would be rejected at upload
 * (or fail at startup). Every such import is named with the module that makes it.
 */
export async function assertNoBareImports(
  modules: readonly WorkerModule[],
  bundler: BundlerName,
): Promise<void> {
  const problems: string[] = []
  let lexer: typeof import('es-module-lexer') | undefined
  for (const module of modules) {
    if (!isEsModuleType(module.content_type)) continue
    // Most Workers import no package at all: the lexer (and its WebAssembly) is not even loaded.
    if (!mayImportPackage(module.contents)) continue
    const code = Buffer.from(module.contents).toString('utf8')
    if (!lexer) {
      lexer = await import('es-module-lexer')
      await lexer.init
    }
    let imports: ReturnType<typeof lexer.parse>[0]
    try {
      ;[imports] = lexer.parse(code, module.name)
    } catch {
      // Not parseable as a module: workerd reports that itself, with its own position.
      continue
    }
    for (const { n: specifier } of imports) {
      if (specifier !== undefined && isBare(specifier) && !isRuntimeProvided(specifier)) {
        problems.push(`  - ${module.name} imports "${specifier}"`)
      }
    }
  }
  if (problems.length === 0) return
  throw new WorkersVersionError(
    'UNBUNDLED_IMPORT',
    `The Worker imports packages that were not bundled; the Workers runtime cannot resolve them:\n${[...new Set(problems)].join('\n')}\n` +
      `To fix it, ${BUNDLE_HINTS[bundler]}.`,
  )
}
