/** The framework tests' own skip rule: a fixture runs unless it is not installed or this Node is too old for it. */
import { describe, expect, it } from 'vitest'
import { fixtureReady, nodeSatisfies } from './fixture.js'

describe('framework fixtures: when a test file skips', () => {
  it('reads engines.node ranges as the frameworks write them', () => {
    // astro 7.4.8, @react-router/dev 8.5.3, waku 1.0.0-rc.1 and vite 8.4.
    expect(nodeSatisfies('>=22.23.4', '22.19.0')).toBe(false)
    expect(nodeSatisfies('>=22.23.4', '24.22.3')).toBe(true)
    expect(nodeSatisfies('>=22.22.0', '22.22.0')).toBe(true)
    expect(nodeSatisfies('^26.0.0 || ^24.0.0 || ^22.15.0', '22.19.0')).toBe(true)
    expect(nodeSatisfies('^26.0.0 || ^24.0.0 || ^22.15.0', '25.1.0')).toBe(false)
    expect(nodeSatisfies('^20.19.0 || >=22.12.0', '26.12.1')).toBe(true)
    expect(nodeSatisfies('^20.19.0 || >=22.12.0', '21.0.0')).toBe(false)
    expect(() => nodeSatisfies('22.x', '22.19.0')).toThrow(
      'engines.node range not understood: 22.x',
    )
  })

  it('a fixture without node_modules skips, naming the install command', () => {
    expect(fixtureReady('framework-none', [])).toEqual({
      ready: false,
      reason:
        'test/fixtures/framework-none/node_modules is not installed: run `node scripts/install-framework-fixtures.mjs`',
    })
  })
})
