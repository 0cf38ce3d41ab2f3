/**
 * What the CI tells about the build without starting any process: the commit, the branch, the
 * pull request and the repository, read from its environment variables and (GitHub) its event
 * file. Outside CI every field is undefined and the callers fall back to git (`src/plan/git.ts`).
 */
import { readFileSync } from 'node:fs'
import { isRecord } from '../core/guards.js'
import type { GitCommit } from './git.js'

export interface PullRequest {
  number?: string
  url?: string
}

export interface CiContext {
  /** The full commit SHA being built. */
  commitSha?: string
  /** The commit's subject line, when the CI states it (a GitHub push event, GitLab, Buildkite). */
  commitSubject?: string
  /** The branch: for a pull request, its head branch. */
  branch?: string
  pullRequest?: PullRequest
  /** The repository's web URL (https, no credentials, no `.git`). */
  repositoryUrl?: string
}

type Env = Readonly<Record<string, string | undefined>>

/** The first variable that is set and not blank. */
function first(env: Env, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name]?.trim()
    if (value) return value
  }
  return undefined
}

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
  if (url.protocol === 'ssh:' && url.username === 'git') return `https://${url.host}${url.pathname.replace(/\.git$/, '')}`
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
  url.username = ''
  url.password = ''
  url.search = ''
  url.hash = ''
  url.pathname = url.pathname.replace(/\.git$/, '')
  return url.href.replace(/\/$/, '')
}

/** The GitHub event file's JSON, or undefined when there is none or it does not parse. */
function githubEvent(env: Env, read: (path: string) => string): Record<string, unknown> | undefined {
  const path = env.GITHUB_EVENT_PATH
  if (!path) return undefined
  try {
    const parsed: unknown = JSON.parse(read(path))
    return isRecord(parsed) ? parsed : undefined
  } catch {
    return undefined
  }
}

const asText = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : undefined)

function githubPullRequest(env: Env, event: Record<string, unknown> | undefined, repositoryUrl: string | undefined): PullRequest | undefined {
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
export function readCiContext(env: Env = process.env, read: (path: string) => string = (path) => readFileSync(path, 'utf8')): CiContext {
  const event = githubEvent(env, read)
  const headSha = isRecord(event?.pull_request) && isRecord(event.pull_request.head) ? asText(event.pull_request.head.sha) : undefined
  const commitSha = first(env, 'WORKERS_CI_COMMIT_SHA') ?? headSha ?? first(env, 'GITHUB_SHA', 'CI_COMMIT_SHA', 'BUILDKITE_COMMIT', 'CIRCLE_SHA1', 'BITBUCKET_COMMIT')
  const githubRepository = env.GITHUB_REPOSITORY ? webUrl(`${(env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/$/, '')}/${env.GITHUB_REPOSITORY}`) : undefined
  const repositoryUrl = githubRepository ?? webUrl(first(env, 'CI_PROJECT_URL', 'BUILDKITE_REPO', 'CIRCLE_REPOSITORY_URL', 'BITBUCKET_GIT_HTTP_ORIGIN'))
  const headCommit = isRecord(event?.head_commit) ? asText(event.head_commit.message) : undefined
  return {
    commitSha,
    // The first line, ended by any line break: a bare CR (old Mac endings, or a title set by a script) too.
    commitSubject: (headCommit ?? first(env, 'CI_COMMIT_TITLE', 'BUILDKITE_MESSAGE'))?.split(/\r\n|\r|\n/)[0],
    branch: first(env, 'WORKERS_CI_BRANCH', 'GITHUB_HEAD_REF', 'GITHUB_REF_NAME', 'CI_COMMIT_REF_NAME', 'BITBUCKET_BRANCH', 'CIRCLE_BRANCH', 'BUILDKITE_BRANCH'),
    pullRequest: githubPullRequest(env, event, githubRepository) ?? otherPullRequest(env, repositoryUrl),
    repositoryUrl,
  }
}

function otherPullRequest(env: Env, repositoryUrl: string | undefined): PullRequest | undefined {
  const gitlab = first(env, 'CI_MERGE_REQUEST_IID')
  const gitlabProject = webUrl(first(env, 'CI_MERGE_REQUEST_PROJECT_URL', 'CI_PROJECT_URL'))
  if (gitlab) return { number: gitlab, url: gitlabProject && `${gitlabProject}/-/merge_requests/${gitlab}` }
  const circleUrl = webUrl(first(env, 'CIRCLE_PULL_REQUEST'))
  const circle = first(env, 'CIRCLE_PR_NUMBER') ?? (circleUrl ? /\/pull\/(\d+)$/.exec(circleUrl)?.[1] : undefined)
  if (circle || circleUrl) return { number: circle, url: circleUrl }
  // Buildkite writes "false" outside a pull request.
  const buildkite = first(env, 'BUILDKITE_PULL_REQUEST')
  if (buildkite && /^\d+$/.test(buildkite)) return { number: buildkite, url: repositoryUrl?.startsWith('https://github.com/') ? `${repositoryUrl}/pull/${buildkite}` : undefined }
  const bitbucket = first(env, 'BITBUCKET_PR_ID')
  if (bitbucket) return { number: bitbucket, url: repositoryUrl && `${repositoryUrl}/pull-requests/${bitbucket}` }
  return undefined
}

/**
 * The commit as the version annotations use it, from the CI alone: the short SHA as the tag (a CI
 * checkout is clean) and the subject when the CI states it. Undefined outside CI: git is asked then.
 */
export function ciCommit(ci: CiContext): GitCommit | undefined {
  return ci.commitSha ? { tag: ci.commitSha.slice(0, 7), subject: ci.commitSubject ?? '' } : undefined
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
