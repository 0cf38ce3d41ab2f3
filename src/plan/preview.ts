/**
 * Decides, before anything is sent, whether an upload makes a version or a Preview deployment, and
 * which Preview: `preview: 'name'`, the branch's Preview (`true`), or per branch (`'auto'`).
 */
import type { CiContext } from './ci-context.js'
import { WorkersVersionError } from '../core/errors.js'
import type { ResolvedOptions } from '../options/resolve.js'

export interface PlannedPreview {
  /** The Preview's name as sent: the branch as it is, as `wrangler preview` names it. */
  name: string
  /** The URL label Cloudflare derives from the name (`feature/login` → `feature-login`). */
  slug: string
  /** The branch the name came from, when it came from one. */
  branch?: string
}

/** What `preview` decides: a Preview deployment, or a version (deployed to 100% for `'auto'` on the production branch). */
export type PreviewDecision = { preview: PlannedPreview } | { promote?: number }

/** A DNS label's longest length: the slug is one label of the Preview's URL. */
const MAX_LABEL = 63

/**
 * wrangler's rule for making a branch name a URL label: anything but ASCII letters, digits and `-`
 * becomes `-`, runs of `-` become one, leading and trailing `-` go, and it is lower-cased.
 */
export function previewSlug(name: string): string {
  return name
    .replace(/[^a-zA-Z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase()
}

function planned(name: string, branch: string | undefined, from: string): PlannedPreview {
  const slug = previewSlug(name)
  if (slug === '' || slug.length > MAX_LABEL) {
    throw new WorkersVersionError(
      'INVALID_OPTIONS',
      `\`preview\`: ${from} ${JSON.stringify(name)} makes ${slug === '' ? 'no usable URL label (it has no letter or digit)' : `a URL label of ${slug.length} characters (at most ${MAX_LABEL})`}; name the Preview with \`preview: '<name>'\`.`,
    )
  }
  return { name, slug, branch }
}

/**
 * Settles `preview` with `promote`. The branch comes from the CI's environment, else from git (read
 * only when the option needs a branch and the CI names none).
 */
export async function decidePreview(
  options: Pick<ResolvedOptions, 'preview' | 'promote' | 'productionBranch'>,
  ci: CiContext,
  localBranch: () => Promise<string | undefined>,
): Promise<PreviewDecision> {
  const { preview } = options
  if (preview === undefined) return { promote: options.promote }
  if (typeof preview === 'object') return { preview: planned(preview.name, undefined, 'the name') }
  const branch = ci.branch ?? (await localBranch())
  if (branch === undefined) {
    throw new WorkersVersionError(
      'INVALID_OPTIONS',
      `\`preview: ${JSON.stringify(preview)}\` needs the branch, and none was found: neither WORKERS_CI_BRANCH, GITHUB_HEAD_REF, GITHUB_REF_NAME, CI_COMMIT_REF_NAME, BITBUCKET_BRANCH nor CIRCLE_BRANCH is set, and git names no checked-out branch; set one, or name the Preview with \`preview: '<name>'\`.`,
    )
  }
  if (preview === 'auto' && branch === options.productionBranch) return { promote: options.promote ?? 100 }
  return { preview: planned(branch, branch, 'the branch') }
}
