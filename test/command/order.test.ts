import { describe, expect, it } from 'vitest'
import { boundWorkers, deployOrder } from '../../src/command/order.js'

const names = (workers: ReadonlyArray<{ name: string }>) => workers.map((w) => w.name)

describe('the deploy order of several Workers', () => {
  it('puts every Worker after the Workers of the deployment it binds, and keeps the given order otherwise', () => {
    const { order, cycle } = deployOrder([
      { name: 'web', needs: ['api', 'elsewhere'] },
      { name: 'api', needs: ['db-proxy'] },
      { name: 'cron', needs: [] },
      { name: 'db-proxy', needs: [] },
    ])
    expect(names(order)).toEqual(['db-proxy', 'api', 'web', 'cron'])
    expect(cycle).toEqual([])
  })

  it('reports Workers that bind each other, and still deploys each of them once', () => {
    const { order, cycle } = deployOrder([
      { name: 'a', needs: ['b'] },
      { name: 'b', needs: ['a'] },
      { name: 'c', needs: ['a'] },
      { name: 'self', needs: ['self'] },
    ])
    expect(names(cycle)).toEqual(['a', 'b'])
    expect(names(order).sort()).toEqual(['a', 'b', 'c', 'self'])
    expect(names(order).indexOf('c')).toBeGreaterThan(names(order).indexOf('a'))
  })

  it('reads the Workers a version binds: services, and Durable Objects and Workflows of another script', () => {
    expect(
      boundWorkers([
        { type: 'service', name: 'API', service: 'api' },
        {
          type: 'durable_object_namespace',
          name: 'ROOMS',
          class_name: 'Room',
          script_name: 'rooms',
        },
        { type: 'durable_object_namespace', name: 'OWN', class_name: 'Own' },
        {
          type: 'workflow',
          name: 'FLOW',
          workflow_name: 'flow',
          class_name: 'Flow',
          script_name: 'flows',
        },
        { type: 'plain_text', name: 'X', text: 'api' },
        { type: 'service', name: 'API_AGAIN', service: 'api', entrypoint: 'Admin' },
      ]),
    ).toEqual(['api', 'rooms', 'flows'])
  })
})
