// The one helper that makes server and CI values safe to quote in a log line, a message or the job summary.
import { describe, expect, it } from 'vitest'
import {
  clipValue,
  firstFew,
  printable,
  printableLine,
  quoteValue,
} from '../../src/core/printable.js'

describe('printable', () => {
  it('escapes C0, DEL, C1, line separators and bidirectional controls, and leaves other text alone', () => {
    expect(
      printable(
        'a\u001b]8;;x\u0007b\u001b[2Jc\r\n\t\u007f\u0085\u009b\u2028\u202e\u2066\u200f\u061c é 🙂',
      ),
    ).toBe(
      'a\\x1b]8;;x\\x07b\\x1b[2Jc\\x0d\\x0a\\x09\\x7f\\x85\\x9b\\u2028\\u202e\\u2066\\u200f\\u061c é 🙂',
    )
  })

  it('a whole line keeps its own colour codes, line breaks and tabs, and loses every other escape', () => {
    const ours = '\u001b[32m✓\u001b[39m created\n\tnext'
    expect(printableLine(ours)).toBe(ours)
    expect(printableLine('x\u001b]0;title\u0007 \u001b[1;1H \u001b[2J \u202e\r')).toBe(
      'x\\x1b]0;title\\x07 \\x1b[1;1H \\x1b[2J \\u202e\\x0d',
    )
  })
})

describe('clipValue and quoteValue', () => {
  it('clip a long value with an ellipsis and its full length, never inside a surrogate pair', () => {
    expect(clipValue('short')).toBe('short')
    expect(clipValue('x'.repeat(10_240))).toBe(`${'x'.repeat(200)}… (10,240 characters)`)
    expect(clipValue(`${'a'.repeat(199)}🙂tail`)).toBe(`${'a'.repeat(199)}… (205 characters)`)
  })

  it('redact before clipping, so a cut never keeps part of a secret', () => {
    const secret = 's3cret-value-123'
    const text = `${'a'.repeat(190)}${secret}`
    expect(quoteValue(text, (t) => t.replaceAll(secret, '[redacted]'))).toBe(
      `${'a'.repeat(190)}[redacted]`,
    )
  })
})

describe('firstFew', () => {
  it('keeps a short list and cuts a long one, saying how many were left out', () => {
    expect(firstFew([1, 2, 3], (n) => -n)).toEqual([1, 2, 3])
    expect(
      firstFew(
        Array.from({ length: 5000 }, (_, i) => i),
        (n) => -n,
      ),
    ).toEqual([0, 1, 2, 3, 4, -4995])
  })
})
