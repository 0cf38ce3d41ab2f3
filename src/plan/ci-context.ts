/**
 * What the CI tells about the build without starting any process: the commit, the branch, the
 * pull request and the repository, read from its environment variables and (GitHub) its event
 * file. Outside CI every field is undefined and the callers fall back to git (`src/plan/git.ts`).
 */
import { readFileSync } from 'node:fs'
import { isRecord } from '../core/guards.js'
import type { GitCommit } from './git.js'

interface PullRequest {
  number?: string
  url?: string
}

/**
 * What the CI built, as its variables say. Only `branch` (a push of a branch of the repository
 * itself) may reach production through `preview: 'auto'`.
 */
type CiBuild =
  | { kind: 'branch' }
  /**
   * `fork`: the head is in another repository; undefined when the CI does not say (treated as a fork).
   * `closed`: the GitHub event is the pull request's closing (`action: closed`, merged or not).
   */
  | { kind: 'pull-request'; fork: boolean | undefined; closed?: true }
  | { kind: 'tag'; tag: string; variable: string }
  | { kind: 'merge-queue'; ref: string }
  /** A GitHub event other than a push or a pull request (`workflow_dispatch`, `schedule`, `workflow_run` …). */
  | { kind: 'other'; event: string }

export interface CiContext {
  /** The full commit SHA being built. */
  commitSha?: string
  /** The commit's subject line, when the CI states it (a GitHub push event, GitLab, Buildkite). */
  commitSubject?: string
  /** The branch: for a pull request, its head branch. */
  branch?: string
  /** The variable `branch` was read from, for messages. */
  branchVariable?: string
  /** What was built; undefined outside CI (a local build of the checked-out branch). */
  build?: CiBuild
  pullRequest?: PullRequest
  /** The repository's web URL (https, no credentials, no `.git`). */
  repositoryUrl?: string
}

type Env = Readonly<Record<string, string | undefined>>

/** The first variable that is set and not blank. */
function first(env: Env, ...names: readonly string[]): string | undefined {
  return firstNamed(env, names)?.value
}

function firstNamed(
  env: Env,
  names: readonly string[],
): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim()
    if (value) return { name, value }
  }
  return undefined
}

/**
 * Where the branch is read from, first set wins: Workers Builds, GitHub (a pull request's head
 * branch, else the ref's name), GitLab, Bitbucket, CircleCI, Buildkite. Messages list these.
 */
export const BRANCH_VARIABLES = [
  'WORKERS_CI_BRANCH',
  'GITHUB_HEAD_REF',
  'GITHUB_REF_NAME',
  'CI_COMMIT_REF_NAME',
  'BITBUCKET_BRANCH',
  'CIRCLE_BRANCH',
  'BUILDKITE_BRANCH',
] as const

/**
 * A repository or pull-request URL as a browser opens it: `git@host:path` and `ssh://git@host/path`
 * become https, credentials, query and `.git` are dropped; anything else (a file path) is none.
 */
export function webUrl(text: string | undefined): string | undefined {
  const trimmed = text?.trim()
  if (!trimmed) return undefined
  const scp = /^git@([^:/]+):(.+)$/.exec(trimmed)
  if (scp) return `https://${scp[1]}/${scp[2]!.replace(/\.git$/, '')}`
  let url: URL
  try {
    url = new URL(trimmed)
  } catch {
    return undefined
  }
  if (url.protocol === 'ssh:' && url.username === 'git')
    return `https://${url.host}${url.pathname.replace(/\.git$/, '')}`
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
  url.username = ''
  url.password = ''
  url.search = ''
  url.hash = ''
  url.pathname = url.pathname.replace(/\.git$/, '')
  return url.href.replace(/\/$/, '')
}

/** The GitHub event file's JSON, or undefined when there is none or it does not parse. */
function githubEvent(
  env: Env,
  read: (path: string) => string,
): Record<string, unknown> | undefined {
  const path = env.GITHUB_EVENT_PATH
  if (!path) return undefined
  try {
    const parsed: unknown = JSON.parse(read(path))
    return isRecord(parsed) ? parsed : undefined
  } catch {
    return undefined
  }
}

const asText = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== ''
    ? value.trim()
    : typeof value === 'number'
      ? String(value)
      : undefined

