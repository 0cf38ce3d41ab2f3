import * as v from 'valibot'
import { WorkersVersionError, type ErrorCode } from '../core/errors.js'
import { clip, isRecord } from '../core/guards.js'

// valibot runs the schemas; this file turns its issues into `path: message`
// lines. Warnings travel as issues too (see `warning` in fields.ts): their issue
// is listed as a warning instead of an error.

/** The requirement of every warning: it never holds, so valibot always reports it. */
export const WARNING = (_input: unknown): boolean => false

/** A path into the options: property names and array indexes. */
export type Path = ReadonlyArray<string | number>

const MAX_LISTED = 100
const SIMPLE_KEY = /^[A-Za-z_$][\w$]*$/

/** `version.bindings[2].namespace_id`, `version.annotations["workers/tag"]`. */
export function formatPath(root: string, path: Path): string {
  let out = root
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else if (SIMPLE_KEY.test(key)) out += `${out ? '.' : ''}${clip(key, 60)}`
    else out += `[${JSON.stringify(clip(key, 60))}]`
  }
  return out
}

/** Edit distance between two keys (insertions, deletions, substitutions; a swap of neighbours counts one). */
function distance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...Array<number>(b.length).fill(0),
  ])
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i]!
      row[j] = Math.min(
        rows[i - 1]![j]! + 1,
        row[j - 1]! + 1,
        rows[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1)
    }
  }
  return rows[a.length]![b.length]!
}

/**
 * The known key a misspelt one most likely meant (`promot` → `promote`, `compatability_date` →
 * `compatibility_date`, `mainmodule` → `mainModule`), or none when no key is close.
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  if (key.length > 100) return undefined
  let best: { name: string; d: number } | undefined
  for (const name of known) {
    const d = distance(key.toLowerCase(), name.toLowerCase())
    if (d <= Math.max(1, Math.min(3, Math.floor(name.length / 3))) && (!best || d < best.d))
      best = { name, d }
  }
  return best?.name
}

/** The kind of a value, never the value itself (for fields that may hold a secret). */
export function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : typeof value
}

/** A short description of a value for messages (never the whole value). */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(clip(value, 40))
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return typeName(value)
}

/** An issue message for everything a schema does not word itself: `required`, `expected X, got Y`. */
const defaultMessage = (issue: v.BaseIssue<unknown>): string =>
  issue.input === undefined
    ? 'required'
    : `expected ${issue.expected ?? 'another value'}, got ${describe(issue.input)}`

/** A path item for an issue added by a raw check (`key` inside `input`). */
export function pathItem(input: unknown, key: string | number): v.IssuePathItem {
  const value =
    isRecord(input) || Array.isArray(input)
      ? (input as Record<string | number, unknown>)[key]
      : undefined
  return { type: 'unknown', origin: 'value', input, key, value }
}

/** Position of a path item among its siblings, in the order the user wrote them. */
function position(item: v.IssuePathItem): number {
  if (typeof item.key === 'number') return item.key
  const keys = isRecord(item.input) ? Object.keys(item.input) : []
  const index = keys.indexOf(String(item.key))
  return index === -1 ? keys.length : index
}

function documentOrder(a: v.BaseIssue<unknown>, b: v.BaseIssue<unknown>): number {
  const pa = a.path ?? []
  const pb = b.path ?? []
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const d = position(pa[i]!) - position(pb[i]!)
    if (d !== 0) return d
  }
  return pa.length - pb.length
}

/** Collects every problem of a config so they are reported together. */
export class Problems {
  readonly errors: string[] = []
  readonly warnings: string[] = []
  constructor(readonly root: string) {}

  error(path: Path, message: string): void {
    this.errors.push(`${formatPath(this.root, path)}: ${message}`)
  }

  warn(path: Path, message: string): void {
    this.warnings.push(`${formatPath(this.root, path)}: ${message}`)
  }

  /** Parses `input` with `schema` (the input is never changed) and records every issue, in the order the fields appear in the input. */
  parse(schema: v.GenericSchema, input: unknown): void {
    try {
      for (const issue of [
        ...(v.safeParse(schema, input, { message: defaultMessage }).issues ?? []),
      ].sort(documentOrder)) {
        const path = (issue.path ?? []).map((item) => item.key as string | number)
        if (issue.requirement === WARNING) this.warn(path, issue.message)
        else this.error(path, issue.message)
      }
    } catch (error) {
      // A getter that throws, a revoked proxy, a stack overflow: report, never crash.
      this.error(
        [],
        `could not be read (${error instanceof Error ? error.message : String(error)})`,
      )
    }
  }

  /** Throws one error listing every problem, if there are any. */
  throwIfAny(what = 'Invalid `version` options', code: ErrorCode = 'INVALID_OPTIONS'): void {
    if (this.errors.length === 0) return
    const listed = this.errors.slice(0, MAX_LISTED)
    const more = this.errors.length - listed.length
    const lines = listed.map((line) => `  - ${line}`)
    if (more > 0) lines.push(`  - … and ${more} more`)
    throw new WorkersVersionError(
      code,
      `${what} (${this.errors.length} problem${this.errors.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    )
  }
}
