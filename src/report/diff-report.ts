/**
 * Where the diff of a deploy goes besides the log: `diff.json` in the output directory (written
 * atomically, replaced by every build so that it never describes another one) and a section of the
 * CI job summary. A diff holds names, kinds, targets and digests, never a secret or a variable's value.
 */
import { appendFile } from 'node:fs/promises'
import { join } from 'node:path'
import { printable } from '../core/printable.js'
import type { Redactor } from '../core/redact.js'
import { unwrittenWarning } from './files.js'
import type { Logger } from './logger.js'
import { writeFileAtomic } from './write-atomic.js'

/** The report's view of a diff (plan/diff.ts makes it). */
export interface DiffReport {
  worker: string
  /** Whether it was compared with the deployed Worker, or why not. */
  compared: boolean
  against: string
  changes: ReadonlyArray<{
    kind: string
    op: string
    subject: string
    line: string
    guard?: string
  }>
  notCompared: readonly string[]
  /** What the deploy leaves as it is though the config no longer names it; absent when nothing is. */
  kept?: readonly string[]
  /** Strict mode: the guarded changes and whether each is acknowledged; absent when strict mode is off. */
  strict?: { refused: readonly string[]; acknowledged: readonly string[] }
}

function diffJsonPath(outputDir: string): string {
  return join(outputDir, 'diff.json')
}

export function writeDiffJson(outputDir: string, report: DiffReport, redactor?: Redactor): string {
  const file = diffJsonPath(outputDir)
  const content = redactor ? redactor.redactDeep(report) : report
  writeFileAtomic(file, `${JSON.stringify(content, null, 2)}\n`)
  return file
}

/**
 * The diff as a section of the job summary: a heading, then the lines in a `diff` code block, whose
 * fence is longer than any run of backticks in them, so that no value can close it.
 */
export function diffMarkdown(report: DiffReport, redact: (text: string) => string): string {
  const lines = [
    ...report.changes.map((c) => c.line),
    ...(report.kept ?? []).map((item) => `# kept: ${item}`),
    ...report.notCompared.map((gap) => `# not compared: ${gap}`),
  ].map((line) => printable(redact(line)))
  if (report.changes.length === 0) lines.unshift('# no changes')
  const longest = Math.max(
    0,
    ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((r) => r.length))),
  )
  const fence = '`'.repeat(Math.max(3, longest + 1))
  const heading = `#### What changes: ${inline(redact(report.worker))}, against ${inline(redact(report.against))}`
  return [heading, '', `${fence}diff`, ...lines, fence, '', ''].join('\n')
}

/** A value in the heading: one line, inert, no markdown or HTML of its own. */
function inline(text: string): string {
  return printable(text.replace(/[\r\n\u2028\u2029]+/g, ' ')).replace(
    /[\\`*_[\]~|<>&#]/g,
    (c) => `\\${c}`,
  )
}

export async function appendDiffSummary(
  file: string,
  report: DiffReport,
  redactor: Redactor,
): Promise<void> {
  await appendFile(
    file,
    diffMarkdown(report, (text) => redactor.redact(text)),
  )
}

/** What a dry run compares when the diff is not asked for, in the one line it prints and in its `diff.json`. */
const DRY_RUN_GAP =
  'a dry run sends no request unless asked to compare (`diff: true`, `deploy --dry-run --diff`), so bindings, compatibility, modules, assets, migrations and triggers are not compared with the deployed Worker'

/**
 * A dry run that compares nothing: one line says so and why, and `diff.json` records it (an upload's
 * earlier file must not stand beside this build's request.json as if it described it). `asked`: the
 * diff was asked for (`diff: true`) and cannot be made, for the plan's reason; the job summary says
 * so too, as it would show the diff.
 */
export async function reportDryRunDiff(
  outputDir: string,
  worker: string,
  logger: Logger,
  asked?: { gap: string; redactor: Redactor },
): Promise<void> {
  const gap = asked?.gap ?? DRY_RUN_GAP
  logger.info(`  diff: not compared: ${printable(gap)}`)
  const report: DiffReport = {
    worker,
    compared: false,
    against: 'nothing (dry run)',
    changes: [],
    notCompared: [gap],
  }
  writeDiffJson(outputDir, report, asked?.redactor)
  const file = process.env.GITHUB_STEP_SUMMARY
  if (asked && file)
    await appendDiffSummary(file, report, asked.redactor).catch((error: unknown) =>
      unwrittenWarning(logger, 'the diff was printed above')(
        `GITHUB_STEP_SUMMARY (${file})`,
        error,
      ),
    )
}
