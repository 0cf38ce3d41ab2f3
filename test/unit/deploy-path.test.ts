import { describe, expect, it } from 'vitest'
import { deployRoute } from '../../src/deploy/path.js'
import { uploadPlan } from './plans.js'

// Which request carries an upload: Create Version, or the script upload (a non-versioned deploy at 100%).

const MIGRATION = { new_tag: 'v1', new_sqlite_classes: ['Counter'] }

describe('the deploy path decision', () => {
  it('takes Create Version for a plain version, a gradual rollout and a deploy at 100%', async () => {
    expect(deployRoute(await uploadPlan(), undefined)).toEqual({ kind: 'version' })
    expect(deployRoute(await uploadPlan({ promote: 30 }), undefined)).toEqual({ kind: 'version' })
    expect(deployRoute(await uploadPlan({ promote: true }), undefined)).toEqual({ kind: 'version' })
  })

  it('takes the script upload for a pending migration deployed at 100%, and says why', async () => {
    const route = deployRoute(
      await uploadPlan({ promote: true, version: { migrations: MIGRATION } }),
      undefined,
    )
    expect(route.kind).toBe('script')
    expect(route).toMatchObject({ migrations: MIGRATION })
    expect((route as { why: string }).why).toContain('Durable Object migration')
    expect((route as { why: string }).why).toContain('v1')
  })

  it('takes Create Version once the Worker already carries the migration tag', async () => {
    expect(
      deployRoute(await uploadPlan({ promote: true, version: { migrations: MIGRATION } }), 'v1'),
    ).toEqual({ kind: 'version' })
  })

  it('refuses a pending migration without promote or with a gradual rollout, naming the tag and the fix', async () => {
    const none = await uploadPlan({ version: { migrations: MIGRATION } })
    expect(() => deployRoute(none, undefined)).toThrow(
      expect.objectContaining({ code: 'MIGRATION_NEEDS_FULL_DEPLOY' }),
    )
    expect(() => deployRoute(none, undefined)).toThrow(
      /current tag is none.*Without `promote`.*Nothing was uploaded.*set `promote: true`/s,
    )
    const gradual = await uploadPlan({ promote: 30, version: { migrations: MIGRATION } })
    expect(() => deployRoute(gradual, 'v0')).toThrow(
      /current tag is "v0".*`promote: 30` would start a gradual rollout/s,
    )
  })

  it('takes the script upload for Durable Object exports and containers only at 100%', async () => {
    const exportsPlan = { version: { exports: { Counter: { type: 'durable-object' } } } } as never
    expect(
      deployRoute(await uploadPlan({ promote: true, ...(exportsPlan as object) }), undefined),
    ).toMatchObject({ kind: 'script', why: 'Durable Object exports (Counter)' })
    expect(
      deployRoute(await uploadPlan({ promote: 30, ...(exportsPlan as object) }), undefined),
    ).toEqual({ kind: 'version' })
    // A container runs a Durable Object class of this Worker.
    const containers = {
      version: {
        containers: [{ class_name: 'Box' }],
        bindings: [{ type: 'durable_object_namespace' as const, name: 'BOX', class_name: 'Box' }],
      },
    }
    expect(
      deployRoute(await uploadPlan({ promote: true, ...containers }), undefined),
    ).toMatchObject({ kind: 'script', why: 'containers (Box)' })
    expect(deployRoute(await uploadPlan(containers), undefined)).toEqual({ kind: 'version' })
  })
})
