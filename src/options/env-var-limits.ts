import { nestsWithinLimit } from '../core/guards.js'
import type { Problems } from './issues.js'
import { utf8Bytes } from './version-schema.js'

/**
 * Cloudflare's documented limits on a Worker's environment variables (developers.cloudflare.com,
 * Workers › Platform › Limits): vars and secrets together, 128 per Worker on the Paid plan (64
 * on Free), each at most 5 KB. The plan is not known here, so the Paid count is the bound; the
 * size is read as 5 KiB, so that nothing the API may accept is refused.
 */
export const MAX_ENV_VARS = 128
const MAX_ENV_VAR_BYTES = 5 * 1024

/** The binding types that are environment variables: `vars` (text and JSON) and secrets. */
const ENV_VAR_TYPES = new Set(['plain_text', 'json', 'secret_text'])
/** Names of oversized variables listed in the message; the rest are counted. */
const LISTED = 10

/**
 * Records a problem for too many environment variables or any one too large. Runs before the
 * schema, in one pass that builds nothing per binding: two million `vars` took 13-18 s and
 * 1.8-2.5 GB to validate before this check refused them. Values are never quoted (secrets).
 */
export function checkEnvVarLimits(bindings: unknown, problems: Problems): void {
  if (!Array.isArray(bindings)) return
  let count = 0
  const oversized: string[] = []
  let oversizedCount = 0
  for (const binding of bindings as unknown[]) {
    if (typeof binding !== 'object' || binding === null) continue
    const { type, name } = binding as Record<string, unknown>
    if (typeof type !== 'string' || !ENV_VAR_TYPES.has(type)) continue
    count++
    const bytes = valueBytes(binding as Record<string, unknown>)
    if (bytes === undefined || bytes <= MAX_ENV_VAR_BYTES) continue
    oversizedCount++
    if (oversized.length < LISTED)
      oversized.push(
        `${typeof name === 'string' ? JSON.stringify(name.slice(0, 60)) : '(no name)'} (${bytes} bytes)`,
      )
  }
  if (count > MAX_ENV_VARS) {
    problems.error(
      ['bindings'],
      `${count} environment variables (\`vars\`, \`plain_text\`, \`json\` and \`secret_text\` bindings, secrets included), over Cloudflare's limit of ${MAX_ENV_VARS} per Worker (64 on the Workers Free plan). ` +
        'Group related values into one JSON var, or keep data in KV or R2.',
    )
  }
  if (oversizedCount > 0) {
    const more = oversizedCount - oversized.length
    problems.error(
      ['bindings'],
      `environment variables over Cloudflare's 5 KB limit per variable: ${oversized.join(', ')}${more > 0 ? ` and ${more} more` : ''}. Keep larger values in KV or R2, or as a text module the Worker imports.`,
    )
  }
}

/**
 * UTF-8 bytes of the value as sent (JSON text for a `json` var); undefined when it has none, nests
 * too deep or cannot be serialised (the schema reports those). The depth is checked first so that
 * the answer does not depend on the runtime: Node 26 serialises nesting that Node 24 cannot.
 */
function valueBytes(binding: Record<string, unknown>): number | undefined {
  if (binding.type !== 'json')
    return typeof binding.text === 'string' ? utf8Bytes(binding.text) : undefined
  if (!nestsWithinLimit(binding.json)) return undefined
  try {
    const text = JSON.stringify(binding.json)
    return typeof text === 'string' ? utf8Bytes(text) : undefined
  } catch {
    return undefined
  }
}