function githubPullRequest(
  env: Env,
  event: Record<string, unknown> | undefined,
  repositoryUrl: string | undefined,
): PullRequest | undefined {
  const pr = isRecord(event?.pull_request) ? event.pull_request : undefined
  if (pr) {
    const found = { number: asText(pr.number), url: webUrl(asText(pr.html_url)) }
    if (found.number || found.url) return found
  }
  // A workflow run on `refs/pull/<n>/merge` without the event file still names the pull request.
  const number = /^refs\/pull\/(\d+)\//.exec(env.GITHUB_REF ?? '')?.[1]
  return number && repositoryUrl ? { number, url: `${repositoryUrl}/pull/${number}` } : undefined
}

/**
 * Reads the CI's values. GitHub Actions, GitLab CI, Workers Builds, Buildkite, CircleCI and
 * Bitbucket Pipelines are known; on a pull-request run GitHub's `GITHUB_SHA` is the merge
 * commit, so the event's head SHA (the commit pushed) wins.
 */
export function readCiContext(
  env: Env = process.env,
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): CiContext {
  const event = githubEvent(env, read)
  const headSha =
    isRecord(event?.pull_request) && isRecord(event.pull_request.head)
      ? asText(event.pull_request.head.sha)
      : undefined
  const commitSha =
    first(env, 'WORKERS_CI_COMMIT_SHA') ??
    headSha ??
    first(env, 'GITHUB_SHA', 'CI_COMMIT_SHA', 'BUILDKITE_COMMIT', 'CIRCLE_SHA1', 'BITBUCKET_COMMIT')
  const githubRepository = env.GITHUB_REPOSITORY
    ? webUrl(
        `${(env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/$/, '')}/${env.GITHUB_REPOSITORY}`,
      )
    : undefined
  const repositoryUrl =
    githubRepository ??
    webUrl(
      first(
        env,
        'CI_PROJECT_URL',
        'BUILDKITE_REPO',
        'CIRCLE_REPOSITORY_URL',
        'BITBUCKET_GIT_HTTP_ORIGIN',
      ),
    )
  const headCommit = isRecord(event?.head_commit) ? asText(event.head_commit.message) : undefined
  const branch = firstNamed(env, BRANCH_VARIABLES)
  return {
    commitSha,
    // The first line, ended by any line break: a bare CR (old Mac endings, or a title set by a script) too.
    commitSubject: (headCommit ?? first(env, 'CI_COMMIT_TITLE', 'BUILDKITE_MESSAGE'))?.split(
      /\r\n|\r|\n/,
    )[0],
    branch: branch?.value,
    branchVariable: branch?.name,
    build: ciBuild(env, event, branch?.value),
    pullRequest:
      githubPullRequest(env, event, githubRepository) ?? otherPullRequest(env, repositoryUrl),
    repositoryUrl,
  }
}

/** GitHub events whose build is of a pull request's code (the head branch is `GITHUB_HEAD_REF`). */
const PULL_REQUEST_EVENTS = new Set([
  'pull_request',
  'pull_request_target',
  'pull_request_review',
  'pull_request_review_comment',
])

/** The branches GitHub's merge queue pushes: `gh-readonly-queue/<base>/pr-<n>-<sha>`. */
const MERGE_QUEUE_BRANCH = /^(?:refs\/heads\/)?gh-readonly-queue\//

/**
 * Classifies the build: a tag, a merge queue, a pull request (from a fork or not), another GitHub
 * event, or else the push of a branch. Checked in that order, so a tag or a merge-queue ref is
 * never taken for the branch its name looks like.
 */
function ciBuild(
  env: Env,
  event: Record<string, unknown> | undefined,
  branch: string | undefined,
): CiBuild | undefined {
  const tag = tagOf(env)
  if (tag) return { kind: 'tag', ...tag }
  const githubEvent = first(env, 'GITHUB_EVENT_NAME')
  const queueRef = [env.GITHUB_REF, branch].find(
    (ref) => ref !== undefined && MERGE_QUEUE_BRANCH.test(ref.trim()),
  )
  if (githubEvent === 'merge_group' || queueRef !== undefined)
    return {
      kind: 'merge-queue',
      ref: queueRef?.trim() ?? first(env, 'GITHUB_REF') ?? 'merge_group',
    }
  if (first(env, 'CI_MERGE_REQUEST_EVENT_TYPE') === 'merge_train')
    return { kind: 'merge-queue', ref: first(env, 'CI_COMMIT_REF_NAME') ?? 'merge train' }
  const pullRequest = pullRequestBuild(env, event, githubEvent)
  if (pullRequest) return pullRequest
  if (githubEvent !== undefined && githubEvent !== 'push')
    return { kind: 'other', event: githubEvent }
  return branch === undefined ? undefined : { kind: 'branch' }
}

