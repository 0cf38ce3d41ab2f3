/**
 * Counts in messages: `1 file`, `2 files`, `4,000 files`. Here in core, not in report/, because
 * the API client and the module rules word counts too and may not import the reporter.
 */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : pluralForm}`
}
