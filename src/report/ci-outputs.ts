import { appendFile } from 'node:fs/promises'
import type { VersionResult } from '../core/body.js'
import type { Redactor } from '../core/redact.js'

/**
 * Appends the step outputs for GitHub Actions (`$GITHUB_OUTPUT`) in one write: version id,
 * number, first preview URL and, after a deployment, the traffic split. Values are single lines;
 * a value with a newline would need the heredoc syntax, so any line break is dropped rather than
 * letting it inject another output. Values are redacted before that, so a secret split over
 * lines is still found.
 */
export async function writeCiOutputs(
  file: string,
  result: VersionResult,
  redactor: Redactor,
  traffic?: ReadonlyArray<{ version_id: string; percentage: number }>,
): Promise<void> {
  const oneLine = (value: string) => redactor.redact(value).replace(/[\r\n]+/g, ' ')
  const lines = [`version-id=${oneLine(result.id)}`, `version-number=${oneLine(String(result.number))}`]
  const preview = Array.isArray(result.urls) ? result.urls.find((url): url is string => typeof url === 'string') : undefined
  if (preview !== undefined) lines.push(`preview-url=${oneLine(preview)}`)
  if (traffic) lines.push(`traffic=${oneLine(traffic.map((t) => `${t.version_id}:${t.percentage}`).join(','))}`)
  await appendFile(file, `${lines.join('\n')}\n`)
}
