import { cp, mkdtemp, readFile, mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { VersionRequestBody } from '../../src/core/body.js'

export const TEST_ROOT = resolve(import.meta.dirname, '..')
export const WORKER_FIXTURE = join(TEST_ROOT, 'fixtures/worker')

/** What the fixture Worker answers when every chunk and module resolved. */
export const EXPECTED_RESPONSE = {
  lazy: 'loaded lazily',
  sum: 5,
  page: '<H1>HELLO FROM A TEXT MODULE</H1>',
  blob: '010203ff',
  entrypoint: 'function',
}

/** A fresh directory under test/.tmp (git-ignored) for one build. */
export async function tempDir(prefix: string): Promise<string> {
  const base = join(TEST_ROOT, '.tmp')
  await mkdir(base, { recursive: true })
  return mkdtemp(join(base, `${prefix}-`))
}

/** The body of a Worker with code: a main module and its modules (an assets-only Worker has neither). */
export type CodeRequestBody = VersionRequestBody &
  Required<Pick<VersionRequestBody, 'main_module' | 'modules'>>

export async function readRequest(outputDir: string): Promise<CodeRequestBody> {
  return JSON.parse(await readFile(join(outputDir, 'request.json'), 'utf8')) as CodeRequestBody
}

/** `[name, content_type]` pairs, sorted, with content hashes in names replaced by `[hash]`. */
export function moduleShape(body: CodeRequestBody): Array<[string, string]> {
  return body.modules
    .map((m): [string, string] => [
      m.name.replace(/-[A-Za-z0-9_-]{8,}(?=\.)/g, '-[hash]'),
      m.content_type,
    ])
    .sort(([a], [b]) => a.localeCompare(b))
}

export function moduleText(body: CodeRequestBody, name: string): string {
  const mod = body.modules.find((m) => m.name === name)
  if (!mod) throw new Error(`no module ${name} in ${body.modules.map((m) => m.name).join(', ')}`)
  return Buffer.from(mod.content_base64, 'base64').toString('utf8')
}

/** Every source map module belongs to the chunk it is named after, and its sources are clean. */
export function assertMapsBelongToChunks(body: CodeRequestBody): number {
  const maps = body.modules.filter((m) => m.content_type === 'application/source-map')
  for (const map of maps) {
    const chunkName = map.name.slice(0, -'.map'.length)
    const chunk = body.modules.find((m) => m.name === chunkName)
    if (!chunk) throw new Error(`map ${map.name} has no chunk`)
    const parsed = JSON.parse(Buffer.from(map.content_base64, 'base64').toString('utf8')) as {
      file: string
      sources: string[]
    }
    if (parsed.file !== chunkName) throw new Error(`map ${map.name} says file ${parsed.file}`)
    for (const source of parsed.sources)
      if (/^\.\.?\//.test(source)) throw new Error(`map ${map.name} has source ${source}`)
  }
  return maps.length
}

/** A fresh copy of `test/fixtures/<name>` under test/.tmp, so a build's output never lands in the fixture. */
export async function copyFixture(name: string): Promise<string> {
  const dir = await tempDir(name)
  await cp(join(TEST_ROOT, 'fixtures', name), dir, { recursive: true })
  return dir
}
