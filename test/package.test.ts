// The package: what is published carries the licence, the notices of the code bundled
// into dist (each package's own licence text), bounded peer ranges.
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { TEST_ROOT } from './helpers/fixture.js'

const ROOT = join(TEST_ROOT, '..')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  license: string
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
  peerDependencies: Record<string, string>
}

/** The packages tsdown.config.ts bundles into dist (unplugin: its Rollup-family and esbuild parts). */
const BUNDLED = [
  'valibot',
  'magic-string',
  'p-limit',
  'yocto-queue',
  'picocolors',
  'jsonc-parser',
  'es-module-lexer',
  'unplugin',
  '@jridgewell/sourcemap-codec',
]

function licenseText(name: string): string {
  const dir = join(ROOT, 'node_modules', name)
  const file = readdirSync(dir).find((f) => /^(?:licen[cs]e|copying)(?:\.(?:md|txt))?$/i.test(f))
  if (!file) throw new Error(`${name} has no licence file`)
  return readFileSync(join(dir, file), 'utf8').trim()
}

/** `## name version (licence)` sections of the notices file. */
function noticeSections(text: string): Map<string, string> {
  const sections = new Map<string, string>()
  for (const part of text.split(/^## /m).slice(1))
    sections.set(part.slice(0, part.indexOf(' ')), part)
  return sections
}

describe('the published package', () => {
  it('ships LICENSE (MIT) and the third-party notices', () => {
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8')
    expect(pkg.license).toBe('MIT')
    expect(license).toMatch(
      /^MIT License\n\nCopyright \(c\) \d{4} unplugin-workers-version contributors\n/,
    )
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: ROOT,
        encoding: 'utf8',
      }),
    ) as Array<{ files: Array<{ path: string }> }>
    const files = packed[0]!.files.map((f) => f.path)
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'package.json',
        'dist/THIRD_PARTY_NOTICES.md',
        'dist/index.js',
      ]),
    )
  })

  it('lists every bundled package with its own licence text, and no package that is installed instead', () => {
    const sections = noticeSections(readFileSync(join(ROOT, 'dist/THIRD_PARTY_NOTICES.md'), 'utf8'))
    for (const name of BUNDLED) {
      const section = sections.get(name)
      expect(section, `${name} in the notices`).toBeDefined()
      const version = (
        JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
          version: string
        }
      ).version
      expect(section!.startsWith(`${name} ${version} (`), `${name} at the installed version`).toBe(
        true,
      )
      expect(section).toContain(licenseText(name))
    }
    // Every section carries a non-empty licence text, and a runtime dependency is installed, not bundled
    // (unplugin is both: the webpack and rspack entries import the installed one).
    for (const [name, section] of sections) {
      expect(section, name).toMatch(/```text\n\S[\s\S]*\n````/)
      if (name !== 'unplugin')
        expect(Object.keys(pkg.dependencies), `${name} is bundled, not installed`).not.toContain(
          name,
        )
    }
  })

  it('has bounded peer ranges that admit the versions tested here', () => {
    for (const [name, range] of Object.entries(pkg.peerDependencies)) {
      if (name === 'miniflare' || name === '@cloudflare/vite-plugin') continue
      const match = /^>=(\d+)\.(\d+)\.(\d+)(?:-\S+)? <(\d+)(?:\.(\d+))?$/.exec(range)
      expect(match, `${name}: "${range}" has an upper bound`).not.toBeNull()
      const [major, minor] = pkg.devDependencies[name]!.split('.').map(Number) as [number, number]
      const [bound, boundMinor = 0] = [Number(match![4]), Number(match![5] ?? 0)]
      expect(
        major < bound || (major === bound && minor < boundMinor),
        `${name} ${pkg.devDependencies[name]} is inside "${range}"`,
      ).toBe(true)
      expect(
        major >= Number(match![1]),
        `${name} ${pkg.devDependencies[name]} is inside "${range}"`,
      ).toBe(true)
    }
  })
})
