import { appendFile } from 'node:fs/promises'
import type { VersionResult } from '../core/body.js'
import { seconds } from './retry.js'

/** The summary lines shown after a version was created. */
export function formatVersionResult(r: VersionResult, elapsedMs: number): string[] {
  const lines = [`version id: ${r.id}`, `version number: ${r.number}`]
  const urls = previewUrls(r)
  if (urls.length === 1) lines.push(`preview URL: ${urls[0]}`)
  else if (urls.length > 1) lines.push('preview URLs:', ...urls.map((url) => `  ${url}`))
  if (typeof r.startup_time_ms === 'number') lines.push(`startup time: ${r.startup_time_ms} ms`)
  lines.push(`elapsed: ${seconds(elapsedMs)}`)
  return lines
}

/**
 * Appends step outputs for GitHub Actions (`$GITHUB_OUTPUT`). Values are single
 * lines; a value with a newline would need the heredoc syntax, so any line
 * break is dropped rather than letting it inject another output.
 */
export async function writeGithubOutput(file: string, r: VersionResult): Promise<void> {
  const oneLine = (value: string) => value.replace(/[\r\n]+/g, ' ')
  const lines = [`version-id=${oneLine(r.id)}`, `version-number=${r.number}`]
  const first = previewUrls(r)[0]
  if (first !== undefined) lines.push(`preview-url=${oneLine(first)}`)
  await appendFile(file, `${lines.join('\n')}\n`)
}

function previewUrls(r: VersionResult): string[] {
  return Array.isArray(r.urls) ? r.urls.filter((url): url is string => typeof url === 'string') : []
}
