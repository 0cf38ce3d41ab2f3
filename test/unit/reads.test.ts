import { describe, expect, it } from 'vitest'
import { sameReads, workerReads } from '../../src/plan/reads.js'
import { uploadPlan } from './plans.js'

// What an upload reads of the Worker before sending, decided once for the plugin context, the session and the read.

describe('the reads decision', () => {
  it('reads the deployment only for a promote, the migration tag only with migrations, and the secrets always', async () => {
    expect(workerReads(await uploadPlan())).toEqual({ deployment: false, migrationTag: false, secrets: true, early: true })
    expect(workerReads(await uploadPlan({ promote: 30 }))).toMatchObject({ deployment: true, migrationTag: false })
    expect(workerReads(await uploadPlan({ promote: true, version: { migrations: { new_tag: 'v1', new_classes: ['A'] } } }))).toMatchObject({
      deployment: true,
      migrationTag: true,
    })
  })

  it('reads neither the tag nor the secrets for a Preview, which keeps its own', async () => {
    const reads = workerReads(await uploadPlan({ preview: 'feature', version: { migrations: { new_tag: 'v1', new_classes: ['A'] } } }))
    expect(reads).toMatchObject({ deployment: false, migrationTag: false, secrets: false })
  })

  it('starts the reads while the bundler works only without preflight and without static assets', async () => {
    expect(workerReads(await uploadPlan({ preflight: false })).early).toBe(true)
    expect(workerReads(await uploadPlan({ preflight: true })).early).toBe(false)
    expect(workerReads(await uploadPlan({ promote: true })).early).toBe(false) // promote turns preflight on
  })

  it('lets one read serve two plans only when they read the same parts', async () => {
    expect(sameReads(await uploadPlan(), await uploadPlan({ version: { compatibility_date: '2025-01-01' } }))).toBe(true)
    expect(sameReads(await uploadPlan(), await uploadPlan({ promote: 30 }))).toBe(false)
    expect(sameReads(await uploadPlan(), await uploadPlan({ preview: 'feature' }))).toBe(false)
    expect(sameReads(await uploadPlan({ promote: true }), await uploadPlan({ promote: true, version: { migrations: { new_tag: 'v1', new_classes: ['A'] } } }))).toBe(false)
  })
})