function tagOf(env: Env): { tag: string; variable: string } | undefined {
  const ref = first(env, 'GITHUB_REF')
  if (ref?.startsWith('refs/tags/'))
    return { tag: ref.slice('refs/tags/'.length), variable: 'GITHUB_REF' }
  if (first(env, 'GITHUB_REF_TYPE') === 'tag')
    return { tag: first(env, 'GITHUB_REF_NAME') ?? '', variable: 'GITHUB_REF_TYPE' }
  const other = firstNamed(env, ['CI_COMMIT_TAG', 'BITBUCKET_TAG', 'CIRCLE_TAG', 'BUILDKITE_TAG'])
  return other && { tag: other.value, variable: other.name }
}

function pullRequestBuild(
  env: Env,
  event: Record<string, unknown> | undefined,
  githubEvent: string | undefined,
): CiBuild | undefined {
  const pull = (fork: boolean | undefined): CiBuild => ({ kind: 'pull-request', fork })
  if (
    (githubEvent !== undefined && PULL_REQUEST_EVENTS.has(githubEvent)) ||
    first(env, 'GITHUB_HEAD_REF') ||
    isRecord(event?.pull_request) ||
    /^refs\/pull\//.test(env.GITHUB_REF ?? '')
  ) {
    const closed =
      (githubEvent === 'pull_request' || githubEvent === 'pull_request_target') &&
      event?.action === 'closed' &&
      isRecord(event.pull_request)
    return closed
      ? { kind: 'pull-request', fork: githubFork(env, event), closed: true }
      : pull(githubFork(env, event))
  }
  if (
    first(env, 'CI_MERGE_REQUEST_IID') ||
    first(env, 'CI_PIPELINE_SOURCE') === 'merge_request_event'
  ) {
    return pull(
      differ(
        first(env, 'CI_MERGE_REQUEST_SOURCE_PROJECT_ID'),
        first(env, 'CI_MERGE_REQUEST_PROJECT_ID'),
      ) ??
        differ(
          first(env, 'CI_MERGE_REQUEST_SOURCE_PROJECT_PATH'),
          first(env, 'CI_MERGE_REQUEST_PROJECT_PATH'),
        ),
    )
  }
  if (
    first(env, 'CI_EXTERNAL_PULL_REQUEST_IID') ||
    first(env, 'CI_PIPELINE_SOURCE') === 'external_pull_request_event'
  ) {
    return pull(
      differ(
        first(env, 'CI_EXTERNAL_PULL_REQUEST_SOURCE_REPOSITORY'),
        first(env, 'CI_EXTERNAL_PULL_REQUEST_TARGET_REPOSITORY'),
      ),
    )
  }
  if (first(env, 'CIRCLE_PULL_REQUEST', 'CIRCLE_PR_NUMBER')) {
    // CircleCI sets CIRCLE_PR_NUMBER, CIRCLE_PR_USERNAME and CIRCLE_PR_REPONAME only for a pull request from a fork.
    if (!first(env, 'CIRCLE_PR_NUMBER', 'CIRCLE_PR_USERNAME', 'CIRCLE_PR_REPONAME'))
      return pull(false)
    const head = [first(env, 'CIRCLE_PR_USERNAME'), first(env, 'CIRCLE_PR_REPONAME')]
    const project = [first(env, 'CIRCLE_PROJECT_USERNAME'), first(env, 'CIRCLE_PROJECT_REPONAME')]
    const known = (parts: Array<string | undefined>) =>
      parts.every((part) => part !== undefined) ? parts.join('/') : undefined
    return pull(differ(known(head), known(project)) ?? true)
  }
  const buildkite = first(env, 'BUILDKITE_PULL_REQUEST')
  if (buildkite && /^\d+$/.test(buildkite))
    return pull(
      differ(
        webUrl(first(env, 'BUILDKITE_PULL_REQUEST_REPO')),
        webUrl(first(env, 'BUILDKITE_REPO')),
      ),
    )
  // Bitbucket names no head repository.
  if (first(env, 'BITBUCKET_PR_ID')) return pull(undefined)
  return undefined
}

