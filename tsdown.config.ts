import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { defineConfig, type UserConfig } from 'tsdown'
import { thirdPartyNotices } from './scripts/third-party-notices.ts'

type Plugin = Extract<NonNullable<UserConfig['plugins']>, { name: string }>

const require = createRequire(import.meta.url)
const UNPLUGIN = require.resolve('unplugin')
const LAZY_PICOMATCH = fileURLToPath(new URL('src/core/picomatch.ts', import.meta.url))

/**
 * Start-up time is what a dry run costs, so the entries users import for Vite,
 * Rollup, Rolldown and esbuild reach no package when loaded: they carry their own copy of the
 * part of unplugin they use, tree-shaken: one copy per family (`<unplugin>?family`), both in the
 * start-up chunk (below), where the other family's few kB cost less than a file more. webpack, rspack and the
 * main entry import the installed unplugin: its webpack adapter loads loader files next to itself.
 * picomatch, which unplugin imports for hook filters this plugin does not use, becomes the lazy
 * wrapper the plugin's own rules use.
 */
function unpluginPerBundler(): Plugin {
  const families: Record<string, string> = {
    vite: 'rollup',
    rollup: 'rollup',
    rolldown: 'rollup',
    esbuild: 'esbuild',
  }
  return {
    name: 'unplugin-per-bundler',
    resolveId: {
      order: 'pre',
      handler(source, importer) {
        if (source === 'picomatch' && importer?.includes('/node_modules/unplugin/'))
          return LAZY_PICOMATCH
        if (source !== 'unplugin' || !importer) return null
        const entry = /\/src\/(\w+)\.ts$/.exec(importer.replaceAll('\\', '/'))?.[1]
        const family = entry && families[entry]
        return family ? `${UNPLUGIN}?${family}` : { id: 'unplugin', external: true }
      },
    },
    load(id) {
      const [file, family] = id.split('?')
      return file === UNPLUGIN && family ? readFile(file, 'utf8') : null
    },
  }
}

/**
 * Every JavaScript file is ASCII, because V8 decodes and compiles a source with one non-ASCII
 * character more slowly (bench/README.md, "Build configuration"). Other characters are written as
 * `\uXXXX`, which means the same in strings, templates, regular expressions and comments; where an
 * escape would not (`String.raw`, a backslash before the character) the build fails instead.
 * Rolldown's own `charset` option is newer than the Rolldown tsdown runs.
 */
function asciiOutput(): Plugin {
  return {
    name: 'ascii-output',
    // After rendering: Rolldown prints string literals again once renderChunk has run.
    generateBundle: {
      order: 'post',
      handler(_options, bundle) {
        for (const chunk of Object.values(bundle)) {
          if (
            chunk.type !== 'chunk' ||
            chunk.fileName.endsWith('.d.ts') ||
            !/[\u0080-\uffff]/.test(chunk.code)
          )
            continue
          // An escape would change what String.raw reads, and a backslash before the character would escape the escape.
          if (chunk.code.includes('String.raw') || /\\[\u0080-\uffff]/.test(chunk.code))
            throw new Error(`${chunk.fileName}: its non-ASCII characters cannot be escaped safely`)
          chunk.code = chunk.code.replace(
            /[\u0080-\uffff]/g,
            (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
          )
        }
      },
    },
  }
}

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/vite.ts',
    'src/rollup.ts',
    'src/rolldown.ts',
    'src/esbuild.ts',
    'src/webpack.ts',
    'src/rspack.ts',
    'src/emulator/index.ts',
    'src/emulator/cli.ts',
    'src/cli.ts',
  ],
  format: 'esm',
  platform: 'node',
  target: 'node22.19',
  dts: true,
  fixedExtension: false,
  clean: true,
  plugins: [unpluginPerBundler(), asciiOutput(), thirdPartyNotices()],
  // Everything a build loads at start-up is one chunk, because Node reads an ES module's imports file
  // by file (bench/README.md, "Build configuration"): the factory with all it imports and the unplugin
  // copies. Dynamic imports stay chunks of their own; what an upload loads is one more.
  outputOptions: {
    codeSplitting: {
      groups: [
        {
          name: 'plugin',
          priority: 2,
          test: (id: string) =>
            /[\\/]src[\\/]factory\.ts$/.test(id) || id.includes('/node_modules/unplugin/'),
        },
        { name: 'upload', priority: 1, test: /[\\/]src[\\/]deploy[\\/]index\.ts$/ },
      ],
    },
  },
  // The source-map codecs have no side effects but do not say so: left as they are, an import
  // nothing uses keeps their chunk on every entry's start-up path.
  treeshake: { moduleSideEffects: (id: string) => !id.includes('/node_modules/@jridgewell/') },
  deps: {
    // Bundled, tree-shaken: small, and needed by every build, so loading them is on every dry run's path.
    // magic-string and es-module-lexer load lazily, as chunks of their own: no package lookup then.
    // jsonc-parser is bundled into the wrangler-config chunk: tree-shaken to the visitor, one file to load.
    alwaysBundle: [
      'valibot',
      'p-limit',
      'yocto-queue',
      'picocolors',
      'magic-string',
      'es-module-lexer',
      'jsonc-parser',
      /^@jridgewell\//,
      '@rolldown/pluginutils',
    ],
  },
})
