import { readdirSync, readFileSync } from 'node:fs'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

// The plugin's data flows one way: adapters → plan → modules/body → api → report.
// These checks read the import statements (types too), so a reverse dependency or a cycle fails
// here, not in review.

const ROOT = resolve(import.meta.dirname, '..')
const SRC = join(ROOT, 'src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [path] : []
  })
}

/** Every import of a source file, `import type` and `import()` included, as paths relative to src/ or package names. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specifiers = [
    ...text.matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/gm),
  ].map((m) => m[1] ?? m[2]!)
  return specifiers.map((s) =>
    s.startsWith('.') ? relative(SRC, resolve(dirname(file), s)).replace(/\.js$/, '.ts') : s,
  )
}

/**
 * The pipeline's stages as folders, lowest first: a file imports (types too) from its own stage or a
 * lower one, so a stage never reaches into the stage that consumes it:
 * core → modules → the readers and writers (options, wrangler, Build Output, assets, report,
 * bundler adapters, workerd) → api → plan (before the bundler, no network) → version (local work on
 * the build) → deploy (the network) → command (the `deploy` command) → plugin-context → the entries.
 * The emulator stands apart.
 */
const LAYERS: string[][] = [
  ['core/'],
  ['modules/'],
  ['options/', 'wrangler/', 'build-output/', 'assets/', 'report/', 'bundlers/', 'workerd/'],
  ['api/'],
  ['plan/'],
  ['version/'],
  ['deploy/'],
  // The `deploy` command: a finished build on disk through the same plan, version and deploy stages.
  ['command/'],
  ['plugin-context.ts'],
  [
    'factory.ts',
    'index.ts',
    'vite.ts',
    'rollup.ts',
    'rolldown.ts',
    'esbuild.ts',
    'webpack.ts',
    'rspack.ts',
    'cli.ts',
  ],
]

function layerOf(path: string): number | undefined {
  const index = LAYERS.findIndex((layer) =>
    layer.some((prefix) => (prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix)),
  )
  return index === -1 ? undefined : index
}

/** What each part of src/ must never import (by path prefix under src/), beyond the layers. */
const FORBIDDEN: Array<[area: string, forbidden: string[]]> = [
  [
    'core/',
    [
      'options/',
      'plan/',
      'plugin-context.ts',
      'version/',
      'deploy/',
      'api/',
      'report/',
      'bundlers/',
    ],
  ],
  [
    'api/',
    [
      'options/',
      'plan/',
      'plugin-context.ts',
      'version/',
      'deploy/',
      'report/',
      'bundlers/',
      'modules/index.ts',
    ],
  ],
  [
    'report/',
    ['api/', 'options/', 'plan/', 'plugin-context.ts', 'version/', 'deploy/', 'bundlers/'],
  ],
  [
    'options/',
    ['plan/', 'plugin-context.ts', 'version/', 'deploy/', 'api/', 'report/', 'bundlers/'],
  ],
  [
    'bundlers/',
    ['plan/', 'plugin-context.ts', 'version/', 'deploy/', 'api/', 'report/', 'options/'],
  ],
  [
    'plan/',
    ['plugin-context.ts', 'version/', 'deploy/', 'report/', 'bundlers/', 'modules/index.ts'],
  ],
  ['workerd/', ['api/', 'options/', 'plan/', 'version/', 'deploy/', 'report/', 'bundlers/']],
]

/** Every import cycle among `files` (each reported once, from its smallest path). */
function cycles(graph: Map<string, string[]>): string[] {
  const found = new Set<string>()
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (node: string) => {
    state.set(node, 'open')
    stack.push(node)
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') {
        const loop = stack.slice(stack.indexOf(next))
        const start = loop.indexOf([...loop].sort()[0]!)
        found.add([...loop.slice(start), ...loop.slice(0, start), loop[start]].join(' → '))
      } else if (!state.has(next) && graph.has(next)) visit(next)
    }
    stack.pop()
    state.set(node, 'done')
  }
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node)
  return [...found].sort()
}

