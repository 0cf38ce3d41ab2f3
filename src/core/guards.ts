/** A non-null, non-array object: what JSON objects and option objects look like. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * How deeply a config or option value may nest. No Worker config needs more, and the bound must
 * not depend on the runtime: Node 20-24 threw a RangeError on JSON.stringify of a few thousand
 * levels, Node 26 serialises 100,000.
 */
export const MAX_NESTING = 100

/** Whether `value`'s objects and arrays nest at most `MAX_NESTING` levels (a cycle never does). */
export function nestsWithinLimit(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return true
  if (depth >= MAX_NESTING) return false
  for (const item of Array.isArray(value) ? value : Object.values(value))
    if (!nestsWithinLimit(item, depth + 1)) return false
  return true
}

/**
 * The keys leading to the first value nested deeper than `MAX_NESTING` levels (a path of
 * `MAX_NESTING + 1` keys), or undefined when the value stays within the limit. Messages show it
 * with {@link describeKeyPath}, so a user can find the key.
 */
export function pathBeyondNesting(
  value: unknown,
  path: Array<string | number> = [],
): Array<string | number> | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  if (path.length >= MAX_NESTING) return path
  for (const [key, item] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    path.push(key)
    const found = pathBeyondNesting(item, path)
    if (found) return found
    path.pop()
  }
  return undefined
}

/** `a.b.c…x.y.z` for a long key path: its first and last keys, each clipped, and how many were left out. */
export function describeKeyPath(path: ReadonlyArray<string | number>, ends = 3): string {
  const render = (keys: ReadonlyArray<string | number>, leading: boolean) =>
    keys
      .map((key, i) =>
        typeof key === 'number' ? `[${key}]` : `${i > 0 || leading ? '.' : ''}${clip(key, 30)}`,
      )
      .join('')
  if (path.length <= ends * 2) return render(path, false)
  return `${render(path.slice(0, ends), false)}.…${render(path.slice(-ends), true)} (${path.length} keys)`
}

/** `text` cut to `max` characters, with an ellipsis when cut: for quoting user or server values in messages. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}
