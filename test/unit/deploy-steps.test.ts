import { describe, expect, it } from 'vitest'
import { planDeploySteps, plannedCalls } from '../../src/plan/triggers.js'
import type { DeploySettings } from '../../src/wrangler/deploy-settings.js'

// The steps a promote to 100% applies after its deployment, in wrangler deploy's order, settled without I/O.

const NONE: DeploySettings = { routes: [], queueConsumers: [], workflows: [] }

describe('the deploy steps plan', () => {
  it('always sends the script settings (observability off when unset) and the workers.dev switch (on without routes)', () => {
    const steps = planDeploySteps(NONE, 'w')
    expect(steps.map((s) => s.kind)).toEqual(['script-settings', 'workers-dev'])
    expect(steps[0]).toMatchObject({ body: { observability: { enabled: false } } })
    expect(steps[1]).toMatchObject({ body: { enabled: true }, targets: ['workers.dev on'] })
  })

  it('turns workers.dev off by default once routes exist, and splits routes from Custom Domains', () => {
    const steps = planDeploySteps(
      {
        ...NONE,
        routes: [
          { pattern: 'example.com/api/*', zone_name: 'example.com' },
          { pattern: 'app.example.com', custom_domain: true },
        ],
      },
      'w',
    )
    expect(steps.map((s) => s.kind)).toEqual([
      'script-settings',
      'workers-dev',
      'routes',
      'custom-domains',
    ])
    expect(steps[1]).toMatchObject({ body: { enabled: false } })
    expect(steps[2]).toMatchObject({
      routes: [{ pattern: 'example.com/api/*', zone_name: 'example.com' }],
    })
    // An origin or DNS record that points elsewhere is never taken over.
    expect(steps[3]).toMatchObject({
      body: {
        override_existing_origin: false,
        override_existing_dns_record: false,
        origins: [{ hostname: 'app.example.com' }],
      },
    })
  })

  it('removes every schedule for an empty crons list, and leaves schedules alone when the key is absent', () => {
    expect(
      planDeploySteps({ ...NONE, crons: [] }, 'w').find((s) => s.kind === 'schedules'),
    ).toMatchObject({ crons: [], targets: ['no schedules (removed)'] })
    expect(planDeploySteps(NONE, 'w').some((s) => s.kind === 'schedules')).toBe(false)
  })

  it("sends queue consumers with wrangler's field names and the batch timeout in milliseconds", () => {
    const steps = planDeploySteps(
      {
        ...NONE,
        queueConsumers: [
          { queue: 'jobs', max_batch_size: 10, max_batch_timeout: 5, dead_letter_queue: 'dlq' },
        ],
      },
      'w',
    )
    const step = steps.find((s) => s.kind === 'queue-consumers')
    expect(step).toMatchObject({
      consumers: [
        {
          queue: 'jobs',
          body: {
            type: 'worker',
            script_name: 'w',
            dead_letter_queue: 'dlq',
            settings: { batch_size: 10, max_wait_time_ms: 5000 },
          },
        },
      ],
    })
  })

  it('lists the calls a dry run writes, with looked-up ids as placeholders', () => {
    const [settings, subdomain] = planDeploySteps(NONE, 'w')
    expect(plannedCalls(settings!, 'w', 'acc')).toEqual([
      {
        method: 'PATCH',
        path: '/accounts/acc/workers/scripts/w/script-settings',
        body: { observability: { enabled: false } },
      },
    ])
    expect(plannedCalls(subdomain!, 'w', 'acc')[0]).toMatchObject({
      method: 'POST',
      path: '/accounts/acc/workers/scripts/w/subdomain',
    })
    const [queues] = planDeploySteps({ ...NONE, queueConsumers: [{ queue: 'jobs' }] }, 'w').filter(
      (s) => s.kind === 'queue-consumers',
    )
    expect(plannedCalls(queues!, 'w', 'acc').map((c) => c.path)).toEqual([
      '/accounts/acc/queues',
      '/accounts/acc/queues/{queue id of jobs}/consumers',
    ])
  })
})
