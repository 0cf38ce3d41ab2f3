/**
 * The job summary GitHub shows on the run's page (`$GITHUB_STEP_SUMMARY`): per Worker a heading
 * and one two-column markdown table of what the build made. Values come partly from the server
 * and from CI (a branch name): a cell can hold no line break and no unescaped `|`, so no value can
 * end the table or add a row, and no markdown or HTML, so no value can add an image, a link or
 * formatting of its own. Long values are clipped, long lists of URLs cut short.
 */
import { appendFile } from 'node:fs/promises'
import { clipValue, firstFew, printable } from '../core/printable.js'
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

/** The longest value a cell shows whole (the rest is clipped, its length noted). */
const CELL_CHARS = 500

/**
 * The punctuation that starts markdown inside a cell (code spans, emphasis, strike-through, links
 * and images, the table's own `|`, and the escape itself): each escaped with a backslash.
 */
const MARKDOWN = /[\\`*_[\]~|]/g
const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }

/**
 * A table cell: clipped; line breaks become spaces; other control and bidirectional characters
 * escaped; markdown punctuation backslash-escaped and `&`, `<`, `>`, `"` written as HTML entities,
 * so that the cell shows the value's text and nothing it could mean as markdown or HTML.
 */
function cell(value: string): string {
  const flat = clipValue(value, CELL_CHARS).replace(/[\r\n\u2028\u2029]+/g, ' ')
  return printable(flat)
    .replace(MARKDOWN, (char) => `\\${char}`)
    .replace(/[&<>"]/g, (char) => HTML[char]!)
}

/** `redact` runs on each value before it is escaped, so an escaped secret cannot slip past it. */
export function summaryMarkdown(
  row: SummaryRow,
  redact: (text: string) => string = (text) => text,
): string {
  const out = (text: string) => cell(redact(text))
  const rows: Array<[string, string]> = [
    ['Kind', row.kind],
    ...row.ids,
    ...firstFew<[string, string]>(row.urls, (left) => [
      '…',
      `and ${left.toLocaleString('en-US')} more URLs, all in result.json`,
    ]),
    ['Traffic', row.traffic ?? (row.kind === 'Preview' ? 'its own URLs only' : 'none yet')],
    ['Size', formatBytes(row.sizeBytes)],
    ['Applied', row.applied.length > 0 ? row.applied.join('; ') : 'code only'],
  ]
  return [
    `### ${out(row.worker)}`,
    '',
    '| Field | Value |',
    '| --- | --- |',
    ...rows.map(([label, value]) => `| ${out(label)} | ${out(value)} |`),
    '',
    '',
  ].join('\n')
}

/** Appends the Worker's table, redacted; one write, so parallel Workers' tables do not interleave. */
export async function appendStepSummary(
  file: string,
  row: SummaryRow,
  redactor: Redactor,
): Promise<void> {
  await appendFile(
    file,
    summaryMarkdown(row, (text) => redactor.redact(text)),
  )
}
