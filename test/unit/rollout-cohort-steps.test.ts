// Cohort steps of a gated rollout: how `promote.steps` checks them when the plugin is created, and
// the deployment each step makes (the body itself is sent in test/upload/rollout-cohorts.test.ts).
import { describe, expect, it } from 'vitest'
import { deploymentBody } from '../../src/api/cohort-deployment.js'
import { refuseRolloutFrom } from '../../src/deploy/rollout.js'
import { planSteps } from '../../src/deploy/rollout-split.js'
import { resolveRollout } from '../../src/options/rollout.js'

const refusal = (steps: unknown[]): string => {
  try {
    resolveRollout({ steps })
  } catch (error) {
    expect((error as { code: string }).code).toBe('INVALID_OPTIONS')
    return (error as Error).message
  }
  throw new Error('the steps were accepted')
}

describe('cohort steps in promote.steps', () => {
  it('accepts cohort steps before the steps that move all traffic, a leading 0 included', () => {
    const steps = [
      0,
      { cohort: 'employee', percentage: 100 },
      { cohort: 'beta', percentage: 10 },
      { cohort: 'BETA', percentage: 50 },
      10,
      100,
    ]
    expect(resolveRollout({ steps }).steps).toEqual(steps)
  })

  it('refuses a bad cohort step, naming the exact field of each', () => {
    const message = refusal([
      { cohort: 'employee', percentage: 100 },
      { cohort: 'beta testers', percentage: 50 },
      { cohort: 'beta', percentage: 0 },
      { cohort: 'canary', percentage: 10, colour: 'red' },
      { cohort: 'Employee', percentage: 100 },
      'cohort',
      10,
      { cohort: 'late', percentage: 50 },
      100,
    ])
    for (const line of [
      `promote.steps[1].cohort: expected a cohort name of 1 to 10 letters, digits, '-' or '_'`,
      'got "beta testers"',
      'promote.steps[2].percentage: expected a whole percentage from 1 to 100',
      'promote.steps[3].colour: is not a field of a cohort step (cohort, percentage)',
      `promote.steps[4].percentage: 100 does not rise above cohort "Employee"'s step before it (100)`,
      'promote.steps[5]: expected a whole percentage from 0 to 100 or a cohort step { cohort, percentage }, got "cohort"',
      'promote.steps[7]: a cohort step must come before the steps that move all traffic (promote.steps[6] is 10)',
    ])
      expect(message).toContain(line)
  })

  it('refuses a cohort name over 10 characters, a sixth cohort, and a cohort step last', () => {
    expect(refusal([{ cohort: 'engineering', percentage: 100 }, 100])).toContain(
      'promote.steps[0].cohort: expected a cohort name of 1 to 10',
    )
    const six = ['a', 'b', 'c', 'd', 'e', 'f'].map((cohort) => ({ cohort, percentage: 100 }))
    expect(refusal([...six, 100])).toContain(
      'promote.steps[5].cohort: at most 5 cohorts fit in one deployment',
    )
    expect(refusal([{ cohort: 'beta', percentage: 100 }])).toContain(
      'promote.steps: the last step must be 100 (the rollout ends with the new version serving everything), got a cohort step',
    )
  })
})

describe('the deployment of each step', () => {
  it('keeps earlier cohorts, leaves the other requests on the previous version, and ends with a percentage deployment', () => {
    const steps = [
      0,
      { cohort: 'employee', percentage: 100 },
      { cohort: 'beta', percentage: 10 },
      { cohort: 'Beta', percentage: 50 },
      20,
      100,
    ]
    const bodies = planSteps(steps, 'new', 'old').map((p) => ({
      name: p.name,
      ...deploymentBody(p.versions, p.cohorts),
    }))
    const split = (n: number) =>
      n === 100
        ? [{ version_id: 'new', percentage: 100 }]
        : [
            { version_id: 'new', percentage: n },
            { version_id: 'old', percentage: 100 - n },
          ]
    const oldOnly = [{ version_id: 'old', percentage: 100 }]
    expect(bodies).toEqual([
      { name: '0%', strategy: 'percentage', versions: split(0) },
      {
        name: 'cohort employee 100%',
        strategy: 'cohorts',
        versions: oldOnly,
        cohorts: [{ name: 'employee', versions: split(100) }],
      },
      {
        name: 'cohort beta 10%',
        strategy: 'cohorts',
        versions: oldOnly,
        cohorts: [
          { name: 'employee', versions: split(100) },
          { name: 'beta', versions: split(10) },
        ],
      },
      {
        name: 'cohort Beta 50%',
        strategy: 'cohorts',
        versions: oldOnly,
        cohorts: [
          { name: 'employee', versions: split(100) },
          { name: 'beta', versions: split(50) },
        ],
      },
      // Everyone at 20%: no cohort gets less than that.
      {
        name: '20%',
        strategy: 'cohorts',
        versions: split(20),
        cohorts: [
          { name: 'employee', versions: split(100) },
          { name: 'beta', versions: split(50) },
        ],
      },
      { name: '100%', strategy: 'percentage', versions: split(100) },
    ])
  })
})

describe('a gated rollout from a cohort deployment', () => {
  it('is refused before anything is created: a gated rollout starts from one version serving all traffic', () => {
    const current = {
      id: 'd',
      versions: [{ version_id: 'old', percentage: 100 }],
      cohorts: [{ name: 'employee', versions: [{ version_id: 'other', percentage: 100 }] }],
    }
    expect(() => refuseRolloutFrom(current, 'shop')).toThrow(
      'the current deployment has cohorts (cohort employee: 100% → other; others: 100% → old)',
    )
  })
})
