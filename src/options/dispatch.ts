/**
 * Workers for Platforms: the dispatch namespace a build uploads into and the user Worker's tags,
 * checked once when the options are resolved. A user Worker in a namespace has no versions,
 * deployments or Previews (its upload deploys it at once, to all of its traffic), so the options
 * that act on those are refused with it here, before the bundler works.
 */
import { WorkersVersionError } from '../core/errors.js'
import { clip } from '../core/guards.js'

/** Cloudflare's limit on a user Worker's tags (Workers for Platforms limits). */
const MAX_TAGS = 8

export interface DispatchTarget {
  namespace: string
  /** Sent in the upload's metadata when set; unset, the metadata has no `tags`. */
  tags?: string[]
}

export function resolveDispatch(input: {
  dispatchNamespace?: string
  tags?: string[]
  promote?: unknown
  preview?: boolean | string
}): DispatchTarget | undefined {
  const namespace = input.dispatchNamespace?.trim()
  if (namespace === undefined) {
    if (input.tags !== undefined)
      throw invalid(
        "`tags` are a user Worker's (Workers for Platforms): set `dispatchNamespace` with them, or remove `tags`.",
      )
    return undefined
  }
  checkNamespaceName(namespace)
  const why =
    'a user Worker in a dispatch namespace has no versions, deployments or Previews: its upload deploys it at once, to all of its traffic'
  if (input.promote !== undefined && input.promote !== false)
    throw invalid(
      `\`promote${typeof input.promote === 'object' ? '' : `: ${String(input.promote)}`}\` cannot be set with \`dispatchNamespace\`: ${why}. Remove \`promote\`.`,
    )
  if (input.preview !== undefined && input.preview !== false)
    throw invalid(
      `\`preview: ${JSON.stringify(input.preview)}\` cannot be set with \`dispatchNamespace\`: ${why}. Remove \`preview\`.`,
    )
  return input.tags === undefined ? { namespace } : { namespace, tags: checkTags(input.tags) }
}

/** What cannot be a namespace name: no whitespace, control characters or `/` (it is one segment of the API's path). */
function checkNamespaceName(name: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f/]/.test(name))
    throw invalid(
      `\`dispatchNamespace\` ${JSON.stringify(clip(name, 80))} is not a namespace name: it contains whitespace, a control character or \`/\`.`,
    )
}

/** Cloudflare's rules for a user Worker's tags: at most 8, and no `,` or `&` in a tag. */
function checkTags(tags: readonly string[]): string[] {
  const problems: string[] = []
  if (tags.length > MAX_TAGS)
    problems.push(`${tags.length} tags; Cloudflare allows at most ${MAX_TAGS} per user Worker`)
  const seen = new Set<string>()
  for (const [i, tag] of tags.entries()) {
    const where = `tags[${i}] ${JSON.stringify(clip(tag, 80))}`
    if (tag.trim() === '') problems.push(`${where} is empty`)
    else if (/[,&]/.test(tag))
      problems.push(`${where} contains \`,\` or \`&\`, which a tag cannot hold`)
    // eslint-disable-next-line no-control-regex
    else if (/[\u0000-\u001f\u007f]/.test(tag))
      problems.push(`${where} contains a control character`)
    else if (seen.has(tag)) problems.push(`${where} is listed twice`)
    seen.add(tag)
  }
  if (problems.length > 0)
    throw invalid(`Invalid \`tags\`:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  return [...tags]
}

function invalid(message: string): WorkersVersionError {
  return new WorkersVersionError('INVALID_OPTIONS', message)
}
