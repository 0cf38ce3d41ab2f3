import { execFileSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { currentCommit } from '../src/git.js'

let root: string
const git = (...args: string[]) => execFileSync('git', ['-C', root, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args]).toString()

beforeEach(async () => {
  // A space and a quote in the path: it reaches git as an argument, never through the shell's parsing.
  root = await mkdtemp(join(tmpdir(), "git it's-"))
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

async function commit(message: string) {
  git('init', '-q')
  await writeFile(join(root, 'index.js'), 'export default {}\n')
  git('add', '.')
  git('commit', '-q', '-m', message)
  return git('rev-parse', '--short', 'HEAD').trim()
}

describe('currentCommit', () => {
  it('reads the short SHA and the subject of a clean work tree', async () => {
    const sha = await commit('Say hello\n\nA body that is not the subject.')
    expect(await currentCommit(root)).toEqual({ tag: sha, subject: 'Say hello' })
  })

  it('marks tracked changes dirty, and leaves untracked files out', async () => {
    const sha = await commit('First')
    await writeFile(join(root, 'new.js'), 'untracked\n')
    expect((await currentCommit(root))?.tag).toBe(sha)
    await writeFile(join(root, 'index.js'), 'export default { changed: true }\n')
    expect(await currentCommit(root)).toEqual({ tag: `${sha}-dirty`, subject: 'First' })
  })

  it.skipIf(process.platform === 'win32')('starts no git process outside a work tree, and does inside one', async () => {
    // A git first on PATH that notes each call, then runs the real one.
    const bin = join(root, 'bin')
    const calls = join(root, 'calls')
    const realGit = execFileSync('sh', ['-c', 'command -v git']).toString().trim()
    await mkdir(bin)
    await writeFile(join(bin, 'git'), `#!/bin/sh\necho called >> "${calls}"\nexec "${realGit}" "$@"\n`)
    await chmod(join(bin, 'git'), 0o755)
    const project = join(root, 'project')
    await mkdir(project)
    const path = process.env.PATH
    process.env.PATH = `${bin}:${path}`
    try {
      expect(await currentCommit(project)).toBeUndefined()
      await expect(readFile(calls, 'utf8')).rejects.toThrow(/ENOENT/)
      execFileSync('git', ['-C', project, 'init', '-q'])
      expect(await currentCommit(project)).toBeUndefined()
      expect(await readFile(calls, 'utf8')).toContain('called')
    } finally {
      process.env.PATH = path
    }
  })

  it('leaves the index alone: no lock, no rewrite when only file times changed', async () => {
    const sha = await commit('First')
    const index = join(root, '.git', 'index')
    const before = (await stat(index)).mtimeMs
    // Same content, newer time: a plain `git status` would refresh the index and write it.
    const later = new Date(Date.now() + 5_000)
    await utimes(join(root, 'index.js'), later, later)
    expect(await currentCommit(root)).toEqual({ tag: sha, subject: 'First' })
    expect((await stat(index)).mtimeMs).toBe(before)
    git('status', '--porcelain')
    expect((await stat(index)).mtimeMs, 'git itself rewrites it').not.toBe(before)
  })

  it('is undefined outside a repository and in one without commits', async () => {
    expect(await currentCommit(root)).toBeUndefined()
    git('init', '-q')
    expect(await currentCommit(root)).toBeUndefined()
  })
})
