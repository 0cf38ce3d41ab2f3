/**
 * What `preview` decides for each kind of CI build, from the CI's own variables (and GitHub's event
 * file) through `readCiContext` to `decidePreview`: production only from a push of the production
 * branch, a pull request's build a Preview or nothing, a fork's pull request refused unless allowed
 * and then in its own Preview, tags and merge queues refused. No bundler, no network.
 */
import { describe, expect, it } from 'vitest'
import { BRANCH_VARIABLES, readCiContext } from '../../src/plan/ci-context.js'
import { decidePreview, type PreviewDecision } from '../../src/plan/preview.js'
import { resolveOptions } from '../../src/options/resolve.js'

const EVENT_PATH = '/ci/event.json'

/** A GitHub pull-request event: head and base repositories by full name (and the head's `fork` flag). */
const pullRequestEvent = (
  head: string,
  base = 'acme/app',
  extra: Record<string, unknown> = {},
) => ({
  pull_request: {
    number: 17,
    html_url: `https://github.com/${base}/pull/17`,
    head: {
      sha: 'a'.repeat(40),
      ref: 'main',
      repo: { full_name: head, fork: head !== base, ...extra },
    },
    base: { ref: 'release', repo: { full_name: base } },
  },
})

interface Case {
  name: string
  env: Record<string, string>
  event?: unknown
  options?: Record<string, unknown>
  /** `'production'`: a version at 100%; a string: that Preview; a RegExp: the error. */
  expected: 'production' | string | RegExp
}

const GITHUB = {
  GITHUB_ACTIONS: 'true',
  GITHUB_REPOSITORY: 'acme/app',
  GITHUB_EVENT_PATH: EVENT_PATH,
}
const FORK_REFUSED =
  /this build is of pull request #17, which comes from a fork: its code would run with the Worker's Preview bindings and secrets, so it is not deployed unless `previewForks: true`/

