import { execFileSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest'
import { currentCommit } from '../../src/plan/git.js'

let root: string
const git = (...args: string[]) =>
  execFileSync('git', [
    '-C',
    root,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@example.com',
    ...args,
  ]).toString()

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

const CANARIES = {
  CLOUDFLARE_API_TOKEN: 'canary-token-7f3a',
  CLOUDFLARE_API_KEY: 'canary-key-91bd',
  CF_API_TOKEN: 'canary-legacy-2c',
  MY_SECRET: 'canary-secret-55e',
}

/** Runs `body` with the canary credentials and secret in the environment, as a CI build has them. */
async function withCanaries(body: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(CANARIES).map((name) => [name, process.env[name]]))
  Object.assign(process.env, CANARIES)
  try {
    await body()
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
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

  it.skipIf(process.platform === 'win32')(
    'starts no git process outside a work tree, and does inside one',
    async () => {
      // A git first on PATH that notes each call, then runs the real one.
      const bin = join(root, 'bin')
      const calls = join(root, 'calls')
      const realGit = execFileSync('sh', ['-c', 'command -v git']).toString().trim()
      await mkdir(bin)
      await writeFile(
        join(bin, 'git'),
        `#!/bin/sh\necho called >> "${calls}"\nexec "${realGit}" "$@"\n`,
      )
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
    },
  )

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

  it.skipIf(process.platform === 'win32')(
    'runs no fsmonitor or hook the repository configures, and git sees no credential or secret',
    async () => {
      const sha = await commit('First')
      // What a hostile repository config could run: each writes its whole environment to a file.
      // git runs the monitor through the shell, so its path stays clear of the quote in `root`.
      const spies = await mkdtemp(join(tmpdir(), 'git-spy-'))
      onTestFinished(() => rm(spies, { recursive: true, force: true }))
      const captured = join(spies, 'captured')
      const spy = join(spies, 'spy.sh')
      await writeFile(spy, `#!/bin/sh\nenv >> "${captured}"\n`)
      await chmod(spy, 0o755)
      git('config', 'core.fsmonitor', spy)
      const hooks = join(spies, 'hooks')
      await mkdir(hooks)
      for (const hook of ['post-index-change', 'reference-transaction', 'post-checkout']) {
        await writeFile(join(hooks, hook), `#!/bin/sh\nenv >> "${captured}"\n`)
        await chmod(join(hooks, hook), 0o755)
      }
      git('config', 'core.hooksPath', hooks)
      // The plain git command runs the monitor, so the setup would catch a leak.
      git('status', '--porcelain')
      expect(await readFile(captured, 'utf8')).toContain('PATH=')
      await rm(captured)

      await withCanaries(async () => {
        // Same content, newer time: the status that follows has something to refresh.
        const later = new Date(Date.now() + 5_000)
        await utimes(join(root, 'index.js'), later, later)
        expect(await currentCommit(root, { withheld: { names: ['MY_SECRET'] } })).toEqual({
          tag: sha,
          subject: 'First',
        })
      })
      const leaked = await readFile(captured, 'utf8').catch(() => '')
      for (const value of Object.values(CANARIES)) expect(leaked).not.toContain(value)
      expect(leaked, 'nothing the repository configured ran').toBe('')
    },
  )

  it.skipIf(process.platform === 'win32')(
    'what git still runs (a clean filter) sees no credential or secret',
    async () => {
      const spies = await mkdtemp(join(tmpdir(), 'git-spy-'))
      onTestFinished(() => rm(spies, { recursive: true, force: true }))
      const captured = join(spies, 'captured')
      await writeFile(join(spies, 'clean.sh'), `#!/bin/sh\nenv >> "${captured}"\ncat\n`)
      await chmod(join(spies, 'clean.sh'), 0o755)
      await writeFile(join(root, '.gitattributes'), '*.js filter=spy\n')
      git('init', '-q')
      git('config', 'filter.spy.clean', join(spies, 'clean.sh'))
      await commit('First')
      await rm(captured)
      await withCanaries(async () => {
        // A changed file time makes status read the file again, through the filter.
        const later = new Date(Date.now() + 5_000)
        await utimes(join(root, 'index.js'), later, later)
        expect((await currentCommit(root, { withheld: { names: ['MY_SECRET'] } }))?.subject).toBe(
          'First',
        )
      })
      const seen = await readFile(captured, 'utf8')
      expect(seen, 'the filter ran').toContain('PATH=')
      for (const [name, value] of Object.entries(CANARIES)) {
        expect(seen).not.toContain(value)
        expect(seen).not.toContain(`${name}=`)
      }
    },
  )
})
