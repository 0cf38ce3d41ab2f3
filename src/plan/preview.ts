/**
 * Decides, before anything is sent, whether an upload makes a version or a Preview deployment, and
 * which Preview: `preview: 'name'`, the branch's Preview (`true`), or per branch (`'auto'`); and
 * whether the build may deploy at all (pull requests, forks, tags, merge queues).
 */
import { BRANCH_VARIABLES, type CiContext } from './ci-context.js'
import { clip } from '../core/guards.js'
import { WorkersVersionError } from '../core/errors.js'
import type { ResolvedOptions } from '../options/resolve.js'

export interface PlannedPreview {
  /** The Preview's name as sent: the option's, the branch as it is (as `wrangler preview` names it), or a fork's `pr-<number>`. */
  name: string
  /** The URL label Cloudflare derives from the name (`feature/login` → `feature-login`). */
  slug: string
  /** The branch the name came from, when it came from one. */
  branch?: string
  /**
   * `preview: 'auto'` on the event that closes the pull request: its Preview is deleted, and
   * nothing is deployed or uploaded.
   */
  pullRequestClosed?: true
}

/** What `preview` decides: a Preview deployment, or a version (deployed to 100% for `'auto'` on the production branch). */
export type PreviewDecision = { preview: PlannedPreview } | { promote?: number }

/** A DNS label's longest length: the slug is one label of the Preview's URL. */
const MAX_LABEL = 63

/**
 * wrangler's rule for making a branch name a URL label: anything but ASCII letters, digits and `-`
 * becomes `-`, runs of `-` become one, leading and trailing `-` go, and it is lower-cased.
 */