const CASES: Case[] = [
  // GitHub Actions
  {
    name: 'GitHub push to main',
    env: {
      ...GITHUB,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REF_NAME: 'main',
      GITHUB_REF_TYPE: 'branch',
    },
    event: { head_commit: { message: 'x' } },
    expected: 'production',
  },
  {
    name: 'GitHub push to a feature branch',
    env: {
      ...GITHUB,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: 'refs/heads/feature/x',
      GITHUB_REF_NAME: 'feature/x',
    },
    event: {},
    expected: 'feature/x',
  },
  {
    name: 'GitHub same-repository pull request from main into release',
    env: {
      ...GITHUB,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_HEAD_REF: 'main',
      GITHUB_BASE_REF: 'release',
      GITHUB_REF: 'refs/pull/17/merge',
      GITHUB_REF_NAME: '17/merge',
    },
    event: pullRequestEvent('acme/app'),
    expected: 'main',
  },
  {
    name: 'GitHub fork pull request from its main (pull_request_target)',
    env: {
      ...GITHUB,
      GITHUB_EVENT_NAME: 'pull_request_target',
      GITHUB_HEAD_REF: 'main',
      GITHUB_BASE_REF: 'main',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_REF_NAME: 'main',
    },
    event: pullRequestEvent('mallory/app'),
    expected: FORK_REFUSED,
  },
  {
    name: 'GitHub fork pull request with previewForks: its own Preview',
    env: {
      ...GITHUB,
      GITHUB_EVENT_NAME: 'pull_request_target',
      GITHUB_HEAD_REF: 'feature/x',
      GITHUB_REF_NAME: 'main',
    },
    event: pullRequestEvent('mallory/app'),
    options: { previewForks: true },
    expected: 'pr-17',
  },
  {
    name: 'GitHub fork pull request under preview: true',
    env: { ...GITHUB, GITHUB_EVENT_NAME: 'pull_request', GITHUB_HEAD_REF: 'feature/x' },
    event: pullRequestEvent('mallory/app'),
    options: { preview: true },
    expected: FORK_REFUSED,
  },
  {
    name: 'GitHub fork pull request with a named Preview',
    env: { ...GITHUB, GITHUB_EVENT_NAME: 'pull_request_target', GITHUB_HEAD_REF: 'x' },
    event: pullRequestEvent('mallory/app'),
    options: { preview: 'staging' },
    expected: FORK_REFUSED,
  },
  {
    name: 'GitHub fork pull request with a named Preview and previewForks: that name',
    env: { ...GITHUB, GITHUB_EVENT_NAME: 'pull_request_target', GITHUB_HEAD_REF: 'x' },
    event: pullRequestEvent('mallory/app'),
    options: { preview: 'staging', previewForks: true },
    expected: 'staging',
  },
  {
    name: 'GitHub pull request whose head repository was deleted',
    env: { ...GITHUB, GITHUB_EVENT_NAME: 'pull_request', GITHUB_HEAD_REF: 'main' },
    event: {
      pull_request: { number: 17, head: { repo: null }, base: { repo: { full_name: 'acme/app' } } },
    },
    expected: FORK_REFUSED,
  },
  {
    name: 'GitHub pull request inside a repository that is itself a fork (head.repo.fork true, same repository)',
    env: { ...GITHUB, GITHUB_EVENT_NAME: 'pull_request', GITHUB_HEAD_REF: 'topic' },
    event: pullRequestEvent('acme/app', 'acme/app', { fork: true }),
    expected: 'topic',
  },
  {
    name: 'GitHub pull request without an event file: the head repository is unknown',
    env: {
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_HEAD_REF: 'main',
      GITHUB_REF: 'refs/pull/17/merge',
      GITHUB_REPOSITORY: 'acme/app',
    },
    expected: /pull request #17, from a repository the CI does not name \(it may be a fork\)/,
  },
  {
    name: 'GitHub closed pull request (same repository)',
    env: { ...GITHUB, GITHUB_EVENT_NAME: 'pull_request', GITHUB_HEAD_REF: 'main' },
    event: { action: 'closed', ...pullRequestEvent('acme/app') },
    expected: 'main',
  },
  {
    name: 'GitHub tag named main',
    env: {
      ...GITHUB,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: 'refs/tags/main',
      GITHUB_REF_TYPE: 'tag',
      GITHUB_REF_NAME: 'main',
    },
    event: {},
    expected: /this build is of tag "main" \(GITHUB_REF\), which is no branch; nothing was sent/,
  },
  {
    name: 'GitHub tag named main, GITHUB_REF_TYPE alone',
    env: { GITHUB_EVENT_NAME: 'push', GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: 'main' },
    expected: /tag "main" \(GITHUB_REF_TYPE\)/,
  },
  {
    name: 'GitHub release event (a tag)',
    env: {
      ...GITHUB,
      GITHUB_EVENT_NAME: 'release',
      GITHUB_REF: 'refs/tags/v1.0.0',
      GITHUB_REF_NAME: 'v1.0.0',
    },
    event: {},
    expected: /tag "v1.0.0"/,
  },
  {
    name: 'GitHub merge queue (merge_group)',
    env: {
      ...GITHUB,
      GITHUB_EVENT_NAME: 'merge_group',
      GITHUB_REF: 'refs/heads/gh-readonly-queue/main/pr-17-abc',
      GITHUB_REF_NAME: 'gh-readonly-queue/main/pr-17-abc',
    },
    event: {},
    expected: /merge-queue ref \("refs\/heads\/gh-readonly-queue\/main\/pr-17-abc"\)/,
  },
  {
    name: 'a merge-queue branch pushed to another CI',
    env: { BUILDKITE_BRANCH: 'gh-readonly-queue/main/pr-3-abc', BUILDKITE_PULL_REQUEST: 'false' },
    expected: /merge-queue ref/,
  },
  {
    name: 'GitHub workflow_dispatch on main',
    env: { ...GITHUB, GITHUB_EVENT_NAME: 'workflow_dispatch', GITHUB_REF_NAME: 'main' },
    event: {},
    expected: /only from a push, and this build is a "workflow_dispatch" event/,
  },
  {
    name: 'GitHub workflow_run on main (runs in the base repository)',
    env: { ...GITHUB, GITHUB_EVENT_NAME: 'workflow_run', GITHUB_REF_NAME: 'main' },
    event: {},
    expected: /"workflow_run" event/,
  },
  {
    name: 'GitHub workflow_dispatch on a feature branch',
    env: { ...GITHUB, GITHUB_EVENT_NAME: 'workflow_dispatch', GITHUB_REF_NAME: 'feature/y' },
    event: {},
    expected: 'feature/y',
  },
  {
    name: 'productionBranch: a push to it deploys',
    env: { GITHUB_EVENT_NAME: 'push', GITHUB_REF_NAME: 'release' },
    options: { productionBranch: 'release' },
    expected: 'production',
  },

  // GitLab CI
  {
    name: 'GitLab push to main',
    env: { GITLAB_CI: 'true', CI_PIPELINE_SOURCE: 'push', CI_COMMIT_REF_NAME: 'main' },
    expected: 'production',
  },
  {
    name: 'GitLab merge request from main, same project',
    env: {
      GITLAB_CI: 'true',
      CI_PIPELINE_SOURCE: 'merge_request_event',
      CI_COMMIT_REF_NAME: 'main',
      CI_MERGE_REQUEST_IID: '5',
      CI_MERGE_REQUEST_SOURCE_PROJECT_ID: '1',
      CI_MERGE_REQUEST_PROJECT_ID: '1',
    },
    expected: 'main',
  },
  {
    name: 'GitLab merge request from a fork',
    env: {
      GITLAB_CI: 'true',
      CI_PIPELINE_SOURCE: 'merge_request_event',
      CI_COMMIT_REF_NAME: 'main',
      CI_MERGE_REQUEST_IID: '5',
      CI_MERGE_REQUEST_SOURCE_PROJECT_ID: '2',
      CI_MERGE_REQUEST_PROJECT_ID: '1',
    },
    expected: /pull request #5, which comes from a fork/,
  },
  {
    name: 'GitLab merge request from a fork with previewForks',
    env: {
      GITLAB_CI: 'true',
      CI_COMMIT_REF_NAME: 'main',
      CI_MERGE_REQUEST_IID: '5',
      CI_MERGE_REQUEST_SOURCE_PROJECT_PATH: 'mallory/app',
      CI_MERGE_REQUEST_PROJECT_PATH: 'acme/app',
    },
    options: { previewForks: true },
    expected: 'pr-5',
  },
  {
    name: 'GitLab merge train',
    env: {
      GITLAB_CI: 'true',
      CI_COMMIT_REF_NAME: 'main',
      CI_MERGE_REQUEST_IID: '5',
      CI_MERGE_REQUEST_EVENT_TYPE: 'merge_train',
    },
    expected: /merge-queue ref/,
  },
  {
    name: 'GitLab tag named main',
    env: { GITLAB_CI: 'true', CI_COMMIT_TAG: 'main', CI_COMMIT_REF_NAME: 'main' },
    expected: /tag "main" \(CI_COMMIT_TAG\)/,
  },

  // Bitbucket Pipelines
  {
    name: 'Bitbucket push to main',
    env: { BITBUCKET_BRANCH: 'main', BITBUCKET_COMMIT: 'b'.repeat(40) },
    expected: 'production',
  },
  {
    name: 'Bitbucket pull request from main (no head repository named)',
    env: { BITBUCKET_BRANCH: 'main', BITBUCKET_PR_ID: '9' },
    expected: /pull request #9, from a repository the CI does not name/,
  },
  {
    name: 'Bitbucket pull request with previewForks',
    env: { BITBUCKET_BRANCH: 'main', BITBUCKET_PR_ID: '9' },
    options: { previewForks: true },
    expected: 'pr-9',
  },
  {
    name: 'Bitbucket tag named main',
    env: { BITBUCKET_TAG: 'main' },
    expected: /tag "main" \(BITBUCKET_TAG\)/,
  },

  // CircleCI
  {
    name: 'CircleCI push to main',
    env: { CIRCLECI: 'true', CIRCLE_BRANCH: 'main' },
    expected: 'production',
  },
  {
    name: 'CircleCI pull request from main, same repository',
    env: {
      CIRCLECI: 'true',
      CIRCLE_BRANCH: 'main',
      CIRCLE_PULL_REQUEST: 'https://github.com/acme/app/pull/4',
    },
    expected: 'main',
  },
  {
    name: 'CircleCI pull request from a fork',
    env: {
      CIRCLECI: 'true',
      CIRCLE_BRANCH: 'pull/4',
      CIRCLE_PULL_REQUEST: 'https://github.com/acme/app/pull/4',
      CIRCLE_PR_NUMBER: '4',
      CIRCLE_PR_USERNAME: 'mallory',
      CIRCLE_PR_REPONAME: 'app',
      CIRCLE_PROJECT_USERNAME: 'acme',
      CIRCLE_PROJECT_REPONAME: 'app',
    },
    expected: /pull request #4, which comes from a fork/,
  },
  {
    name: 'CircleCI tag named main',
    env: { CIRCLECI: 'true', CIRCLE_TAG: 'main' },
    expected: /tag "main" \(CIRCLE_TAG\)/,
  },

  // Buildkite
  {
    name: 'Buildkite push to main',
    env: { BUILDKITE: 'true', BUILDKITE_BRANCH: 'main', BUILDKITE_PULL_REQUEST: 'false' },
    expected: 'production',
  },
  {
    name: 'Buildkite pull request from main, same repository',
    env: {
      BUILDKITE: 'true',
      BUILDKITE_BRANCH: 'main',
      BUILDKITE_PULL_REQUEST: '3',
      BUILDKITE_REPO: 'git@github.com:acme/app.git',
      BUILDKITE_PULL_REQUEST_REPO: 'https://github.com/acme/app.git',
    },
    expected: 'main',
  },
  {
    name: 'Buildkite pull request from a fork',
    env: {
      BUILDKITE: 'true',
      BUILDKITE_BRANCH: 'main',
      BUILDKITE_PULL_REQUEST: '3',
      BUILDKITE_REPO: 'git@github.com:acme/app.git',
      BUILDKITE_PULL_REQUEST_REPO: 'https://github.com/mallory/app.git',
    },
    expected: /pull request #3, which comes from a fork/,
  },
  {
    name: 'Buildkite tag named main',
    env: { BUILDKITE: 'true', BUILDKITE_BRANCH: 'main', BUILDKITE_TAG: 'main' },
    expected: /tag "main" \(BUILDKITE_TAG\)/,
  },

  // Workers Builds
  {
    name: 'Workers Builds on main',
    env: { WORKERS_CI: '1', WORKERS_CI_BRANCH: 'main' },
    expected: 'production',
  },
  {
    name: 'Workers Builds on a branch',
    env: { WORKERS_CI: '1', WORKERS_CI_BRANCH: 'feature/z' },
    expected: 'feature/z',
  },

  // Names
  {
    name: 'a branch with a line break',
    env: { GITHUB_EVENT_NAME: 'push', GITHUB_REF_NAME: 'x\n::error title=Injected::y' },
    expected:
      /the branch \(GITHUB_REF_NAME\) "x\\n::error title=Injected::y" holds a control character/,
  },
  {
    name: 'a branch with a bidirectional control',
    env: { CI_COMMIT_REF_NAME: 'a\u202eb' },
    expected: /the branch \(CI_COMMIT_REF_NAME\) "a\\u202eb" holds a control character/,
  },
  {
    name: 'a pull request whose head branch has an escape',
    env: { ...GITHUB, GITHUB_EVENT_NAME: 'pull_request', GITHUB_HEAD_REF: 'x\u001b[31m' },
    event: pullRequestEvent('acme/app'),
    expected: /head branch \(GITHUB_HEAD_REF\) "x\\u001b\[31m" holds a control character/,
  },
]

