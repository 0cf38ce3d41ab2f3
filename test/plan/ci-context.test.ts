import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ciCommit, previewAnnotations, readCiContext, webUrl } from '../../src/plan/ci-context.js'
import { createPlan } from '../../src/plan/index.js'
import { resolveOptions } from '../../src/options/resolve.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ci-context-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const HEAD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678'

describe('readCiContext', () => {
  it('reads a GitHub pull-request event file: number, URL, head SHA and head branch', async () => {
    const event = join(dir, 'event.json')
    await writeFile(
      event,
      JSON.stringify({
        pull_request: {
          number: 42,
          html_url: 'https://github.com/acme/app/pull/42',
          head: { sha: HEAD },
        },
      }),
    )
    const ci = readCiContext({
      GITHUB_EVENT_PATH: event,
      GITHUB_SHA: 'ffffffffffffffffffffffffffffffffffffffff', // the merge commit: not what was pushed
      GITHUB_HEAD_REF: 'feature/login',
      GITHUB_REF_NAME: '42/merge',
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_SERVER_URL: 'https://github.com',
    })
    expect(ci).toMatchObject({
      commitSha: HEAD,
      branch: 'feature/login',
      pullRequest: { number: '42', url: 'https://github.com/acme/app/pull/42' },
      repositoryUrl: 'https://github.com/acme/app',
    })
    expect(previewAnnotations(ci)).toEqual({
      'workers/commit_sha': HEAD,
      'workers/pull_request_number': '42',
      'workers/pull_request_url': 'https://github.com/acme/app/pull/42',
      'workers/repository_url': 'https://github.com/acme/app',
    })
  })

  it('takes the subject of a GitHub push event and the ref name as the branch', async () => {
    const event = join(dir, 'event.json')
    await writeFile(event, JSON.stringify({ head_commit: { message: 'Fix login\n\nlong body' } }))
    const ci = readCiContext({
      GITHUB_EVENT_PATH: event,
      GITHUB_SHA: HEAD,
      GITHUB_REF_NAME: 'main',
      GITHUB_HEAD_REF: '',
    })
    expect(ci.branch).toBe('main')
    expect(ci.pullRequest).toBeUndefined()
    expect(ciCommit(ci)).toEqual({ tag: HEAD.slice(0, 7), subject: 'Fix login' })
  })

  it('reads GitLab, Workers Builds, CircleCI, Buildkite and Bitbucket', () => {
    expect(
      readCiContext({
        CI_COMMIT_SHA: HEAD,
        CI_COMMIT_REF_NAME: 'feat/x',
        CI_MERGE_REQUEST_IID: '7',
        CI_PROJECT_URL: 'https://gitlab.com/acme/app',
        CI_COMMIT_TITLE: 'Title',
      }),
    ).toEqual({
      commitSha: HEAD,
      commitSubject: 'Title',
      branch: 'feat/x',
      branchVariable: 'CI_COMMIT_REF_NAME',
      // A merge request whose source project GitLab does not name here: maybe a fork.
      build: { kind: 'pull-request', fork: undefined },
      pullRequest: { number: '7', url: 'https://gitlab.com/acme/app/-/merge_requests/7' },
      repositoryUrl: 'https://gitlab.com/acme/app',
    })
    expect(
      readCiContext({
        WORKERS_CI: '1',
        WORKERS_CI_COMMIT_SHA: HEAD,
        WORKERS_CI_BRANCH: 'preview-me',
      }),
    ).toMatchObject({ commitSha: HEAD, branch: 'preview-me' })
    expect(
      readCiContext({
        CIRCLE_SHA1: HEAD,
        CIRCLE_BRANCH: 'c',
        CIRCLE_PULL_REQUEST: 'https://github.com/acme/app/pull/9',
        CIRCLE_REPOSITORY_URL: 'git@github.com:acme/app.git',
      }),
    ).toMatchObject({
      branch: 'c',
      pullRequest: { number: '9', url: 'https://github.com/acme/app/pull/9' },
      repositoryUrl: 'https://github.com/acme/app',
    })
    expect(
      readCiContext({
        BUILDKITE_COMMIT: HEAD,
        BUILDKITE_BRANCH: 'b',
        BUILDKITE_PULL_REQUEST: 'false',
        BUILDKITE_REPO: 'git@github.com:acme/app.git',
      }).pullRequest,
    ).toBeUndefined()
    expect(
      readCiContext({
        BUILDKITE_PULL_REQUEST: '3',
        BUILDKITE_REPO: 'https://github.com/acme/app.git',
      }).pullRequest,
    ).toEqual({ number: '3', url: 'https://github.com/acme/app/pull/3' })
    expect(readCiContext({ BITBUCKET_BRANCH: 'bb', BITBUCKET_COMMIT: HEAD }).branch).toBe('bb')
  })

  it('is empty outside CI, and survives an event file that is not JSON', async () => {
    expect(readCiContext({})).toEqual({
      commitSha: undefined,
      commitSubject: undefined,
      branch: undefined,
      pullRequest: undefined,
      repositoryUrl: undefined,
    })
    const event = join(dir, 'event.json')
    await writeFile(event, '{not json')
    expect(readCiContext({ GITHUB_EVENT_PATH: event }).pullRequest).toBeUndefined()
  })

  it('makes repository URLs web URLs without credentials', () => {
    expect(webUrl('https://user:token@gitlab.example.com/acme/app.git?x=1')).toBe(
      'https://gitlab.example.com/acme/app',
    )
    expect(webUrl('ssh://git@github.com/acme/app.git')).toBe('https://github.com/acme/app')
    expect(webUrl('/srv/repo')).toBeUndefined()
  })
})

