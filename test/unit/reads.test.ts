import { describe, expect, it } from 'vitest'
import { sameReads, workerReads } from '../../src/plan/reads.js'
import { uploadPlan } from './plans.js'

// What an upload reads of the Worker before sending, decided once for the plugin context, the session and the read.

describe('the reads decision', () => {
  it('reads the deployment only for a gradual rollout, the migration tag only with migrations, and the secrets always', async () => {
    expect(workerReads(await uploadPlan())).toEqual({
      deployment: false,
      migrationTag: false,
      secrets: true,
      early: true,
    })
    expect(workerReads(await uploadPlan({ promote: 30 }))).toMatchObject({
      deployment: true,
      migrationTag: false,
    })
    // A promote to 100% replaces whatever is deployed: nothing to read for it.
    expect(
      workerReads(
        await uploadPlan({
          promote: true,
          version: { migrations: { new_tag: 'v1', new_classes: ['A'] } },
        }),
      ),
    ).toMatchObject({
      deployment: false,
      migrationTag: true,
    })
  })

  it('reads the deployment for a gated rollout, which steps from it, with the Worker state', async () => {
    const plan = await uploadPlan({ promote: { steps: [0, 50, 100], interval: '1m' } })
    expect(plan.promote).toBe(100)
    expect(workerReads(plan).deployment).toBe(true)
  })

  it('reads neither the tag nor the secrets for a Preview, which keeps its own', async () => {
    const reads = workerReads(
      await uploadPlan({
        preview: 'feature',
        version: { migrations: { new_tag: 'v1', new_classes: ['A'] } },
      }),
    )
    expect(reads).toMatchObject({ deployment: false, migrationTag: false, secrets: false })
  })

  it('starts the reads while the bundler works, except for a Preview started in workerd first', async () => {
    expect(workerReads(await uploadPlan({ preflight: false })).early).toBe(true)
    // A version's preflight only explains the API's refusal: the reads create nothing, so they need not wait.
    expect(workerReads(await uploadPlan({ preflight: true })).early).toBe(true)
    expect(workerReads(await uploadPlan({ preview: 'feature', preflight: true })).early).toBe(false)
    expect(workerReads(await uploadPlan({ preview: 'feature', preflight: false })).early).toBe(true)
  })

  it('lets one read serve two plans only when they read the same parts', async () => {
    expect(
      sameReads(
        await uploadPlan(),
        await uploadPlan({ version: { compatibility_date: '2025-01-01' } }),
      ),
    ).toBe(true)
    expect(sameReads(await uploadPlan(), await uploadPlan({ promote: 30 }))).toBe(false)
    expect(sameReads(await uploadPlan(), await uploadPlan({ promote: true }))).toBe(true)
    expect(sameReads(await uploadPlan(), await uploadPlan({ preview: 'feature' }))).toBe(false)
    expect(
      sameReads(
        await uploadPlan({ promote: true }),
        await uploadPlan({
          promote: true,
          version: { migrations: { new_tag: 'v1', new_classes: ['A'] } },
        }),
      ),
    ).toBe(false)
  })
})
