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
  for (const item of Array.isArray(value) ? value : Object.values(value)) if (!nestsWithinLimit(item, depth + 1)) return false
  return true
}

/** `text` cut to `max` characters, with an ellipsis when cut: for quoting user or server values in messages. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}