/** A `git` on PATH that records each run: the test sees whether the plan started one. */
async function fakeGit(): Promise<{ marker: string; restore: () => void }> {
  const bin = join(dir, 'bin')
  const marker = join(dir, 'git-ran')
  await mkdir(bin)
  await writeFile(
    join(bin, 'git'),
    `#!/bin/sh\necho ran >> "${marker}"\ncase "$*" in *' log '*) printf 'abc1234\\nLocal subject\\n' ;; *' branch '*) echo feature/local ;; esac\n`,
  )
  await chmod(join(bin, 'git'), 0o755)
  await mkdir(join(dir, 'project', '.git'), { recursive: true })
  const saved = process.env.PATH
  process.env.PATH = `${bin}:${saved}`
  return { marker, restore: () => void (process.env.PATH = saved) }
}

describe('the commit annotations in CI', () => {
  const plan = (env: NodeJS.ProcessEnv) =>
    createPlan(
      resolveOptions({
        worker: 'w',
        upload: true,
        wrangler: false,
        apiToken: 't',
        accountId: 'a'.repeat(32),
      }),
      join(dir, 'project'),
      { bundler: 'rollup', root: join(dir, 'project'), watch: false },
      env,
    )

  it('come from the environment with no git process; locally git is asked', async () => {
    const git = await fakeGit()
    try {
      const inCi = await plan({ GITHUB_SHA: HEAD })
      expect(inCi.upload && (await inCi.gitAnnotations)).toEqual({
        'workers/tag': HEAD.slice(0, 7),
      })
      await expect(readFile(git.marker, 'utf8')).rejects.toThrow()

      const local = await plan({})
      expect(local.upload && (await local.gitAnnotations)).toEqual({
        'workers/tag': 'abc1234',
        'workers/message': 'Local subject',
      })
      expect(await readFile(git.marker, 'utf8')).toContain('ran\n')
    } finally {
      git.restore()
    }
  })
})

describe('the commit subject from CI', () => {
  it('ends at any line break, a bare CR or CRLF as well as LF: workers/message never holds a CR', async () => {
    for (const title of ['Fix login\rINJECTED', 'Fix login\r\nbody', 'Fix login\nbody']) {
      const ci = readCiContext({ CI_COMMIT_SHA: HEAD, CI_COMMIT_TITLE: title })
      expect(ci.commitSubject).toBe('Fix login')
    }
    const event = join(dir, 'event.json')
    await writeFile(
      event,
      JSON.stringify({ head_commit: { message: 'Subject\rrest\r\n\r\nbody' } }),
    )
    expect(readCiContext({ GITHUB_SHA: HEAD, GITHUB_EVENT_PATH: event }).commitSubject).toBe(
      'Subject',
    )
  })

  it('reaches workers/message without a CR', async () => {
    const planned = await createPlan(
      resolveOptions({
        worker: 'w',
        upload: true,
        wrangler: false,
        apiToken: 't',
        accountId: 'a'.repeat(32),
      }),
      join(dir, 'project'),
      { bundler: 'rollup', root: join(dir, 'project'), watch: false },
      {
        CI_COMMIT_SHA: HEAD,
        CI_COMMIT_TITLE: 'Title\rspoofed',
      },
    )
    expect(planned.upload && (await planned.gitAnnotations)).toEqual({
      'workers/tag': HEAD.slice(0, 7),
      'workers/message': 'Title',
    })
  })
})

describe('the Preview name from the branch', () => {
  const planWith = (preview: unknown, env: NodeJS.ProcessEnv) =>
    createPlan(
      resolveOptions({ worker: 'w', upload: false, wrangler: false, preview } as never),
      join(dir, 'project'),
      { bundler: 'rollup', root: join(dir, 'project'), watch: false },
      env,
    )

  it('takes the CI branch first, then the local git branch, and decides auto per branch', async () => {
    await mkdir(join(dir, 'project'), { recursive: true })
    expect(
      (await planWith(true, { WORKERS_CI_BRANCH: 'wb/branch', GITHUB_REF_NAME: 'gh' })).preview,
    ).toEqual({ name: 'wb/branch', slug: 'wb-branch', branch: 'wb/branch' })
    expect(
      (await planWith(true, { GITHUB_HEAD_REF: '', GITHUB_REF_NAME: 'Release/1.2' })).preview,
    ).toEqual({ name: 'Release/1.2', slug: 'release-1-2', branch: 'Release/1.2' })
    const git = await fakeGit()
    try {
      expect((await planWith(true, {})).preview).toEqual({
        name: 'feature/local',
        slug: 'feature-local',
        branch: 'feature/local',
      })
    } finally {
      git.restore()
    }
    expect((await planWith('auto', { CI_COMMIT_REF_NAME: 'main' })).preview).toBeUndefined()
    expect((await planWith('auto', { CI_COMMIT_REF_NAME: 'topic' })).preview?.name).toBe('topic')
  })

  it('is an error naming the option and the variables when no branch is known', async () => {
    await mkdir(join(dir, 'elsewhere'), { recursive: true })
    const plan = createPlan(
      resolveOptions({ worker: 'w', upload: false, wrangler: false, preview: true }),
      join(dir, 'elsewhere'),
      { bundler: 'rollup', root: join(dir, 'elsewhere'), watch: false },
      {},
    )
    await expect(plan).rejects.toThrow(
      /`preview: true` needs the branch, and none was found: none of WORKERS_CI_BRANCH, GITHUB_HEAD_REF, GITHUB_REF_NAME, CI_COMMIT_REF_NAME, BITBUCKET_BRANCH, CIRCLE_BRANCH, BUILDKITE_BRANCH is set/,
    )
  })
})
