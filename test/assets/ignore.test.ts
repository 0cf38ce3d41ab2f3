// `.assetsignore` over large pattern lists: the indexed matcher gives the answer the `ignore`
// package gives over the whole list (as wrangler reads the file), for every kind of pattern.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ignore from 'ignore'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAssetsIgnore } from '../../src/assets/ignore.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assets-ignore-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A small deterministic generator, so that a failure can be reproduced. */
function random(seed: number): (n: number) => number {
  let state = seed
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    return (state >>> 8) % n
  }
}

const NAMES = [
  'app',
  'App',
  'index',
  'main',
  'cache',
  'build',
  'private',
  'keep',
  'Data',
  'img',
  'x',
  '.env',
  'node_modules',
  'a b',
  'café',
]
const EXTS = ['js', 'map', 'MAP', 'html', 'txt', 'min.js', 'tar.gz', 'png']

/** One pattern of any kind gitignore has: literal, anchored, directory-only, wildcards, `**`, ranges, negations, escapes, comments. */
function pattern(pick: (n: number) => number): string {
  const name = NAMES[pick(NAMES.length)]!
  const ext = EXTS[pick(EXTS.length)]!
  const forms = [
    `${name}.${ext}`,
    `${name}`,
    `${name}/`,
    `/${name}`,
    `/${name}/${NAMES[pick(NAMES.length)]}.${ext}`,
    `${name}/${NAMES[pick(NAMES.length)]}/`,
    `*.${ext}`,
    `${name}*.${ext}`,
    `**/${name}`,
    `${name}/**`,
    `${name}/**/*.${ext}`,
    `[abc]*`,
    `?ain.${ext}`,
    `${name}.*`,
    `*`,
    `# a comment ${name}`,
    '',
    `\\#${name}`,
    `${name}.${ext}   `,
    `/${name}/*`,
  ]
  const form = forms[pick(forms.length)]!
  return pick(6) === 0 && form !== '' && !form.startsWith('#') ? `!${form}` : form
}

function paths(pick: (n: number) => number, count: number): string[] {
  return Array.from({ length: count }, () => {
    const depth = 1 + pick(4)
    const segments = Array.from({ length: depth - 1 }, () => NAMES[pick(NAMES.length)]!)
    const last =
      pick(3) === 0
        ? NAMES[pick(NAMES.length)]!
        : `${NAMES[pick(NAMES.length)]}.${EXTS[pick(EXTS.length)]}`
    return [...segments, last].join('/')
  })
}

describe('.assetsignore matching', () => {
  it('answers as the ignore package over the whole list, for files and directories, across every kind of pattern', async () => {
    const pick = random(29)
    // Rare kinds are drowned in literal names, as in a generated list.
    const patterns = Array.from({ length: 3000 }, (_, i) =>
      i % 3 === 0 ? pattern(pick) : `generated-${i}.${EXTS[i % EXTS.length]}`,
    )
    await writeFile(join(dir, '.assetsignore'), `\uFEFF${patterns.join('\n')}\n`)
    const reference = ignore().add(['/.assetsignore', '/_headers', '/_redirects']).add(patterns)
    const matcher = await createAssetsIgnore(dir)

    const files = [
      ...paths(pick, 400),
      'generated-3.txt',
      'deep/generated-6.min.js',
      '.assetsignore',
      '_headers',
      'sub/_headers',
    ]
    const directories = [
      ...new Set(
        files.flatMap((file) =>
          file
            .split('/')
            .slice(0, -1)
            .map((_, i, segments) => segments.slice(0, i + 1).join('/')),
        ),
      ),
    ]
    const ignoredFiles = files.filter((file) => matcher.ignoresFile(file))
    expect(ignoredFiles).toEqual(files.filter((file) => reference.ignores(file)))
    expect(directories.filter((d) => matcher.ignoresDirectory(d))).toEqual(
      directories.filter((d) => reference.ignores(`${d}/`)),
    )
    // Both answers occur, so the comparison says something.
    expect(ignoredFiles.length).toBeGreaterThan(20)
    expect(files.length - ignoredFiles.length).toBeGreaterThan(20)
  })

  it('100,000 patterns: literal names, anchored paths and directories, extensions, and negations later in the list win', async () => {
    const patterns: string[] = []
    for (let i = 0; i < 100_000; i++) {
      if (i % 4 === 0) patterns.push(`private-${i}.txt`)
      else if (i % 4 === 1) patterns.push(`/pages/page-${i}.html`)
      else if (i % 4 === 2) patterns.push(`cache-${i}/`)
      else patterns.push(`*.tmp${i}`)
    }
    patterns.push('!private-8.txt', '*.LOG', '!keep.log', 'pages/**/*.map')
    await writeFile(join(dir, '.assetsignore'), patterns.join('\r\n'))
    const matcher = await createAssetsIgnore(dir)

    const expected: Record<string, boolean> = {
      'private-4.txt': true,
      'deep/er/private-99996.txt': true,
      'private-8.txt': false, // re-included by a later negation
      'private-5.txt': false, // 5 is not a multiple of 4
      'pages/page-1.html': true,
      'other/pages/page-1.html': false, // anchored at the top
      'pages/page-2.html': false,
      'cache-2/index.html': true, // below an ignored directory
      'x.tmp3': true,
      'x.tmp99999': true,
      'x.tmp4': false,
      'server.log': true,
      'logs/SERVER.Log': true,
      'keep.log': false,
      'pages/a/b/c.map': true,
      'c.map': false,
      _headers: true,
      'sub/_headers': false,
      'index.html': false,
    }
    expect(
      Object.fromEntries(Object.keys(expected).map((file) => [file, matcher.ignoresFile(file)])),
    ).toEqual(expected)
    expect(matcher.ignoresDirectory('cache-2')).toBe(true)
    expect(matcher.ignoresDirectory('a/cache-99998')).toBe(true)
    expect(matcher.ignoresDirectory('cache-3')).toBe(false)
    expect(matcher.ignoresDirectory('pages')).toBe(false)
  })
})
