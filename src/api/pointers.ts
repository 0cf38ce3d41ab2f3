import { isRecord } from '../core/guards.js'

/**
 * Names the part of the request body a JSON pointer (from an error's
 * `source.pointer`) refers to, in the user's words: bindings and modules by
 * their names rather than array indexes the user never wrote.
 *
 *   /bindings/3/namespace_id → binding "KV" (kv_namespace), field namespace_id
 *   /modules/1               → module "chunk-1a2b.js" (application/javascript+module)
 *   /assets/config/html_handling → field assets.config.html_handling
 *
 * Returns undefined when the pointer does not resolve in `body`, so the caller
 * shows the raw pointer rather than a wrong name.
 */
export function describePointer(body: unknown, pointer: string): string | undefined {
  const segments = parsePointer(pointer)
  if (!segments || segments.length === 0 || !isRecord(body)) return undefined
  const [head, index, ...rest] = segments
  if ((head === 'bindings' || head === 'modules') && index !== undefined) {
    const list = body[head]
    const entry = Array.isArray(list) && /^\d+$/.test(index) ? list[Number(index)] : undefined
    if (!isRecord(entry)) return undefined
    const what = head === 'bindings' ? describeBinding(entry) : describeModule(entry)
    return rest.length > 0 ? `${what}, field ${rest.join('.')}` : what
  }
  if (!resolves(body, segments)) return undefined
  return `field ${segments.join('.')}`
}

function describeBinding(binding: Record<string, unknown>): string {
  const name = typeof binding.name === 'string' ? JSON.stringify(binding.name) : '(unnamed)'
  return typeof binding.type === 'string' ? `binding ${name} (${binding.type})` : `binding ${name}`
}

function describeModule(module: Record<string, unknown>): string {
  const name = typeof module.name === 'string' ? JSON.stringify(module.name) : '(unnamed)'
  return typeof module.content_type === 'string'
    ? `module ${name} (${module.content_type})`
    : `module ${name}`
}

/** RFC 6901: `/a~1b/c~0d` → ['a/b', 'c~d']. The empty pointer is the whole document. */
function parsePointer(pointer: string): string[] | undefined {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) return undefined
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function resolves(value: unknown, segments: string[]): boolean {
  let current = value
  for (const segment of segments) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)]
    else if (isRecord(current) && Object.hasOwn(current, segment)) current = current[segment]
    else return false
  }
  return true
}
