import { describe, expect, it } from 'vitest'
import type { WorkerModule } from '../../src/core/types.js'
import { deployRoute } from '../../src/deploy/path.js'
import { sameTarget, sessionServing, type UploadSession } from '../../src/deploy/session.js'
import { EARLY_STATE_MAX_AGE_MS, isFresh } from '../../src/deploy/worker-state.js'
import type { UploadPlan } from '../../src/plan/index.js'
import { versionBody } from '../../src/version/body.js'
import { uploadPlan } from './plans.js'

// The decisions the version, script-upload and Preview paths share: the migrations decided once,
// which session serves which plan, and how long a state read while the bundler worked stays usable.

const MAIN: WorkerModule = {
  name: 'index.js',
  content_type: 'application/javascript+module',
  contents: new TextEncoder().encode('export default {}'),
}
const BUILT = { mainModule: 'index.js', modules: [MAIN] }
const STEPS = [
  { tag: 'v1', new_sqlite_classes: ['Counter'] },
  { tag: 'v2', deleted_classes: ['Old'] },
]

/** A plan with wrangler's migration steps, as a wrangler config gives them. */
async function migratingPlan(options: Parameters<typeof uploadPlan>[0]): Promise<UploadPlan> {
  return { ...(await uploadPlan(options)), migrationSteps: STEPS }
}

describe('the pending migrations, decided once by the deploy path', () => {
  it('says once that the Worker carries an unknown tag when the build goes on through the script upload', async () => {
    const warnings: string[] = []
    const route = deployRoute(await migratingPlan({ promote: true }), 'gone', (message) =>
      warnings.push(message),
    )
    expect(route).toMatchObject({
      kind: 'script',
      migrations: { old_tag: 'gone', new_tag: 'v2' },
    })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/migration tag "gone".*not among the configured migrations/)
  })

  it('says nothing besides its refusal when the build cannot go on', async () => {
    const warnings: string[] = []
    const plan = await migratingPlan({})
    expect(() => deployRoute(plan, 'gone', (message) => warnings.push(message))).toThrow(
      expect.objectContaining({ code: 'MIGRATION_NEEDS_FULL_DEPLOY' }),
    )
    expect(warnings).toEqual([])
  })

  it('lets the body take the migrations the path decided, without computing or warning again', async () => {
    const plan = await migratingPlan({ promote: true })
    const warnings: string[] = []
    const route = deployRoute(plan, 'gone')
    const { payload } = versionBody(plan, BUILT, {
      remote: { migrationTag: 'gone', secrets: [] },
      warn: (message) => warnings.push(message),
      variant: 'script',
      migrations: { pending: route.kind === 'script' ? route.migrations : undefined },
    })
    expect(payload.config.migrations).toBe(route.kind === 'script' && route.migrations)
    expect(warnings).toEqual([])
  })

  it('sends no migrations when the path decided none are pending, whatever the remote tag would say', async () => {
    const plan = await migratingPlan({ promote: true })
    const { payload } = versionBody(plan, BUILT, {
      remote: { migrationTag: undefined, secrets: [] },
      migrations: { pending: undefined },
    })
    expect(payload.config.migrations).toBeUndefined()
    // Without the decision the body computes them itself: every step for a Worker without a tag.
    expect(
      versionBody(plan, BUILT, { remote: { secrets: [] } }).payload.config.migrations,
    ).toMatchObject({ new_tag: 'v2' })
  })

  it('keeps an assets-only body free of migrations even when some were decided', async () => {
    const plan = await migratingPlan({ promote: true })
    const { payload } = versionBody(
      plan,
      { modules: [] },
      { migrations: { pending: { new_tag: 'v2', steps: [] } } },
    )
    expect(payload.config.migrations).toBeUndefined()
  })
})

/** A session opened for `plan`, counting the holders it hands out. */
function sessionFor(plan: UploadPlan): UploadSession & { shared: number } {
  const session = {
    plan,
    shared: 0,
    close: () => Promise.resolve(),
    share: () => {
      session.shared++
      return () => Promise.resolve()
    },
  }
  return session as unknown as UploadSession & { shared: number }
}

describe('which session serves a plan', () => {
  it('serves the plan it was opened for, and opens none when the build has none', async () => {
    const plan = await uploadPlan()
    const session = sessionFor(plan)
    expect(sessionServing(plan, session)).toBe(session)
    expect(session.shared).toBe(0)
    expect(sessionServing(plan, undefined)).toBeUndefined()
  })

  it('serves another plan of the same Worker with the same reads, as a holder of its own', async () => {
    const session = sessionFor(await uploadPlan())
    const other = await uploadPlan()
    const served = sessionServing(other, session)
    expect(served?.plan).toBe(other)
    expect(served?.close).not.toBe(session.close)
    expect(session.shared).toBe(1)
  })

  it('serves no plan of another Worker, account or token, nor one that reads more', async () => {
    const session = sessionFor(await uploadPlan())
    for (const other of [
      await uploadPlan({ worker: 'other' }),
      await uploadPlan({ accountId: 'b'.repeat(32) }),
      await uploadPlan({ apiToken: 'another-token' }),
      // A gradual rollout reads the current deployment, which the session's read left out.
      await uploadPlan({ promote: 30 }),
    ])
      expect(sessionServing(other, session)).toBeUndefined()
    expect(session.shared).toBe(0)
  })

  it('compares the targets field by field, not by identity', async () => {
    const [a, b] = [await uploadPlan(), await uploadPlan()]
    expect(a.target).not.toBe(b.target)
    expect(sameTarget(a, b)).toBe(true)
    expect(sameTarget(a, await uploadPlan({ worker: 'other' }))).toBe(false)
  })
})

describe('a state read while the bundler worked', () => {
  it('is acted on up to its maximum age, and read again after it', () => {
    expect(isFresh(1_000, 1_000)).toBe(true)
    expect(isFresh(1_000, 1_000 + EARLY_STATE_MAX_AGE_MS)).toBe(true)
    expect(isFresh(1_000, 1_000 + EARLY_STATE_MAX_AGE_MS + 1)).toBe(false)
  })
})