async function decide(c: Case): Promise<PreviewDecision> {
  const ci = readCiContext(c.env, (path) => {
    if (path !== EVENT_PATH || c.event === undefined) throw new Error(`no such file ${path}`)
    return JSON.stringify(c.event)
  })
  const options = resolveOptions({ worker: 'w', preview: 'auto', ...c.options } as never)
  return decidePreview(options, ci, () => Promise.reject(new Error('git must not be asked in CI')))
}

describe("preview: 'auto' and true per CI build", () => {
  it.each(CASES)('$name', async (c) => {
    const decision = decide(c)
    if (c.expected instanceof RegExp) await expect(decision).rejects.toThrow(c.expected)
    else if (c.expected === 'production') expect(await decision).toEqual({ promote: 100 })
    else expect(await decision).toMatchObject({ preview: { name: c.expected } })
  })

  it('never deploys a pull request, a tag, a merge queue or another event to production, whatever the options', async () => {
    for (const c of CASES.filter(
      (c) =>
        !c.name.endsWith('push to main') &&
        !c.name.includes('Workers Builds on main') &&
        c.expected !== 'production',
    )) {
      for (const previewForks of [false, true]) {
        const decision = await decide({ ...c, options: { ...c.options, previewForks } }).catch(
          () => undefined,
        )
        expect({ case: c.name, promote: decision !== undefined && 'promote' in decision }).toEqual({
          case: c.name,
          promote: false,
        })
      }
    }
  })
})

