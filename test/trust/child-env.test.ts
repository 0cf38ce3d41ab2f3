// Child processes get no credential and no secret, whatever variable holds it. Each
// test reads the environment the child really got: a `git` on PATH that writes its own
// environment to a file, and workerd's /proc/<pid>/environ while preflight runs it.
import childProcess, { type ChildProcess } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest'
import { childEnvironment, withheldNames } from '../../src/core/child-env.js'
import { currentCommit } from '../../src/plan/git.js'
import { preflight } from '../../src/version/preflight.js'

/** A token under a name of the user's choosing (`apiToken: process.env.MY_CF_TOKEN`), a copy of it, and the usual suspects. */
const CANARIES = {
  MY_CF_TOKEN: 'canary-custom-token-4be1c9d2',
  TOKEN_COPY: ' canary-custom-token-4be1c9d2\n',
  CLOUDFLARE_API_TOKEN: 'canary-cloudflare-token-77',
  MY_SECRET: 'canary-from-env-secret-31',
  SECRET_ELSEWHERE: 'canary-secret-text-value-08',
}
const WITHHELD = { names: ['my_secret'], values: [CANARIES.MY_CF_TOKEN, CANARIES.SECRET_ELSEWHERE] }

const saved = new Map<string, string | undefined>()
function setEnv(vars: Record<string, string>): void {
  for (const [name, value] of Object.entries(vars)) {
    if (!saved.has(name)) saved.set(name, process.env[name])
    process.env[name] = value
  }
}
afterEach(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  saved.clear()
  vi.restoreAllMocks()
})

function expectNoCanary(environment: string): void {
  for (const value of Object.values(CANARIES)) expect(environment).not.toContain(value.trim())
}

describe('childEnvironment', () => {
  it('drops credential variables, the withheld names (any case) and every variable holding a withheld value, trimmed or not', () => {
    const env = { PATH: '/bin', HOME: '/home/u', ...CANARIES }
    expect(withheldNames(env, WITHHELD).sort()).toEqual([
      'CLOUDFLARE_API_TOKEN',
      'MY_CF_TOKEN',
      'MY_SECRET',
      'SECRET_ELSEWHERE',
      'TOKEN_COPY',
    ])
    expect(childEnvironment(env, WITHHELD)).toEqual({ PATH: '/bin', HOME: '/home/u' })
  })

  it('an empty value withholds nothing else', () => {
    expect(childEnvironment({ A: '', B: 'x' }, { values: ['', ' ', undefined] })).toEqual({
      A: '',
      B: 'x',
    })
  })
})

describe.skipIf(process.platform !== 'linux')('what the children really get', () => {
  it('git, found on PATH, runs with none of them', async () => {
    const root = await mkdtemp(join(tmpdir(), 'child-env-git-'))
    onTestFinished(() => rm(root, { recursive: true, force: true }))
    const real = childProcess
      .execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' })
      .trim()
    const git = (...args: string[]) =>
      childProcess.execFileSync(real, args, {
        cwd: root,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@example.com',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@example.com',
        },
      })
    git('init', '-q')
    await writeFile(join(root, 'index.js'), 'export default {}\n')
    git('add', '.')
    git('commit', '-q', '-m', 'First')
    // A `git` first on PATH that records its environment, then runs the real one.
    const shim = join(root, '.shim')
    await childProcess.execFileSync('mkdir', [shim])
    const captured = join(root, '.captured')
    await writeFile(join(shim, 'git'), `#!/bin/sh\nenv >> "${captured}"\nexec "${real}" "$@"\n`)
    await chmod(join(shim, 'git'), 0o755)
    setEnv({ ...CANARIES, PATH: `${shim}:${process.env.PATH}` })
    expect((await currentCommit(root, { withheld: WITHHELD }))?.subject).toBe('First')
    const seen = await readFile(captured, 'utf8')
    expect(seen, 'the shim ran').toContain('PATH=')
    expectNoCanary(seen)
  })

  it('workerd, started by preflight, runs with none of them (its /proc environ read as it starts)', async () => {
    setEnv(CANARIES)
    const spawned: ChildProcess[] = []
    const environments: string[] = []
    const spawn = childProcess.spawn
    vi.spyOn(childProcess, 'spawn').mockImplementation(((...args: Parameters<typeof spawn>) => {
      const child = spawn(...args)
      spawned.push(child)
      // libuv returns once the child has exec'd, so this is the program's own environment.
      environments.push(readFileSync(`/proc/${child.pid}/environ`, 'utf8').replace(/\0/g, '\n'))
      return child
    }) as typeof spawn)
    const logger = { info: () => undefined, warn: () => undefined, silent: () => false }
    const modules = [
      {
        name: 'index.js',
        content_type: 'application/javascript+module' as const,
        contents: Buffer.from("export default { fetch: () => new Response('ok') }\n"),
      },
    ]
    const startup = await preflight(
      { mainModule: 'index.js', modules, config: { compatibility_date: '2025-01-01' } },
      'child-env',
      logger,
      WITHHELD,
      process.cwd(),
    )
    expect(startup, 'workerd started the Worker').toBeGreaterThan(0)
    expect(spawned.map((child) => child.spawnfile).join(' ')).toMatch(/workerd/)
    expect(environments.join('\n'), 'workerd was seen running').toMatch(/(^|\n)PATH=/)
    expectNoCanary(environments.join('\n'))
  })
})
