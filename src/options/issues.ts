import type * as v from 'valibot'
import { WorkersVersionError } from '../core/errors.js'

/** A path into the options: property names and array indexes. */
export type Path = ReadonlyArray<string | number>

const MAX_LISTED = 100
const SIMPLE_KEY = /^[A-Za-z_$][\w$]*$/

function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}

/** `version.bindings[2].namespace_id`, `version.annotations["workers/tag"]`. */
export function formatPath(root: string, path: Path): string {
  let out = root
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else if (SIMPLE_KEY.test(key)) out += `${out ? '.' : ''}${clip(key)}`
    else out += `[${JSON.stringify(clip(key))}]`
  }
  return out
}

/** A short description of a value for messages (never the whole value). */
export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return JSON.stringify(clip(value, 40))
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (typeof value === 'object') return 'an object'
  return typeof value
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

  /** Records valibot issues; `at` is where the parsed value sits, `kind` names a binding kind for "required for …". */
  issues(at: Path, issues: readonly v.BaseIssue<unknown>[], kind?: string): void {
    for (const issue of issues) {
      const sub = (issue.path ?? []).map((item) => item.key as string | number)
      this.error([...at, ...sub], issueMessage(issue, kind))
    }
  }

  /** Throws one INVALID_OPTIONS error listing every problem, if there are any. */
  throwIfAny(what = 'Invalid `version` options', code = 'INVALID_OPTIONS'): void {
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

function issueMessage(issue: v.BaseIssue<unknown>, kind: string | undefined): string {
  if (issue.kind !== 'schema') return issue.message
  if (issue.input === undefined) return kind ? `required for ${kind}` : 'required'
  if (issue.type === 'never' || issue.type === 'custom' || issue.type === 'union') return issue.message
  return `expected ${issue.expected ?? 'another value'}, got ${describe(issue.input)}`
}
