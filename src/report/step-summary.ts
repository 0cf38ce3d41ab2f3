/**
 * The job summary GitHub shows on the run's page (`$GITHUB_STEP_SUMMARY`): per Worker a heading
 * and one two-column markdown table of what the build made. Values come partly from the server:
 * a cell can hold no line break and no unescaped `|`, so no value can end the table or add a row.
 */
import { appendFile } from 'node:fs/promises'
import type { Redactor } from '../core/redact.js'
import { formatBytes } from './format.js'

export interface SummaryRow {
  worker: string
  kind: 'version' | 'deployment' | 'Preview'
  /** Labelled URLs, in order (`Preview URL`, `Deployment URL`, `Version preview URL`). */
  urls: Array<[label: string, url: string]>
  /** e.g. `100% → <id> (new)`; none for a Preview or a version without traffic. */
  traffic?: string
  sizeBytes: number
  /** What the upload changed besides the code: the Preview created, migrations, secrets kept. */
  applied: string[]
  /** Extra identifying rows (`Version`, `Preview`), before the URLs. */
  ids: Array<[label: string, value: string]>
}

/** A table cell: line breaks become spaces, `|` and backslashes are escaped, code spans are not opened. */
export function cell(value: string): string {
  return value.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/`/g, "'")
}

/** `redact` runs on each value before it is escaped, so an escaped secret cannot slip past it. */
export function summaryMarkdown(row: SummaryRow, redact: (text: string) => string = (text) => text): string {
  const out = (text: string) => cell(redact(text))
  const rows: Array<[string, string]> = [
    ['Kind', row.kind],
    ...row.ids,
    ...row.urls,
    ['Traffic', row.traffic ?? (row.kind === 'Preview' ? 'its own URLs only' : 'none yet')],
    ['Size', formatBytes(row.sizeBytes)],
    ['Applied', row.applied.length > 0 ? row.applied.join('; ') : 'code only'],
  ]
  return [`### ${out(row.worker)}`, '', '| Field | Value |', '| --- | --- |', ...rows.map(([label, value]) => `| ${out(label)} | ${out(value)} |`), '', ''].join('\n')
}

/** Appends the Worker's table, redacted; one write, so parallel Workers' tables do not interleave. */
export async function appendStepSummary(file: string, row: SummaryRow, redactor: Redactor): Promise<void> {
  await appendFile(file, summaryMarkdown(row, (text) => redactor.redact(text)))
}
