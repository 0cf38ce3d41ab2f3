/**
 * The one place that makes a value from a server or a CI system safe to quote in a log line, an
 * error message or the job summary. Such a value may hold what a terminal obeys (an ESC starting
 * an OSC or CSI sequence: a hyperlink, a title, cursor moves, a cleared screen), what a CI log
 * reads as a command (a line break, then `::error::`), or what reorders text on screen (U+202E);
 * and it may be 10 KB long or come 5,000 times. Each is shown escaped, clipped, or summarised.
 */

/**
 * Characters that steer a terminal or a reader rather than print: C0 controls (line breaks and
 * tabs too: a quoted value stays on its line), DEL, C1 controls, the line and paragraph
 * separators, and the bidirectional marks, embeddings, overrides and isolates.
 */
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** `\x1b`, `\u202e`: the character's code, readable and inert. */
function escapeOne(char: string): string {
  const code = char.charCodeAt(0)
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`
}

/** `text` with every control and bidirectional character written as its escape (`\x1b`, `\u202e`). */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeOne)
}

/** The longest value quoted whole: a branch name, a URL, a server message. */
const QUOTED_CHARS = 200

/**
 * `text` cut to `max` characters with an ellipsis and its full length noted (`…` then
 * `(10,240 characters)`), never inside a surrogate pair; shorter text as it is.
 */
export function clipValue(text: string, max = QUOTED_CHARS): string {
  if (text.length <= max) return text
  let end = max
  const last = text.charCodeAt(end - 1)
  if (last >= 0xd800 && last <= 0xdbff) end--
  return `${text.slice(0, end)}… (${text.length.toLocaleString('en-US')} characters)`
}

/**
 * A server or CI value as a log line, a message or the job summary quotes it: redacted first (so a
 * cut never leaves part of a secret), then clipped, then escaped.
 */
export function quoteValue(
  value: string,
  redact: (text: string) => string = (text) => text,
  max = QUOTED_CHARS,
): string {
  return printable(clipValue(redact(value), max))
}

/** How many entries of a list from the server a log or the job summary shows. */
const LISTED_VALUES = 5

/**
 * The first `max` of `items`, then, when more were left out, one `more(n)` entry saying how many
 * (and where all of them are, when the caller knows).
 */
export function firstFew<T>(
  items: readonly T[],
  more: (left: number) => T,
  max = LISTED_VALUES,
): T[] {
  return items.length <= max ? [...items] : [...items.slice(0, max), more(items.length - max)]
}

/**
 * SGR sequences (`ESC [ 1 ; 32 m`): the colours the plugin's own lines carry (picocolors). Kept by
 * {@link printableLine}; every other escape is not ours.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const SGR = /\u001b\[[0-9;]{0,12}m/y

/**
 * A whole line about to be printed (or an error message): every unsafe character escaped except
 * line breaks between the message's own lines, tabs and the plugin's colour codes. The net under
 * {@link quoteValue}, which each quoted value goes through: a value that reached a line without it
 * still cannot move the cursor, set a title, open a link or reorder the text.
 */
export function printableLine(line: string): string {
  return line.replace(UNSAFE, (char, offset: number) => {
    if (char === '\n' || char === '\t') return char
    if (char === '\u001b') {
      SGR.lastIndex = offset
      if (SGR.test(line)) return char
    }
    return escapeOne(char)
  })
}
