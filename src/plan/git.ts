import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { childEnvironment, type Withheld } from '../core/child-env.js'

export interface GitCommit {
  /** The short SHA, with `-dirty` when the work tree has uncommitted changes. */
  tag: string
  /** The commit's subject line. */
  subject: string
}

// A repository's config can name programs git runs on its own: `core.fsmonitor` runs on every
// `git status`, and hooks run on index writes. The build only reads, so both are off (git 2.36+
// reads `false` as "no monitor"; older versions run `false`, which fails, and scan instead).
const SAFE = ['-c', 'core.fsmonitor=false', '-c', 'core.hooksPath=/dev/null']
const LOG = [...SAFE, 'log', '-1', '--format=%h%n%s']
const STATUS = [...SAFE, 'status', '--porcelain', '--untracked-files=no']
// Starting a process forks the build's whole process, about 12 ms of the main thread for a
// Vite build's size (measured, 150 MB resident): on POSIX one `sh` runs both git commands, so
// the build pays for one fork instead of two. The root travels as an argument, never quoted.
const BOTH_COMMANDS = `git -C "$1" ${LOG.join(' ')} && git -C "$1" ${STATUS.join(' ')}`

/**
 * Whether git could find a work tree from `root`: a `.git` directory (or, in a linked work tree or
 * a submodule, file) there or in a parent, or `GIT_DIR` set. Outside one, starting git would cost
 * the fork and answer nothing: a Docker build whose context leaves `.git` out, a temporary directory.
 */
function mayBeInWorkTree(root: string): boolean {
  if (process.env.GIT_DIR) return true
  for (let dir = resolve(root); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return true
    if (dirname(dir) === dir) return false
  }
}

export interface CurrentCommitOptions {
  /** What git must not see besides the Cloudflare credential variables: the `secrets.fromEnv` names, the credentials' values. */
  withheld?: Withheld
}

/**
 * The checked-out commit of the git work tree at `root`, or undefined outside one (or without
 * git). Tracked changes make it dirty; untracked files do not, as `git describe --dirty` decides.
 */
export async function currentCommit(
  root: string,
  options: CurrentCommitOptions = {},
): Promise<GitCommit | undefined> {
  if (!mayBeInWorkTree(root)) return undefined
  const run = await gitRunner(options)
  try {
    // The log's two lines (SHA, subject), then the status lines.
    const output =
      process.platform === 'win32'
        ? (
            await Promise.all([
              run('git', ['-C', root, ...LOG]),
              run('git', ['-C', root, ...STATUS]),
            ])
          ).join('')
        : await run('sh', ['-c', BOTH_COMMANDS, 'sh', root])
    const [sha = '', subject = '', ...changes] = output.split('\n')
    if (sha === '') return undefined
    return { tag: `${sha}${changes.join('').trim() === '' ? '' : '-dirty'}`, subject }
  } catch {
    return undefined
  }
}

/** Runs a program with the clean environment git gets, resolving its standard output. */
async function gitRunner(
  options: CurrentCommitOptions,
): Promise<(file: string, args: string[]) => Promise<string>> {
  const { execFile } = await import('node:child_process')
  // `git status` refreshes the index, writing it under a lock, when file times have changed. A build
  // only reads: with optional locks off it never holds the lock a concurrent `git commit` needs.
  return (file, args) =>
    new Promise<string>((resolve, reject) =>
      execFile(
        file,
        args,
        {
          timeout: 10_000,
          windowsHide: true,
          env: { ...childEnvironment(process.env, options.withheld), GIT_OPTIONAL_LOCKS: '0' },
        },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      ),
    )
}

/** The checked-out branch of the work tree at `root`; undefined outside one, without git, or on a detached HEAD. */
export async function currentBranch(
  root: string,
  options: CurrentCommitOptions = {},
): Promise<string | undefined> {
  if (!mayBeInWorkTree(root)) return undefined
  const run = await gitRunner(options)
  try {
    return (await run('git', ['-C', root, ...SAFE, 'branch', '--show-current'])).trim() || undefined
  } catch {
    return undefined
  }
}