describe('Preview names', () => {
  const local = (branch: string | undefined) => () => Promise.resolve(branch)

  it('refuses a line break or other control character in the option, quoting it escaped', async () => {
    for (const [name, shown] of [
      ['pr\n::error::x', String.raw`"pr\n::error::x"`],
      ['a\rb', String.raw`"a\rb"`],
      ['tab\there', String.raw`"tab\there"`],
      ['nul\u0000', String.raw`"nul\u0000"`],
      ['c1\u0085', String.raw`"c1\u0085"`],
      ['a\u2028b', String.raw`"a\u2028b"`],
      ['rtl\u202e', String.raw`"rtl\u202e"`],
    ]) {
      const error = await decidePreview(
        resolveOptions({ preview: name! }),
        {},
        local(undefined),
      ).catch((e: Error) => e)
      expect(error).toBeInstanceOf(Error)
      const message = (error as Error).message
      expect(message).toContain(`\`preview\`: the name ${shown} holds a control character`)
      expect(message).not.toMatch(/[\p{Cc}\u2028\u202e]/u)
    }
  })

  it('refuses a control character in the local git branch', async () => {
    await expect(
      decidePreview(resolveOptions({ preview: true }), {}, local('x\n::warning::y')),
    ).rejects.toThrow(/the git branch "x\\n::warning::y" holds a control character/)
  })

  it('lists every variable the branch is read from when none is set', async () => {
    const error = await decidePreview(
      resolveOptions({ preview: true }),
      readCiContext({}),
      local(undefined),
    ).catch((e: Error) => e)
    expect((error as Error).message).toContain(`none of ${BRANCH_VARIABLES.join(', ')} is set`)
    expect(BRANCH_VARIABLES).toContain('BUILDKITE_BRANCH')
    // Each listed variable is read: set alone, it is the branch.
    for (const variable of BRANCH_VARIABLES)
      expect(readCiContext({ [variable]: 'from-var' })).toMatchObject({
        branch: 'from-var',
        branchVariable: variable,
      })
  })

  it('validates previewForks like every option', () => {
    expect(() => resolveOptions({ previewForks: 'yes' } as never)).toThrow(/previewForks/)
    expect(resolveOptions({}).previewForks).toBe(false)
  })
})

