import dns from 'node:dns'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { describe, expect, it, vi } from 'vitest'
import { getWorker } from '../../src/api/workers.js'
import { tempDir } from '../helpers/fixture.js'
import { posts, useEmulator } from '../helpers/emulator.js'
import {
  consoleOutput,
  expectNoCredentials,
  proxyCredentials,
  useProxies,
} from '../helpers/proxy.js'
import { rollupUpload } from '../helpers/rollup-upload.js'

// Behind a mandatory proxy the plugin must go through it, as wrangler does: undici's
// EnvHttpProxyAgent with HTTPS_PROXY / HTTP_PROXY / ALL_PROXY and NO_PROXY. The emulator's base
// URL is http://127.0.0.1, so the proxy sees plain requests with absolute URIs (https-proxy.test.ts
// covers tunnels).
const emulator = useEmulator({ autoCreateWorkers: true, preview: false, tls: false })
const PASSWORD = 'pr0xy-pa55word-c4n4ry'
const credentials = proxyCredentials(PASSWORD)
const startProxy = useProxies()

async function rollupBuild(worker: string, extra: Record<string, unknown> = {}) {
  return rollupUpload(emulator(), await tempDir('proxy'), worker, extra)
}

const versionsPath = (worker: string) =>
  `${emulator().url}/accounts/${emulator().accountId}/workers/workers/${worker}/versions`

describe('proxies from the environment', () => {
  it('HTTP_PROXY: every call of an upload goes through the proxy, and the upload succeeds', async () => {
    const proxy = await startProxy({ variable: 'HTTP_PROXY' })
    await rollupBuild('via-proxy', { promote: true })
    expect(emulator().versions('via-proxy')).toHaveLength(1)
    const lines = proxy.calls.map((c) => c.line)
    expect(lines).toContain(`POST ${versionsPath('via-proxy')}`)
    expect(
      lines.some((line) =>
        line.startsWith(
          `POST ${emulator().url}/accounts/${emulator().accountId}/workers/scripts/via-proxy/deployments`,
        ),
      ),
    ).toBe(true)
    // Every request the emulator answered came through the proxy: none went around it.
    const sent = emulator().requests.filter((r) => r.path.includes('/via-proxy'))
    expect(sent.length).toBeGreaterThan(2)
    expect(sent.length).toBe(proxy.calls.filter((c) => c.line.includes('/via-proxy')).length)
  })

  it('ALL_PROXY stands in when HTTP_PROXY is unset', async () => {
    const proxy = await startProxy({ variable: 'ALL_PROXY' })
    await rollupBuild('via-all-proxy')
    expect(proxy.calls.map((c) => c.line)).toContain(`POST ${versionsPath('via-all-proxy')}`)
  })

  it('NO_PROXY=127.0.0.1 bypasses it', async () => {
    const proxy = await startProxy({ variable: 'HTTP_PROXY', noProxy: '127.0.0.1' })
    await rollupBuild('bypassed')
    expect(emulator().versions('bypassed')).toHaveLength(1)
    expect(proxy.calls).toEqual([])
  })

  it('proxy credentials are sent to the proxy and never appear in output, files or errors, even when the proxy echoes them', async () => {
    const { authorization } = credentials
    const proxy = await startProxy({
      variable: 'HTTP_PROXY',
      credentials,
      requireAuthorization: authorization,
      // A hostile proxy fails the Create Version call, echoing the credentials in every form it knows.
      answer: (req, res) => {
        if (req.method !== 'POST' || !req.url?.endsWith('/versions')) return false
        const echo = `${req.headers['proxy-authorization']} alice:${PASSWORD} ${encodeURIComponent(PASSWORD)} http://alice:${PASSWORD}@127.0.0.1`
        res.writeHead(400, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({
            success: false,
            errors: [{ code: 10021, message: echo }],
            messages: [],
            result: null,
          }),
        )
        return true
      },
    })
    const output = consoleOutput()
    const error = await rollupBuild('proxy-auth').then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(Error)
    expect(proxy.calls.length).toBeGreaterThan(1)
    expect(proxy.calls.every((c) => c.authorization === authorization)).toBe(true)
    expect(posts(emulator(), 'proxy-auth')).toHaveLength(0)
    const everything = [output(), String(error), inspect(error, { depth: Infinity })].join('\n')
    expect(everything).toContain('[code 10021]')
    expect(everything).toContain('[redacted]')
    expectNoCredentials(everything, credentials)
  })

  it('with credentials, a successful upload writes none of them', async () => {
    const proxy = await startProxy({
      variable: 'HTTP_PROXY',
      credentials,
      requireAuthorization: credentials.authorization,
    })
    const output = consoleOutput()
    const outputDir = await rollupBuild('proxy-auth-ok')
    expect(emulator().versions('proxy-auth-ok')).toHaveLength(1)
    expect(proxy.calls.map((c) => c.line)).toContain(`POST ${versionsPath('proxy-auth-ok')}`)
    const files =
      (await readFile(join(outputDir, 'request.json'), 'utf8')) +
      (await readFile(join(outputDir, 'result.json'), 'utf8'))
    expectNoCredentials(output() + files, credentials)
  })
})

describe('a host name that does not resolve', () => {
  it('with no proxy set, the error says a proxy may be needed (HTTPS_PROXY)', async () => {
    // The resolver is this process's: the name fails as it would on a machine whose only way out
    // is a proxy, and no DNS query leaves the machine.
    vi.spyOn(dns, 'lookup').mockImplementation(((
      hostname: string,
      _options: unknown,
      callback: (error: Error) => void,
    ) => {
      const done = typeof _options === 'function' ? (_options as typeof callback) : callback
      process.nextTick(() =>
        done(
          Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
            code: 'ENOTFOUND',
            hostname,
          }),
        ),
      )
    }) as never)
    const context = {
      baseUrl: 'https://api.behind-a-proxy.example/client/v4',
      credentials: { apiToken: 'token-abcdef-123456' },
      accountId: 'acc',
      retries: { attempts: 1 },
    }
    const error = await getWorker(context, 'w').then(
      () => undefined,
      (e: unknown) => e as Error,
    )
    expect(error?.message).toContain('ENOTFOUND')
    expect(error?.message).toMatch(
      /api\.behind-a-proxy\.example could not be resolved: if this machine reaches the internet only through a proxy, set HTTPS_PROXY/,
    )
    expect(dns.lookup).toHaveBeenCalled()
  })
})
