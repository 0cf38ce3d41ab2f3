import { describe, expect, it } from 'vitest'
import { NeedleScanner } from '../../src/core/needle-scan.js'

const X = '#'

describe('NeedleScanner', () => {
  it('replaces every match left to right, the longest at one position, matches next to each other included', () => {
    const scanner = new NeedleScanner([{ text: 'abcd' }, { text: 'abcdef' }, { text: 'efgh' }])
    expect(scanner.replaceAll('xabcdefghabcd efgh', X)).toBe(`x${X}gh${X} ${X}`)
    expect(scanner.replaceAll('abcdabcd', X)).toBe(`${X}${X}`)
  })

  it('leaves a text without matches (and one shorter than a needle) as the same string', () => {
    const scanner = new NeedleScanner([{ text: 'secret' }])
    const text = 'nothing to see, secre, ecret'
    expect(scanner.replaceAll(text, X)).toBe(text)
    expect(scanner.replaceAll('s', X)).toBe('s')
    expect(scanner.replaceAll('', X)).toBe('')
  })

  it('characters beyond Latin-1 that share a table slot with a needle are compared, not taken', () => {
    // U+0161 and 'a' (U+0061) have the same low byte.
    const scanner = new NeedleScanner([{ text: 'ab€d' }])
    expect(scanner.replaceAll('šb€d ab€d', X)).toBe(`šb€d ${X}`)
  })

  it('a fragment runs on for as long as the text agrees with its credential, and no further', () => {
    const credential = 'ABCDEFGHIJKLMNOP'
    const scanner = new NeedleScanner([{ text: 'CDEF', extendsAlong: { credential, at: 2 } }])
    expect(scanner.replaceAll('xxCDEFGHIJzz', X)).toBe(`xx${X}zz`)
    expect(scanner.replaceAll('CDEFGHIJKLMNOPQ', X)).toBe(`${X}Q`)
  })
})
