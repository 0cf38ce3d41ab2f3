import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'
import { startEmulator } from '../helpers/emulator.js'
import { api, helloBody, versionsPath } from './helpers.js'

/** workerd processes that Miniflare spawned from this test process (`ps` itself is a child too). */
function childPids(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], {
    encoding: 'utf8',
  })
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, comm]) => comm === 'workerd')
    .map(([pid]) => Number(pid))
}

const isOurs = (r: string) =>
  r === 'TCPServerWrap' || r === 'TCPSocketWrap' || r === 'ProcessWrap' || r === 'Timeout'

describe('lifecycle', () => {
  it('listens on 127.0.0.1 only', async () => {
    const emu = await startEmulator({ preview: false })
    try {
      expect(emu.url).toMatch(/^https?:\/\/127\.0\.0\.1:\d+\/client\/v4$/)
      const port = new URL(emu.url).port
      const external = Object.values(networkInterfaces())
        .flat()
        .find((i) => i?.family === 'IPv4' && !i.internal)
      // Same port on a non-loopback address: nothing must answer there.
      if (external)
        await expect(fetch(`http://${external.address}:${port}/client/v4`)).rejects.toThrow()
    } finally {
      await emu.close()
    }
  })

  it('bounds running workerd instances and restarts an evicted version on demand', async () => {
    const emu = await startEmulator({ maxRunning: 2, autoCreateWorkers: true })
    try {
      const ids: string[] = []
      for (const greeting of ['one', 'two', 'three']) {
        const { json } = await api(emu, 'POST', versionsPath(emu, 'bounded'), helloBody(greeting))
        ids.push(json.result.urls[0])
      }
      await expect.poll(() => childPids().length).toBe(2)
      // 'one' was evicted; its preview URL still works (and evicts 'two' in turn).
      expect(await (await fetch(ids[0] ?? '')).json()).toMatchObject({ greeting: 'one' })
      await expect.poll(() => childPids().length).toBe(2)
      expect(await (await fetch(ids[2] ?? '')).json()).toMatchObject({ greeting: 'three' })
    } finally {
      await emu.close()
    }
  })

  it('close() stops the server and every workerd and leaves no handles behind', async () => {
    const baseline = process.getActiveResourcesInfo().filter(isOurs).length
    const emu = await startEmulator({ autoCreateWorkers: true })
    const { json } = await api(emu, 'POST', versionsPath(emu, 'closing'), helloBody())
    expect((await fetch(json.result.urls[0])).status).toBe(200)
    expect(childPids().length).toBeGreaterThan(0)
    emu.injectFaults({ kind: 'slow', delayMs: 10 ** 9 })
    const stuck = fetch(versionsPath(emu, 'closing'), {
      headers: { authorization: `Bearer ${emu.token}` },
    }).catch(() => 'socket error')
    await expect.poll(() => emu.requests.length).toBe(3)

    await emu.close()
    expect(await stuck).toBe('socket error')
    await expect(fetch(emu.url)).rejects.toThrow()
    await expect.poll(() => childPids()).toEqual([])
    // undici's idle keep-alive sockets close on their own; wait for them rather than failing on them.
    await expect
      .poll(() => process.getActiveResourcesInfo().filter(isOurs).length, { timeout: 10_000 })
      .toBeLessThanOrEqual(baseline)
  })
})

describe('CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emulator-cli-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('prints the env lines, logs requests without secrets, and stops on SIGTERM', async () => {
    const outfile = join(dir, 'cli.mjs')
    await build({
      entryPoints: [fileURLToPath(new URL('../../src/emulator/cli.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      external: ['miniflare'],
      logLevel: 'silent',
    })
    const child = spawn(
      process.execPath,
      [
        outfile,
        '--port',
        '0',
        '--token',
        'cli-secret-token',
        '--no-preview',
        '--auto-create-workers',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    )
    try {
      await expect.poll(() => /CLOUDFLARE_ACCOUNT_ID=/.test(output), { timeout: 10_000 }).toBe(true)
      const base = /CLOUDFLARE_API_BASE_URL=(\S+)/.exec(output)?.[1] ?? ''
      expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/client\/v4$/)
      expect(output).toContain('CLOUDFLARE_API_TOKEN=cli-secret-token')
      expect(output).toContain('CLOUDFLARE_ACCOUNT_ID=local-account')

      const response = await fetch(
        `${base}/accounts/local-account/workers/workers/cli-worker/versions`,
        {
          method: 'POST',
          headers: { authorization: 'Bearer cli-secret-token', 'content-type': 'application/json' },
          body: JSON.stringify(helloBody()),
        },
      )
      expect(response.status).toBe(200)
      await expect
        .poll(() =>
          /POST \/client\/v4\/accounts\/local-account\/workers\/workers\/cli-worker\/versions 200/.test(
            output,
          ),
        )
        .toBe(true)
      const logged = output.slice(output.indexOf('CLOUDFLARE_ACCOUNT_ID'))
      expect(logged).not.toContain('cli-secret-token')
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
    expect(output).toContain('SIGTERM: stopping')
  })
})
