/**
 * Counts in messages: `1 file`, `2 files`, `4,000 files`. Here in core, not in report/, because
 * the API client and the module rules word counts too and may not import the reporter.
 */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${groupDigits(count)} ${count === 1 ? singular : pluralForm}`
}

/**
 * `4000` as `4,000`, as `toLocaleString('en-US')` writes it, without its cost: the first call of a
 * process loads ICU's locale data, 20–40 ms of every build's summary.
 */
export function groupDigits(count: number): string {
  if (!Number.isInteger(count)) return String(count)
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}
