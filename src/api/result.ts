import type { VersionResult } from '../core/body.js'
import { isRecord } from '../core/guards.js'
import type { Redactor } from '../core/redact.js'
import { firstFew, quoteValue } from '../core/printable.js'
import { seconds } from './policy.js'
import { checkServerUrl, checkUuid } from './server-values.js'

/**
 * The fields of a Create Version (or Get Version) `result` the plugin uses or
 * reports, each checked for its type and redacted. Everything else the server
 * sends (an echo of the bindings, the assets JWT, module contents) is dropped,
 * so it can never reach the console, `result.json`, `GITHUB_OUTPUT` or
 * `onVersion`. Undefined when there is no version id; API_INVALID_RESPONSE when the id is not a
 * UUID or a preview URL is neither https nor loopback http (server-values.ts).
 */
export function pickVersionResult(raw: unknown, redactor?: Redactor): VersionResult | undefined {
  if (!hasVersionId(raw)) return undefined
  const redact = (value: string) => (redactor ? redactor.redact(value) : value)
  const text = (value: unknown) => (typeof value === 'string' ? redact(value) : undefined)
  const id = checkUuid(raw.id, 'the version id', redact)
  const number =
    typeof raw.number === 'number' && Number.isFinite(raw.number) ? raw.number : Number.NaN
  const result: VersionResult = {
    id,
    number: text(String(number)) === String(number) ? number : Number.NaN,
  }
  const strings = ['created_on', 'main_module', 'compatibility_date', 'migration_tag'] as const
  for (const field of strings) {
    const value = text(raw[field])
    if (value !== undefined) result[field] = value
  }
  if (Array.isArray(raw.urls))
    result.urls = raw.urls
      .map((url: unknown) => checkServerUrl(url, 'a preview URL of the version', redact))
      .map(redact)
  if (typeof raw.startup_time_ms === 'number' && Number.isFinite(raw.startup_time_ms))
    result.startup_time_ms = raw.startup_time_ms
  if (Array.isArray(raw.compatibility_flags))
    result.compatibility_flags = raw.compatibility_flags
      .map(text)
      .filter((flag) => flag !== undefined)
  if (isRecord(raw.annotations)) {
    const annotations: Record<string, string> = {}
    for (const [key, value] of Object.entries(raw.annotations)) {
      const safe = text(value)
      if (safe !== undefined) annotations[text(key)!] = safe
    }
    result.annotations = annotations
  }
  return result
}

/** Whether a Create Version answer carries a version id at all (checked for its format by `pickVersionResult`). */
export function hasVersionId(raw: unknown): raw is Record<string, unknown> & { id: string } {
  return isRecord(raw) && typeof raw.id === 'string' && raw.id !== ''
}

/** The summary lines shown after a version was created; `redactor` scrubs them once more. */
export function formatVersionResult(
  r: VersionResult,
  elapsedMs: number,
  redactor?: Redactor,
): string[] {
  const lines = [`version id: ${r.id}`, `version number: ${r.number}`]
  const redact = (text: string) => (redactor ? redactor.redact(text) : text)
  // URLs from the server: each quoted escaped and clipped, and a long list cut short (result.json keeps them all).
  const urls = firstFew(
    previewUrls(r).map((url) => quoteValue(url, redact)),
    (left) => `… and ${left.toLocaleString('en-US')} more, all in result.json`,
  )
  if (urls.length === 1) lines.push(`preview URL: ${urls[0]}`)
  else if (urls.length > 1) lines.push('preview URLs:', ...urls.map((url) => `  ${url}`))
  if (typeof r.startup_time_ms === 'number') lines.push(`startup time: ${r.startup_time_ms} ms`)
  // Milliseconds below a second: a local or quick call read "0.0s", as if nothing had been timed.
  lines.push(`elapsed: ${elapsedMs < 1000 ? `${Math.round(elapsedMs)} ms` : seconds(elapsedMs)}`)
  return redactor ? lines.map((line) => redactor.redact(line)) : lines
}

function previewUrls(r: VersionResult): string[] {
  return Array.isArray(r.urls) ? r.urls.filter((url): url is string => typeof url === 'string') : []
}
