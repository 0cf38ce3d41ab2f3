import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
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

  it('is undefined outside a repository and in one without commits', async () => {
    expect(await currentCommit(root)).toBeUndefined()
    git('init', '-q')
    expect(await currentCommit(root)).toBeUndefined()
  })
})
