import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

// docs/errors.md is the user's list of error codes; the ErrorCode type is the compiler's. Both must name the
// same codes, and every code the source throws must be in them.

const ROOT = resolve(import.meta.dirname, '../..')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [path] : []
  })
}

describe('error codes', () => {
  const errors = readFileSync(join(ROOT, 'src/core/errors.ts'), 'utf8')
  const union = errors.slice(
    errors.indexOf('export type ErrorCode'),
    errors.indexOf('export class WorkersVersionError'),
  )
  const typed = [...union.matchAll(/\| '([A-Z_]+)'/g)].map((m) => m[1]!).sort()
  const documented = [
    ...readFileSync(join(ROOT, 'docs/errors.md'), 'utf8').matchAll(/^\| `([A-Z_]+)` \|/gm),
  ]
    .map((m) => m[1]!)
    .sort()

  it('documents every code of the ErrorCode type, once, and no other', () => {
    expect(typed.length).toBeGreaterThan(40)
    expect(new Set(documented).size).toBe(documented.length)
    expect(documented).toEqual(typed)
  })

  it('throws only typed codes (every literal passed to WorkersVersionError is in the type)', () => {
    const thrown = new Set<string>()
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      const text = readFileSync(file, 'utf8')
      for (const m of text.matchAll(
        /WorkersVersionError\(\s*(?:[^'(),]*\?\s*)?'([A-Z_]+)'(?:\s*:\s*'([A-Z_]+)')?/g,
      )) {
        thrown.add(m[1]!)
        if (m[2]) thrown.add(m[2])
      }
    }
    expect(thrown.size).toBeGreaterThan(40)
    expect([...thrown].filter((code) => !typed.includes(code))).toEqual([])
  })

  it('the commands fail with WorkersVersionError, whose codes are listed: no error class of their own but the usage error', () => {
    const classes = sourceFiles(join(ROOT, 'src/command')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/class (\w+) extends Error\b/g)].map((m) => m[1]),
    )
    expect(classes).toEqual(['UsageError'])
  })
})
