import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface GitCommit {
  /** The short SHA, with `-dirty` when the work tree has uncommitted changes. */
  tag: string
  /** The commit's subject line. */
  subject: string
}

/**
 * The checked-out commit of the git work tree at `root`, or undefined outside one (or without
 * git). Tracked changes make it dirty; untracked files do not, as `git describe --dirty` decides.
 */
export async function currentCommit(root: string): Promise<GitCommit | undefined> {
  const git = (...args: string[]) => run('git', ['-C', root, ...args], { timeout: 10_000, windowsHide: true }).then(({ stdout }) => stdout)
  try {
    const [log, status] = await Promise.all([git('log', '-1', '--format=%h%n%s'), git('status', '--porcelain', '--untracked-files=no')])
    const [sha = '', subject = ''] = log.split('\n')
    if (sha === '') return undefined
    return { tag: `${sha}${status.trim() === '' ? '' : '-dirty'}`, subject }
  } catch {
    return undefined
  }
}
