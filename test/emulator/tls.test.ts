/**
 * The emulator over HTTPS: a CA made for the run signs its certificates, a client trusts it
 * through NODE_EXTRA_CA_CERTS (the file the command line prints), and nothing else trusts it: this
 * test process does not, so its connections show that the certificate is checked. Preview origins
 * (`*.localhost`) get certificates of their own; the CA can sign no other name.
 */
import { spawn, execFile } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { Agent, request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loopbackLookup } from '../../src/api/loopback-lookup.js'
import { createCertificates } from '../../src/emulator/certificates.js'
import { startEmulator, type Emulator } from '../../src/emulator/index.js'
import { helloBody, versionsPath } from './helpers.js'

const REPO = resolve(import.meta.dirname, '../..')
let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator({ tls: true, autoCreateWorkers: true })
})
afterAll(() => emu?.close())

/** A client that trusts the emulator's CA, and resolves `*.localhost` to loopback as browsers do. */
const trusting = () => new Agent({ connect: { ca: emu.tls!.ca, lookup: loopbackLookup } })

/** `node -e script` with `env`; resolves with its stdout, or its error output. */
function node(script: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolveOutput) => {
    execFile(
      process.execPath,
      ['-e', script],
      { env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) => resolveOutput(error ? `failed: ${stderr}` : stdout.trim()),
    )
  })
}

const LIST_ACCOUNTS = `fetch(process.env.URL + '/accounts', { headers: { authorization: 'Bearer ' + process.env.TOKEN } }).then((r) => console.log(r.status), (e) => { console.error(e.cause?.code ?? e.message); process.exit(1) })`

describe('the emulator over HTTPS', () => {
  it('serves https on 127.0.0.1 with its CA in a file of its own', () => {
    expect(emu.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/client\/v4$/)
    expect(emu.tls!.ca).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/)
    expect(existsSync(emu.tls!.caFile)).toBe(true)
  })

  it('a client that does not trust the CA is refused by its own certificate check', async () => {
    const error = await request(`${emu.url}/accounts`, { dispatcher: new Agent() }).then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    )
    expect(error?.code).toMatch(
      /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/,
    )
  })

  it('a Node process started with NODE_EXTRA_CA_CERTS set to the CA file trusts it; one without does not', async () => {
    const env = { URL: emu.url, TOKEN: emu.token }
    expect(await node(LIST_ACCOUNTS, { ...env, NODE_EXTRA_CA_CERTS: emu.tls!.caFile })).toBe('200')
    expect(await node(LIST_ACCOUNTS, env)).toMatch(
      /^failed: .*(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/,
    )
  })

  it('answers on localhost too, and serves a version on its https *.localhost preview origin', async () => {
    const dispatcher = trusting()
    const port = new URL(emu.origin).port
    const listed = await request(`https://localhost:${port}/client/v4/accounts`, {
      dispatcher,
      headers: { authorization: `Bearer ${emu.token}` },
    })
    await listed.body.dump()
    expect(listed.statusCode).toBe(200)

    const created = await request(versionsPath(emu, 'tls-hello'), {
      dispatcher,
      method: 'POST',
      headers: { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(helloBody('hello over tls')),
    })
    const { result } = (await created.body.json()) as { result: { urls: string[] } }
    expect(result.urls[0]).toMatch(
      new RegExp(`^https://[0-9a-f]{8}-tls-hello\\.localhost:${port}/$`),
    )
    const preview = await request(result.urls[0]!, { dispatcher })
    expect(preview.statusCode).toBe(200)
    expect(await preview.body.text()).toContain('hello over tls')
  })

  it('the CA signs for loopback names only: a certificate it made for another name is refused by its name constraints', async () => {
    const certificates = createCertificates()
    const impostor = createServer(certificates.forName('evil.example'), (_req, res) =>
      res.end('impostor'),
    )
    await new Promise<void>((resolveListen) => impostor.listen(0, '127.0.0.1', resolveListen))
    try {
      const dispatcher = new Agent({
        connect: { ca: certificates.ca, servername: 'evil.example', lookup: loopbackLookup },
      })
      const error = await request(
        `https://evil.example:${(impostor.address() as AddressInfo).port}/`,
        { dispatcher },
      ).then(
        () => undefined,
        (e: unknown) => e as Error,
      )
      expect(error).toBeInstanceOf(Error)
      expect(String(error)).not.toContain('impostor')
    } finally {
      impostor.close()
    }
  })

  it('every certificate it makes is strict DER, issued by its CA, for the names asked (200 runs: random serials included)', () => {
    for (let i = 0; i < 200; i++) {
      const certificates = createCertificates()
      const ca = new X509Certificate(certificates.ca)
      expect(ca.ca).toBe(true)
      for (const [pem, name] of [
        [certificates.server.cert, 'localhost'],
        [certificates.forName('ab12cd34-w.localhost').cert, 'ab12cd34-w.localhost'],
      ] as const) {
        const leaf = new X509Certificate(pem)
        expect(leaf.checkIssued(ca) && leaf.verify(ca.publicKey)).toBe(true)
        expect(leaf.checkHost(name)).toBe(name)
      }
      expect(new X509Certificate(certificates.server.cert).checkIP('127.0.0.1')).toBe('127.0.0.1')
    }
  })

  it('removes the CA file when it closes', async () => {
    const other = await startEmulator({ tls: true, preview: false })
    const file = other.tls!.caFile
    expect(existsSync(file)).toBe(true)
    await other.close()
    expect(existsSync(file)).toBe(false)
  })
})

describe('the command line with --tls', () => {
  it('prints the https URL, a random token and the CA file to pass as NODE_EXTRA_CA_CERTS, which a client then trusts', async () => {
    const child = spawn(
      process.execPath,
      [join(REPO, 'dist/emulator/cli.js'), '--tls', '--no-preview'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    try {
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
      const printed = await new Promise<RegExpExecArray>((resolvePrinted, reject) => {
        child.stdout.on('data', () => {
          const match =
            /CLOUDFLARE_API_BASE_URL=(https:\/\/127\.0\.0\.1:\d+\/client\/v4)\n\s+CLOUDFLARE_API_TOKEN=(\S+)\n[^]*NODE_EXTRA_CA_CERTS=(\S+)/.exec(
              output,
            )
          if (match) resolvePrinted(match)
        })
        child.on('exit', (code) =>
          reject(new Error(`exited (${code}) before printing:\n${output}`)),
        )
      })
      const [, url, token, caFile] = printed
      expect(token).toMatch(/^[A-Za-z0-9_-]{32,}$/)
      expect(
        await node(LIST_ACCOUNTS, { URL: url!, TOKEN: token!, NODE_EXTRA_CA_CERTS: caFile! }),
      ).toBe('200')
    } finally {
      child.kill('SIGTERM')
    }
  })
})