describe("preview: 'auto' on the event closing a pull request", () => {
  const closed = (
    head: string,
    event = 'pull_request',
    previewOption: unknown = 'auto',
    previewForks = false,
  ) =>
    decide({
      name: 'closed',
      env: {
        ...GITHUB,
        GITHUB_EVENT_NAME: event,
        GITHUB_HEAD_REF: 'feature/x',
        GITHUB_REF: 'refs/pull/17/merge',
        GITHUB_REF_NAME: '17/merge',
      },
      event: { action: 'closed', ...pullRequestEvent(head) },
      options: { preview: previewOption, previewForks },
      expected: '',
    })

  it("names the same-repository pull request's branch Preview to delete, for pull_request and pull_request_target", async () => {
    for (const event of ['pull_request', 'pull_request_target']) {
      expect(await closed('acme/app', event)).toEqual({
        preview: {
          name: 'feature/x',
          slug: 'feature-x',
          branch: 'feature/x',
          pullRequestClosed: true,
        },
      })
    }
  })

  it("names a fork's pr-<number> to delete, whether or not previewForks allowed it to be made (nothing of the fork runs)", async () => {
    for (const previewForks of [false, true])
      expect(await closed('mallory/app', 'pull_request', 'auto', previewForks)).toEqual({
        preview: { name: 'pr-17', slug: 'pr-17', pullRequestClosed: true },
      })
  })

  it('deletes nothing for preview: true or a named Preview, and for an event other than the closing', async () => {
    expect(await closed('acme/app', 'pull_request', true)).toEqual({
      preview: { name: 'feature/x', slug: 'feature-x', branch: 'feature/x' },
    })
    expect(await closed('acme/app', 'pull_request_review')).toEqual({
      preview: { name: 'feature/x', slug: 'feature-x', branch: 'feature/x' },
    })
  })
})