describe('architecture', () => {
  const files = sourceFiles(SRC)

  it('keeps every import pointing along the pipeline, type imports included', () => {
    const violations: string[] = []
    for (const file of files) {
      const path = relative(SRC, file)
      for (const [area, forbidden] of FORBIDDEN) {
        if (!path.startsWith(area)) continue
        for (const target of imports(file)) {
          if (forbidden.some((f) => target.startsWith(f)))
            violations.push(`${path} imports ${target}`)
        }
      }
    }
    expect(violations).toEqual([])
  })

  it('places every source file outside the emulator in a layer, and imports only from its own or a lower one', () => {
    const plugin = files
      .map((file) => relative(SRC, file))
      .filter((path) => !path.startsWith('emulator/'))
    expect(plugin.filter((path) => layerOf(path) === undefined)).toEqual([])
    const upward = plugin.flatMap((path) =>
      imports(join(SRC, path))
        .filter((target) => target.endsWith('.ts') && (layerOf(target) ?? -1) > layerOf(path)!)
        .map(
          (target) =>
            `${path} (layer ${layerOf(path)}) imports ${target} (layer ${layerOf(target)})`,
        ),
    )
    expect(upward).toEqual([])
  })

  it('has no import cycle outside the emulator', () => {
    const graph = new Map(
      files
        .map((file) => relative(SRC, file))
        .filter((path) => !path.startsWith('emulator/'))
        .map(
          (path) =>
            [path, imports(join(SRC, path)).filter((target) => target.endsWith('.ts'))] as const,
        ),
    )
    expect(cycles(graph)).toEqual([])
  })

  it('keeps the emulator independent of the plugin it checks: it imports only itself and workerd/', () => {
    const outside = files
      .filter((file) => relative(SRC, file).startsWith('emulator/'))
      .flatMap((file) =>
        imports(file)
          .filter(
            (t) =>
              !t.startsWith('emulator/') &&
              !t.startsWith('workerd/') &&
              !t.startsWith('node:') &&
              !/^[a-z@]/.test(t),
          )
          .map((t) => `${relative(SRC, file)} imports ${t}`),
      )
    expect(outside).toEqual([])
  })

  it('keeps the plugin independent of the emulator: nothing outside src/emulator/ imports it', () => {
    // The one exception: the package's command line (cli.ts) runs the emulator's own command line for
    // `unplugin-workers-version emulator`, loading it only for that command; nothing of the plugin does.
    const allowed = new Set(['cli.ts imports emulator/cli.ts'])
    const inward = files
      .filter((file) => !relative(SRC, file).startsWith('emulator/'))
      .flatMap((file) =>
        imports(file)
          .filter((t) => t.startsWith('emulator/'))
          .map((t) => `${relative(SRC, file)} imports ${t}`),
      )
      .filter((line) => !allowed.has(line))
    expect(inward).toEqual([])
  })

  it('keeps the root of src/ to the entries, the factory and the plugin context', () => {
    const root = readdirSync(SRC).filter((f) => f.endsWith('.ts'))
    expect(root.length).toBeLessThanOrEqual(10)
    expect(root.filter((f) => layerOf(f) === undefined)).toEqual([])
  })

  it('ships ASCII JavaScript, which V8 decodes and compiles faster than two-byte text (dist/)', () => {
    const dist = join(ROOT, 'dist')
    const js = [
      ...readdirSync(dist).map((f) => join(dist, f)),
      ...readdirSync(join(dist, 'emulator')).map((f) => join(dist, 'emulator', f)),
    ].filter((f) => f.endsWith('.js'))
    expect(js.length).toBeGreaterThan(10)
    const nonAscii = js
      .filter((file) => /[\u0080-\uffff]/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(dist, file))
    expect(nonAscii).toEqual([])
  })

  it('loads no package on a dry run: the Vite, Rollup and esbuild entries statically reach only Node built-ins (dist/)', () => {
    const dist = join(ROOT, 'dist')
    for (const entry of ['vite.js', 'rollup.js', 'rolldown.js', 'esbuild.js']) {
      const packages = new Set<string>()
      const seen = new Set<string>()
      const visit = (file: string) => {
        if (seen.has(file)) return
        seen.add(file)
        const text = readFileSync(file, 'utf8')
        // Static imports only: `import(…)` is what loads lazily.
        for (const [, specifier] of text.matchAll(
          /^(?:import|export)\b[^'"]*?(?:from\s*)?["']([^"']+)["'];?$/gm,
        )) {
          if (specifier!.startsWith('.')) visit(resolve(dirname(file), specifier!))
          else packages.add(specifier!)
        }
      }
      visit(join(dist, entry))
      expect(seen.size, `${entry}: its chunks`).toBeGreaterThan(2)
      // unplugin's adapter, valibot and the small helpers are bundled; undici, the config
      // parsers, the assets code, magic-string, es-module-lexer and picomatch load when needed.
      expect(
        [...packages].filter((p) => !p.startsWith('node:')),
        `${entry} loads packages at start-up`,
      ).toEqual([])
      const lazy = readdirSync(dist).filter((f) =>
        /^(upload|transport|wrangler|assets|manifest|magic-string|lexer)\b.*\.js$/.test(f),
      )
      expect(lazy.length, 'the lazily loaded chunks exist').toBeGreaterThanOrEqual(6)
      for (const chunk of lazy)
        expect(
          [...seen].map((f) => basename(f)),
          `${entry} loads ${chunk} at start-up`,
        ).not.toContain(chunk)
    }
  })
})
