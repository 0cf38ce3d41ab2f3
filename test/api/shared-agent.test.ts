import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAgent, resolveTimeouts } from '../../src/api/index.js'
import { getWorker } from '../../src/api/workers.js'

// An upload makes several calls (the Worker, its deployment, its secrets, the version): with one
// Agent they share connections, so a real API pays one TLS handshake instead of one per call.

let server: Server
let connections: number
let closed: number
let baseUrl: string

beforeEach(async () => {
  connections = 0
  closed = 0
  server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json')
    response.end(
      JSON.stringify({
        success: true,
        errors: [],
        messages: [],
        result: { id: 'w-id', created_on: '2026-01-01T00:00:00Z' },
      }),
    )
  })
  server.on('connection', (socket) => {
    connections++
    socket.on('close', () => closed++)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`
})
afterEach(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const context = (agent?: ReturnType<typeof createAgent>) => ({
  baseUrl,
  credentials: { apiToken: 'token' },
  accountId: 'acc',
  agent,
})

describe('a shared Agent', () => {
  it('carries consecutive calls over one connection, and destroying it closes that connection', async () => {
    const agent = createAgent(resolveTimeouts(undefined))
    // No pause between the calls: each is sent as soon as the previous one's body is read, which is
    // before undici has given the connection back to its pool unless the transport waits for that.
    for (const name of ['a', 'b', 'c']) expect(await getWorker(context(agent), name)).toBeDefined()
    expect(connections).toBe(1)
    expect(closed).toBe(0)
    await agent.destroy()
    await expect.poll(() => closed).toBe(1)
  })

  it('is not destroyed by the calls that borrow it', async () => {
    const agent = createAgent(resolveTimeouts(undefined))
    await getWorker(context(agent), 'a')
    expect(agent.destroyed).toBe(false)
    await agent.destroy()
  })

  it('without one, each call opens and closes its own connection', async () => {
    for (const name of ['a', 'b', 'c']) await getWorker(context(), name)
    expect(connections).toBe(3)
    await expect.poll(() => closed).toBe(3)
  })
})
