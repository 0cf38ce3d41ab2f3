import { readFile, symlink, writeFile, mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { afterEach, describe, expect, it, vi } from 'vitest'
import rollupPlugin from '../../src/rollup.js'
import { readRequest, tempDir } from '../helpers/fixture.js'

afterEach(() => {
  vi.restoreAllMocks()
})

/** A Worker whose entry imports `count` lazy chunks: a build with many modules. */
async function manyChunks(dir: string, count: number): Promise<string> {
  await mkdir(join(dir, 'src'), { recursive: true })
  const imports = Array.from(
    { length: count },
    (_, i) => `  '/${i}': () => import('./chunk-${i}.js'),`,
  ).join('\n')
  await writeFile(
    join(dir, 'src/index.js'),
    `const routes = {\n${imports}\n}\nexport default { async fetch(request) { const load = routes[new URL(request.url).pathname]; return new Response(load ? (await load()).text : 'index') } }\n`,
  )
  for (let i = 0; i < count; i++)
    await writeFile(
      join(dir, `src/chunk-${i}.js`),
      `export const text = ${JSON.stringify(`chunk ${i} `.repeat(i + 1))}\n`,
    )
  return join(dir, 'src/index.js')
}

async function build(input: string, dir: string) {
  const bundle = await rollup({
    input,
    plugins: [
      rollupPlugin({
        worker: 'outputs',
        outputDir: join(dir, '.workers-version'),
        logLevel: 'info',
        version: { compatibility_date: '2025-01-01' },
      }),
    ],
  })
  await bundle.write({ dir: join(dir, 'dist'), format: 'es' })
}

describe('what a build prints and writes', () => {
  it('lists the 30 largest modules and counts the rest, while request.json lists all of them', async () => {
    const dir = await tempDir('many-chunks')
    const log = vi.spyOn(console, 'log')
    await build(await manyChunks(dir, 40), dir)
    const lines = log.mock.calls.map(([line]) => String(line))
    const listed = lines.filter((line) => line.includes('application/javascript+module'))
    expect(listed).toHaveLength(30)
    // The largest first: after the entry, chunk 39 carries the most text; the smallest chunks are only counted.
    expect(listed[0]).toMatch(/index\.js/)
    expect(listed[1]).toMatch(/chunk-39-/)
    expect(listed.some((line) => /chunk-0-/.test(line))).toBe(false)
    expect(lines.some((line) => line.includes('and 11 more modules'))).toBe(true)
    expect((await readRequest(join(dir, '.workers-version'))).modules).toHaveLength(41)
  })

  it('never writes through a symlink planted at a temporary name', async () => {
    const dir = await tempDir('symlinked-partial')
    const outputDir = join(dir, '.workers-version')
    await mkdir(outputDir, { recursive: true })
    const victim = join(dir, 'victim.txt')
    await writeFile(victim, 'untouched')
    // The names the plugin used to write through before renaming.
    await symlink(victim, join(outputDir, 'request.json.partial'))
    await symlink(victim, join(outputDir, '.request.json.partial'))
    await build(await manyChunks(dir, 1), dir)
    expect(await readFile(victim, 'utf8')).toBe('untouched')
    expect((await readRequest(outputDir)).modules.length).toBeGreaterThan(0)
    // No temporary file is left behind.
    expect(
      (await readdir(outputDir)).filter(
        (name) =>
          name.endsWith('.partial') &&
          !name.startsWith('request.json') &&
          !name.startsWith('.request.json.partial'),
      ),
    ).toEqual([])
  })
})
