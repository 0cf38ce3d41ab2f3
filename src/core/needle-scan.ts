/**
 * Finds many literal needles in one pass over a text and replaces every match: the redactor's
 * search. A regular expression alternating the few hundred needles of a run (each secret's
 * encodings, the credentials' 12-character fragments) tries them one after another at every
 * position, which took 70-100 ms over 5 MB; this scan looks at each position's first two
 * characters once and compares needles only where some needle starts with them.
 */

/** A needle; a credential's fragment also says which credential and where in it the fragment starts. */
export interface Needle {
  text: string
  /** A match of this needle runs on for as long as the text goes on agreeing with `credential` from `at`. */
  extendsAlong?: { credential: string; at: number }
  /**
   * Matched only as a whole word: a letter or digit at the needle's edge may not continue into
   * the text beside it (`abcd` is found in `x abcd-y`, not in `xabcdy`).
   */
  wholeWord?: boolean
}

/** The low bytes of two characters: a table index (other characters fold onto these, then fail the comparison). */
const pairOf = (first: number, second: number): number => ((first & 0xff) << 8) | (second & 0xff)

export class NeedleScanner {
  /** The needles by their first two characters, longest first. */
  readonly #byPair: Array<Needle[] | undefined> = new Array<Needle[] | undefined>(1 << 16)

  /** `needles` are at least two characters long. */
  constructor(needles: readonly Needle[]) {
    for (const needle of [...needles].sort((a, b) => b.text.length - a.text.length)) {
      if (needle.text.length < 2) throw new Error('a needle is at least two characters long')
      const pair = pairOf(needle.text.charCodeAt(0), needle.text.charCodeAt(1))
      ;(this.#byPair[pair] ??= []).push(needle)
    }
  }

  /**
   * `text` with every match replaced by `replacement`, left to right; at one position the longest
   * match wins. A match for which `keep(start, end)` says true is left as it is.
   */
  replaceAll(
    text: string,
    replacement: string,
    keep?: (start: number, end: number) => boolean,
  ): string {
    const byPair = this.#byPair
    let parts: string[] | undefined
    let copied = 0
    let first = text.charCodeAt(0)
    for (let i = 0; i + 1 < text.length;) {
      const second = text.charCodeAt(i + 1)
      const candidates = byPair[pairOf(first, second)]
      if (candidates !== undefined) {
        const end = longestMatchAt(text, i, candidates)
        if (end > i && !keep?.(i, end)) {
          ;(parts ??= []).push(text.slice(copied, i), replacement)
          copied = i = end
          first = text.charCodeAt(i)
          continue
        }
      }
      first = second
      i++
    }
    if (parts === undefined) return text
    parts.push(text.slice(copied))
    return parts.join('')
  }
}

/** Where the longest of `candidates` matching at `at` ends (a fragment run on along its credential), or `at` when none does. */
function longestMatchAt(text: string, at: number, candidates: readonly Needle[]): number {
  let end = at
  for (const needle of candidates) {
    if (!text.startsWith(needle.text, at)) continue
    if (needle.wholeWord && !atWordEdges(text, at, needle.text)) continue
    let stop = at + needle.text.length
    const along = needle.extendsAlong
    if (along) {
      for (
        let next = along.at + needle.text.length;
        stop < text.length &&
        next < along.credential.length &&
        text.charCodeAt(stop) === along.credential.charCodeAt(next);
        next++
      )
        stop++
    }
    if (stop > end) end = stop
  }
  return end
}

const WORD = /[\p{L}\p{N}]/u

/** Whether `needle`, found at `at`, does not run on into a letter or digit of the text on either side. */
function atWordEdges(text: string, at: number, needle: string): boolean {
  const end = at + needle.length
  const continues = (inNeedle: string, beside: string | undefined) =>
    beside !== undefined && WORD.test(inNeedle) && WORD.test(beside)
  return !continues(needle[0]!, text[at - 1]) && !continues(needle.at(-1)!, text[end])
}
