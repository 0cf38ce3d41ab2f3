/**
 * A binding reduced to what a diff may show and compare: its name, its kind and what it points at.
 * Values never survive the reduction: a secret's value is dropped, and the value of a plain-text or
 * JSON variable becomes a digest, so a change is seen without the value being kept, written or shown.
 */
import { createHash } from 'node:crypto'

export interface BindingTarget {
  name: string
  type: string
  /** What the binding points at (a namespace id, a service, a bucket…), as strings; values as `sha256:…`. */
  target: Record<string, string>
}

/** Fields that hold a value rather than a target: compared by digest only. */
const VALUE_FIELDS = new Set(['text', 'json'])
/** Kinds whose value is secret: nothing but the name and kind is kept. */
const SECRET_KINDS = new Set(['secret_text', 'secret_key', 'inherit'])

export function bindingTarget(raw: Record<string, unknown>): BindingTarget | undefined {
  if (typeof raw.name !== 'string' || typeof raw.type !== 'string') return undefined
  const target: Record<string, string> = {}
  if (!SECRET_KINDS.has(raw.type))
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'name' || key === 'type' || value === undefined || value === null) continue
      const text = typeof value === 'string' ? value : JSON.stringify(value)
      target[key] = VALUE_FIELDS.has(key) ? `sha256:${digest(text)}` : text
    }
  return { name: raw.name, type: raw.type, target }
}

/** Whether a binding's kind carries a secret value (shown by name only). */
export function isSecretKind(type: string): boolean {
  return SECRET_KINDS.has(type)
}

/** Whether a field holds a value (shown as "changed", never printed). */
export function isValueField(field: string): boolean {
  return VALUE_FIELDS.has(field)
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
