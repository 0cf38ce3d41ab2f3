/**
 * A build plugin that writes `dist/THIRD_PARTY_NOTICES.md`: the licence of every package whose code
 * ends up in `dist`, read from that package's own licence file. It lists what the bundle actually
 * holds (each chunk's module ids), so a package bundled later cannot be left out, and one dropped
 * from the bundle drops out of the notices.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export const NOTICES_FILE = 'THIRD_PARTY_NOTICES.md'

/** The part of a Rolldown plugin this one uses; tsdown's `Plugin` type accepts it. */
interface NoticesPlugin {
  name: string
  generateBundle: (
    this: { emitFile(file: { type: 'asset'; fileName: string; source: string }): string },
    options: unknown,
    bundle: Record<string, { type: string; moduleIds?: string[] }>,
  ) => void
}

export interface BundledPackage {
  name: string
  version: string
  license: string
  /** The licence file's name in the package, and its text. */
  licenseFile: string
  licenseText: string
}

/** `…/node_modules/@scope/name/…` or `…/node_modules/name/…`: the innermost package directory and its name. */
const PACKAGE_IN_PATH = /^(.*[\\/]node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+))[\\/]/

export function packageOf(moduleId: string): { dir: string; name: string } | undefined {
  const match = PACKAGE_IN_PATH.exec(moduleId.replace(/^\0/, '').split('?')[0] ?? '')
  return match
    ? { dir: match[1] as string, name: (match[2] as string).replaceAll('\\', '/') }
    : undefined
}

/** The package's licence file: `LICENSE`, `LICENCE`, `license.md`, `COPYING`… in any case. */
export function readPackageLicense(dir: string): BundledPackage {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    name: string
    version: string
    license?: string
  }
  const licenseFile = readdirSync(dir)
    .filter((name) => /^(?:licen[cs]e|copying)(?:\.(?:md|txt))?$/i.test(name))
    .sort()[0]
  // MIT, ISC and BSD require their copyright notice in copies; without the file there is nothing to ship.
  if (!licenseFile)
    throw new Error(
      `${pkg.name} is bundled into dist but ships no licence file in ${dir}: add its notice by hand or stop bundling it`,
    )
  return {
    name: pkg.name,
    version: pkg.version,
    license: pkg.license ?? 'see the licence text',
    licenseFile,
    licenseText: readFileSync(join(dir, licenseFile), 'utf8').trim(),
  }
}

export function renderNotices(packages: BundledPackage[]): string {
  const sections = packages.map(
    (p) =>
      `## ${p.name} ${p.version} (${p.license})\n\nFrom its \`${p.licenseFile}\`:\n\n\`\`\`\`text\n${p.licenseText}\n\`\`\`\``,
  )
  return (
    `# Third-party notices\n\n` +
    `\`dist\` contains code from the packages below, bundled at the versions shown. Each is used under its licence, reproduced here.\n\n` +
    `${sections.join('\n\n')}\n`
  )
}

export function thirdPartyNotices(): NoticesPlugin {
  return {
    name: 'third-party-notices',
    generateBundle(_options, bundle) {
      const dirs = new Map<string, string>()
      for (const chunk of Object.values(bundle)) {
        for (const id of chunk.type === 'chunk' ? (chunk.moduleIds ?? []) : []) {
          const found = packageOf(id)
          if (found) dirs.set(found.name, found.dir)
        }
      }
      const packages = [...dirs.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([, dir]) => readPackageLicense(dir))
      this.emitFile({ type: 'asset', fileName: NOTICES_FILE, source: renderNotices(packages) })
    },
  }
}
