import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'
import { api, helloBody, versionsPath } from './helpers.js'

/** Faults are about the transport, so preview stays off except where a test needs it. */
let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator({ preview: false, autoCreateWorkers: true })
})
afterAll(() => emu.close())
beforeEach(() => emu.clearFaults())

const post = (worker: string) => api(emu, 'POST', versionsPath(emu, worker), helloBody())

describe('faults', () => {
  it('status: answers with that status, an error envelope and Retry-After, then the next request succeeds', async () => {
    emu.injectFaults({ kind: 'status', status: 429, retryAfter: 7 })
    const limited = await post('status-worker')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('7')
    expect(limited.json.success).toBe(false)
    expect(limited.json.errors[0]?.code).toBe(971)
    expect(emu.versions('status-worker')).toHaveLength(0)

    const next = await post('status-worker')
    expect(next.status).toBe(200)
    expect(emu.versions('status-worker')).toHaveLength(1)
  })

  it('status: uses a custom body, and queued faults are consumed in order', async () => {
    emu.injectFaults(
      {
        kind: 'status',
        status: 500,
        body: {
          success: false,
          errors: [{ code: 10013, message: 'custom' }],
          messages: [],
          result: null,
        },
      },
      { kind: 'status', status: 503 },
    )
    const first = await post('ordered')
    expect(first.status).toBe(500)
    expect(first.json.errors).toEqual([{ code: 10013, message: 'custom' }])
    expect((await post('ordered')).status).toBe(503)
    expect((await post('ordered')).status).toBe(200)
  })

  it('match: a fault waits for a request with its method and path', async () => {
    emu.injectFaults({
      kind: 'status',
      status: 502,
      match: { method: 'post', path: /\/versions$/ },
    })
    const get = await api(
      emu,
      'GET',
      `${emu.url}/accounts/${emu.accountId}/workers/workers/nothing-here`,
    )
    expect(get.status).toBe(404) // not the fault: the GET did not match
    expect((await post('matched')).status).toBe(502)
    expect((await post('matched')).status).toBe(200)
  })

  it('drop: destroys the socket before answering and stores nothing', async () => {
    emu.injectFaults({ kind: 'drop' })
    await expect(post('dropped')).rejects.toThrow()
    expect(emu.versions('dropped')).toHaveLength(0)
    expect(emu.requests.at(-1)).toMatchObject({ method: 'POST', status: 0 })
  })

  it('lose-response: stores exactly one version while the client sees a socket error', async () => {
    emu.injectFaults({ kind: 'lose-response' })
    const error = await post('lost').then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(Error)
    expect(emu.versions('lost')).toHaveLength(1)
    // What a client does next: ask whether the version exists.
    const list = await api(emu, 'GET', versionsPath(emu, 'lost'))
    expect(list.json.result).toHaveLength(1)
    expect(list.json.result[0].id).toBe(emu.versions('lost')[0]?.id)
  })

  it('slow: answers normally after the delay', async () => {
    emu.injectFaults({ kind: 'slow', delayMs: 300 })
    const started = performance.now()
    const { status } = await post('slow')
    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
    expect(status).toBe(200)
    expect(emu.versions('slow')).toHaveLength(1)
  })

  it('non-json: answers an HTML gateway page (502 by default, or the given status)', async () => {
    emu.injectFaults({ kind: 'non-json' }, { kind: 'non-json', status: 524 })
    for (const expected of [502, 524]) {
      const response = await fetch(versionsPath(emu, 'gateway'), {
        method: 'POST',
        headers: { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(helloBody()),
      })
      expect(response.status).toBe(expected)
      expect(response.headers.get('content-type')).toMatch(/^text\/html/)
      const text = await response.text()
      expect(text).toMatch(/^<!DOCTYPE html>/)
      expect(() => JSON.parse(text) as unknown).toThrow()
    }
    expect(emu.versions('gateway')).toHaveLength(0)
  })

  it('clearFaults: drops queued faults', async () => {
    emu.injectFaults({ kind: 'status', status: 500 })
    emu.clearFaults()
    expect((await post('cleared')).status).toBe(200)
  })
})

describe('close()', () => {
  it('ends a request stuck in a practically endless slow fault', async () => {
    const own = await startEmulator({ preview: false, autoCreateWorkers: true })
    own.injectFaults({ kind: 'slow', delayMs: 10 ** 12 })
    const pending = api(own, 'POST', versionsPath(own, 'forever'), helloBody()).then(
      () => 'answered',
      () => 'socket error',
    )
    await expect.poll(() => own.requests.length).toBe(1)
    const started = performance.now()
    await own.close()
    expect(performance.now() - started).toBeLessThan(2000)
    expect(await pending).toBe('socket error')
    expect(own.versions('forever')).toHaveLength(0)
  })
})