function previewSlug(name: string): string {
  return name
    .replace(/[^a-zA-Z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
}

/**
 * Characters a Preview name may not hold: C0 and C1 controls (line breaks among them: a name is
 * printed in log lines, where a line break starts a new one that CI reads as a command), DEL, the
 * line and paragraph separators, and the bidirectional controls that reorder what a reader sees.
 */
const FORBIDDEN_IN_NAME = /[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}]/u

/** A value quoted for a message: JSON-escaped, with every forbidden character as `\uXXXX`, clipped. */
function quoted(value: string): string {
  return JSON.stringify(clip(value, 80)).replace(
    new RegExp(FORBIDDEN_IN_NAME.source, 'gu'),
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** `from` names where the name came from: the option, or the CI variable. */
function planned(name: string, branch: string | undefined, from: string): PlannedPreview {
  if (FORBIDDEN_IN_NAME.test(name)) {
    throw new WorkersVersionError(
      'INVALID_OPTIONS',
      `\`preview\`: ${from} ${quoted(name)} holds a control character (a line break, tab, escape or bidirectional control), which a Preview name may not; nothing was sent. Name the Preview with \`preview: '<name>'\`.`,
    )
  }
  const slug = previewSlug(name)
  if (slug === '' || slug.length > MAX_LABEL) {
    throw new WorkersVersionError(
      'INVALID_OPTIONS',
      `\`preview\`: ${from} ${quoted(name)} makes ${slug === '' ? 'no usable URL label (it has no letter or digit)' : `a URL label of ${slug.length} characters (at most ${MAX_LABEL})`}; name the Preview with \`preview: '<name>'\`.`,
    )
  }
  return { name, slug, branch }
}

type DecideOptions = Pick<
  ResolvedOptions,
  'preview' | 'promote' | 'productionBranch' | 'previewForks'
>

/**
 * Settles `preview` with `promote`. The branch comes from the CI's environment, else from git (read
 * only when the option needs a branch and the CI names none). Production (`'auto'`) only from the
 * push of the production branch itself: a pull request's build is a Preview or nothing, a fork's
 * only when `previewForks` allows it, and a tag, a merge-queue ref or another event never deploys.
 * `'auto'` on the event closing a pull request names that pull request's Preview, to delete it.
 */
export async function decidePreview(
  options: DecideOptions,
  ci: CiContext,
  localBranch: () => Promise<string | undefined>,
): Promise<PreviewDecision> {
  const { preview } = options
  if (preview === undefined) return { promote: options.promote }
  const option =
    typeof preview === 'object'
      ? `\`preview: ${quoted(preview.name)}\``
      : `\`preview: ${JSON.stringify(preview)}\``
  const build = ci.build
  const fromFork = build?.kind === 'pull-request' && build.fork !== false
  // The Preview this pull request's builds made, named as they named it, is deleted when it closes.
  const closing =
    preview === 'auto' && build?.kind === 'pull-request' && build.closed === true
      ? ({ pullRequestClosed: true } as const)
      : {}
  // Whatever the Preview's name: the fork's code would get the Worker's Preview bindings and secrets.
  // Closing deploys none of its code, and deletes `pr-<number>` (if `previewForks` ever made it).
  if (fromFork && !options.previewForks && !('pullRequestClosed' in closing))
    throw forkRefused(option, ci, build.fork)
  if (typeof preview === 'object') return { preview: planned(preview.name, undefined, 'the name') }
  if (build?.kind === 'tag') {
    throw refused(
      `${option} names the Preview after the branch, and this build is of tag ${quoted(build.tag)} (${build.variable}), which is no branch; nothing was sent. Name the Preview with \`preview: '<name>'\`, or deploy tags without \`preview\`.`,
    )
  }
  if (build?.kind === 'merge-queue') {
    throw refused(
      `${option}: this build is of a merge-queue ref (${quoted(build.ref)}), which is neither a branch to deploy nor one to preview; nothing was sent. Do not upload from merge-queue builds (\`upload: false\`), or name the Preview with \`preview: '<name>'\`.`,
    )
  }
  if (fromFork) return { preview: { ...forkPreview(option, ci), ...closing } }
  if (build?.kind === 'pull-request') {
    if (ci.branch === undefined) throw noBranch(option)
    return {
      preview: {
        ...planned(ci.branch, ci.branch, `the pull request's head branch (${ci.branchVariable})`),
        ...closing,
      },
    }
  }
  const branch = ci.branch ?? (await localBranch())
  if (branch === undefined) throw noBranch(option)
  const from = ci.branch === undefined ? 'the git branch' : `the branch (${ci.branchVariable})`
  if (preview === 'auto' && branch === options.productionBranch) {
    if (build?.kind === 'other') {
      throw refused(
        `${option} deploys the production branch ${quoted(branch)} only from a push, and this build is a ${quoted(build.event)} event (GITHUB_EVENT_NAME); nothing was sent. Deploy it from a push, or with \`promote\` and no \`preview\`.`,
      )
    }
    return { promote: options.promote ?? 100 }
  }
  return { preview: planned(branch, branch, from) }
}

const pullRequestOf = (ci: CiContext, fork: boolean | undefined) =>
  `pull request${ci.pullRequest?.number ? ` #${ci.pullRequest.number}` : ''}, ${fork ? 'which comes from a fork' : 'from a repository the CI does not name (it may be a fork)'}`

function forkRefused(
  option: string,
  ci: CiContext,
  fork: boolean | undefined,
): WorkersVersionError {
  return new WorkersVersionError(
    'PREVIEW_FORK_REFUSED',
    `${option}: this build is of ${pullRequestOf(ci, fork)}: its code would run with the Worker's Preview bindings and secrets, so it is not deployed unless \`previewForks: true\` allows it (with \`true\` or \`'auto'\`, to its own Preview \`pr-<number>\`); nothing was sent.`,
  )
}

/**
 * A fork's pull request (allowed by `previewForks`) gets its own Preview, `pr-<number>`, never the
 * Preview of a branch of the repository, whose stable URL it would take over.
 */
function forkPreview(option: string, ci: CiContext): PlannedPreview {
  const number = ci.pullRequest?.number
  if (!number || !/^\d+$/.test(number)) {
    throw refused(
      `${option}: this build is of a pull request from a fork, whose Preview is named \`pr-<number>\`, and the CI names no pull-request number; nothing was sent. Name the Preview with \`preview: '<name>'\`.`,
    )
  }
  return planned(`pr-${number}`, undefined, 'the pull request number')
}

function refused(message: string): WorkersVersionError {
  return new WorkersVersionError('INVALID_OPTIONS', message)
}

function noBranch(option: string): WorkersVersionError {
  return refused(
    `${option} needs the branch, and none was found: none of ${BRANCH_VARIABLES.join(', ')} is set, and git names no checked-out branch; set one, or name the Preview with \`preview: '<name>'\`.`,
  )
}