/** Whether two repository names differ (case-insensitively); undefined when either is unknown. */
function differ(a: string | undefined, b: string | undefined): boolean | undefined {
  return a === undefined || b === undefined ? undefined : a.toLowerCase() !== b.toLowerCase()
}

/**
 * Whether the pull request's head is another repository, from the event file. The names (or ids)
 * decide: `head.repo.fork` is true for every pull request inside a repository that is itself a fork,
 * so it is read only when nothing names the two repositories. A deleted head repository is a fork.
 */
function githubFork(env: Env, event: Record<string, unknown> | undefined): boolean | undefined {
  const pr = isRecord(event?.pull_request) ? event.pull_request : undefined
  const head = isRecord(pr?.head) ? pr.head : undefined
  if (!head || !('repo' in head)) return undefined
  if (head.repo === null) return true
  const headRepo = isRecord(head.repo) ? head.repo : undefined
  const baseRepo = isRecord(pr?.base) && isRecord(pr.base.repo) ? pr.base.repo : undefined
  const byId = differ(asText(headRepo?.id), asText(baseRepo?.id))
  if (byId !== undefined) return byId
  const byName = differ(
    asText(headRepo?.full_name),
    asText(baseRepo?.full_name) ?? first(env, 'GITHUB_REPOSITORY'),
  )
  if (byName !== undefined) return byName
  return headRepo?.fork === true ? true : undefined
}

function otherPullRequest(env: Env, repositoryUrl: string | undefined): PullRequest | undefined {
  const gitlab = first(env, 'CI_MERGE_REQUEST_IID')
  const gitlabProject = webUrl(first(env, 'CI_MERGE_REQUEST_PROJECT_URL', 'CI_PROJECT_URL'))
  if (gitlab)
    return { number: gitlab, url: gitlabProject && `${gitlabProject}/-/merge_requests/${gitlab}` }
  const circleUrl = webUrl(first(env, 'CIRCLE_PULL_REQUEST'))
  const circle =
    first(env, 'CIRCLE_PR_NUMBER') ??
    (circleUrl ? /\/pull\/(\d+)$/.exec(circleUrl)?.[1] : undefined)
  if (circle || circleUrl) return { number: circle, url: circleUrl }
  // Buildkite writes "false" outside a pull request.
  const buildkite = first(env, 'BUILDKITE_PULL_REQUEST')
  if (buildkite && /^\d+$/.test(buildkite))
    return {
      number: buildkite,
      url: repositoryUrl?.startsWith('https://github.com/')
        ? `${repositoryUrl}/pull/${buildkite}`
        : undefined,
    }
  const bitbucket = first(env, 'BITBUCKET_PR_ID')
  if (bitbucket)
    return {
      number: bitbucket,
      url: repositoryUrl && `${repositoryUrl}/pull-requests/${bitbucket}`,
    }
  return undefined
}

/**
 * The commit as the version annotations use it, from the CI alone: the short SHA as the tag (a CI
 * checkout is clean) and the subject when the CI states it. Undefined outside CI: git is asked then.
 */
export function ciCommit(ci: CiContext): GitCommit | undefined {
  return ci.commitSha
    ? { tag: ci.commitSha.slice(0, 7), subject: ci.commitSubject ?? '' }
    : undefined
}

/** The annotations only Preview deployments accept (Create Version takes `workers/tag` and `workers/message` alone). */
export function previewAnnotations(ci: CiContext): Record<string, string> {
  const out: Record<string, string> = {}
  if (ci.commitSha) out['workers/commit_sha'] = ci.commitSha
  if (ci.pullRequest?.number) out['workers/pull_request_number'] = ci.pullRequest.number
  if (ci.pullRequest?.url) out['workers/pull_request_url'] = ci.pullRequest.url
  if (ci.repositoryUrl) out['workers/repository_url'] = ci.repositoryUrl
  return out
}
