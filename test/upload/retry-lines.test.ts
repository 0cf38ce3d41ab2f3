import { createServer } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { tempDir } from '../helpers/fixture.js'
import { useEmulator } from '../helpers/emulator.js'
import { rollupUpload } from '../helpers/rollup-upload.js'

const emulator = useEmulator({ preview: false, autoCreateWorkers: true })

afterEach(() => {
  vi.restoreAllMocks()
})

/** The plugin's warnings, as a CI log shows them (stdout and stderr are not terminals under vitest). */
function warnings() {
  const spy = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  return () => spy.mock.calls.map(([line]) => String(line))
}

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('retries in the build output', () => {
  it('print one line for a request that succeeded after retries, with the count', async () => {
    const lines = warnings()
    emulator().injectFaults(
      { kind: 'status', status: 503, match: { method: 'POST', path: /\/versions$/ } },
      { kind: 'status', status: 503, match: { method: 'POST', path: /\/versions$/ } },
    )
    await rollupUpload(emulator(), await tempDir('retry-lines'), 'retry-lines')
    const retried = lines().filter((line) => /attempt/.test(line))
    expect(retried).toEqual([
      expect.stringMatching(
        /Create Version for Worker "retry-lines" succeeded after 3 attempts \(the last failure: HTTP 503/,
      ),
    ])
  })

  it('show each failed attempt on one line rewritten in place on a terminal, then one line for the request', async () => {
    const lines = warnings()
    const live: string[] = []
    const saved = { err: process.stderr.isTTY, out: process.stdout.isTTY }
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((text) => {
      live.push(String(text))
      return true
    })
    emulator().injectFaults(
      { kind: 'status', status: 503, match: { method: 'POST', path: /\/versions$/ } },
      { kind: 'status', status: 503, match: { method: 'POST', path: /\/versions$/ } },
    )
    try {
      process.stderr.isTTY = true
      process.stdout.isTTY = true
      // A wide terminal: the line is cut to the width otherwise.
      Object.defineProperty(process.stderr, 'columns', { value: 400, configurable: true })
      await rollupUpload(emulator(), await tempDir('retry-tty'), 'retry-tty')
    } finally {
      write.mockRestore()
      Reflect.deleteProperty(process.stderr, 'columns')
      process.stderr.isTTY = saved.err
      process.stdout.isTTY = saved.out
    }
    const redraws = live.filter((text) => text.startsWith('\r\x1b[2K') && text.includes('attempt'))
    expect(redraws).toEqual(
      [1, 2].map((n) =>
        expect.stringMatching(new RegExp(`HTTP 503.*attempt ${n}/3 failed, waiting`)),
      ),
    )
    expect(redraws.every((text) => !text.includes('\n'))).toBe(true)
    // Cleared before the request's own line.
    expect(live).toContain('\r\x1b[2K')
    expect(lines().filter((line) => /attempt/.test(line))).toEqual([
      expect.stringMatching(/succeeded after 3 attempts/),
    ])
  })

  it('print one line per request when the API is down, not one per attempt', async () => {
    const lines = warnings()
    const port = await closedPort()
    const build = rollupUpload(emulator(), await tempDir('retry-down'), 'retry-down', {
      apiBaseUrl: `http://127.0.0.1:${port}/client/v4`,
    })
    await expect(build).rejects.toThrow(
      /failed after 3 attempts; last error: could not connect: .*ECONNREFUSED/,
    )
    const retried = lines().filter((line) => /attempt/.test(line))
    // The Worker's state is read with one request per fact, in parallel (its existence, its secrets, the
    // versions baseline, the deployment the diff compares with): at most one line for each, never one per
    // attempt. How many have printed theirs when the first failure ends the build depends on timing.
    expect(
      retried.some((line) =>
        /failed after 3 attempts: could not connect: .*ECONNREFUSED/.test(line),
      ),
    ).toBe(true)
    expect(retried.every((line) => /^\S* {2}\S.* failed after \d attempts?: /.test(line))).toBe(
      true,
    )
    expect(retried.filter((line) => /attempt \d+\/\d+/.test(line))).toEqual([])
    const requests = retried.map((line) => line.replace(/ failed after .*$/, ''))
    expect(new Set(requests).size).toBe(requests.length)
    expect(retried.length).toBeLessThanOrEqual(4)
  })
})
