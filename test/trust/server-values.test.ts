// What the server sends is checked before it is printed, written or sent back: ids have their
// formats, URLs are https (or loopback http), a version names our Worker and a deployment our
// version. A refused value is quoted clipped, escaped and redacted, and nothing is sent again.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createVersion } from '../../src/api/create-version.js'
import { createDeployment } from '../../src/api/deployments.js'
import type { VersionRequestBody } from '../../src/core/body.js'
import { type EchoReply, type EchoServer, startEchoServer } from './echo-server.js'
import { rejection } from '../helpers/rejection.js'

const TOKEN = 'canary-token-5f1d2c3b4a'
const OURS = '0e7ad3c5-93e8-4ad7-8a2b-6d4e2a1f9c10'
const OTHER = '7c1f9a2e-5b3d-4e6f-8a9b-0c1d2e3f4a5b'

let server: EchoServer
beforeEach(async () => {
  server = await startEchoServer()
})
afterEach(async () => {
  await server.close()
})

const body: VersionRequestBody = {
  main_module: 'index.js',
  modules: [
    {
      name: 'index.js',
      content_type: 'application/javascript+module',
      content_base64: Buffer.from('export default {}').toString('base64'),
    },
  ],
}

function versionReply(result: Record<string, unknown>): EchoReply {
  return () => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      success: true,
      errors: [],
      messages: [],
      result: { id: OURS, number: 1, created_on: new Date().toISOString(), ...result },
    }),
  })
}

const client = () => ({
  baseUrl: server.url,
  credentials: { apiToken: TOKEN },
  accountId: 'acc',
  retries: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 },
  timeouts: { headersMs: 2_000, deadlineMs: 10_000 },
})

const posts = () => server.requests.filter((r) => r.method === 'POST')

describe('Create Version answers', () => {
  it('an id with a line break is refused, quoted escaped, and the POST is not sent again', async () => {
    server.reply('POST', versionReply({ id: 'abc\nINJECTED_OUTPUT=pwned\nversion-id=evil' }))
    const error = await rejection(createVersion({ ...client(), worker: 'w', body }))
    expect(error.code).toBe('API_INVALID_RESPONSE')
    expect(error.message).toContain('"abc\\nINJECTED_OUTPUT=pwned\\nversion-id=evil"')
    expect(error.message).not.toMatch(/\nINJECTED_OUTPUT/)
    expect(posts()).toHaveLength(1)
  })

  it('a 3,000-character id with spaces is refused and quoted clipped', async () => {
    const id = `${'a b '.repeat(749)}${TOKEN}`
    server.reply('POST', versionReply({ id }))
    const error = await rejection(createVersion({ ...client(), worker: 'w', body }))
    expect(error.code).toBe('API_INVALID_RESPONSE')
    expect(error.message).toMatch(/the version id is "a b a b .*…", which is not a UUID/)
    expect(error.message.length).toBeLessThan(400)
    expect(posts()).toHaveLength(1)
  })

  it('a javascript: preview URL is refused, and so is plain http to another host', async () => {
    server.reply('POST', versionReply({ urls: ['javascript:alert(document.cookie)'] }))
    const first = await rejection(createVersion({ ...client(), worker: 'w', body }))
    expect(first.code).toBe('API_INVALID_RESPONSE')
    expect(first.message).toContain(
      'a preview URL of the version is "javascript:alert(document.cookie)"',
    )

    server.reply('POST', versionReply({ urls: ['http://w.example.workers.dev/'] }))
    const second = await rejection(createVersion({ ...client(), worker: 'w', body }))
    expect(second.message).toMatch(/not an https URL/)
  })

  it('a URL that quotes the token is refused with the token redacted', async () => {
    server.reply('POST', versionReply({ urls: [`javascript:${TOKEN}`] }))
    const error = await rejection(createVersion({ ...client(), worker: 'w', body }))
    expect(error.code).toBe('API_INVALID_RESPONSE')
    expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain(TOKEN)
  })

  it('a version of another Worker is not taken for ours', async () => {
    server.reply('POST', versionReply({ script_name: 'someone-else' }))
    const error = await rejection(createVersion({ ...client(), worker: 'w', body }))
    expect(error.code).toBe('API_INVALID_RESPONSE')
    expect(error.message).toMatch(/names Worker "someone-else", not ours/)
  })

  it('https and loopback http preview URLs and a UUID id are accepted', async () => {
    server.reply(
      'POST',
      versionReply({
        urls: ['https://0e7ad3c5-w.example.workers.dev', 'http://127.0.0.1:8787/preview/x/'],
        script_name: 'w',
      }),
    )
    const result = await createVersion({ ...client(), worker: 'w', body })
    expect(result.id).toBe(OURS)
    expect(result.urls).toEqual([
      'https://0e7ad3c5-w.example.workers.dev',
      'http://127.0.0.1:8787/preview/x/',
    ])
  })
})

describe('deployment answers', () => {
  const deploymentReply =
    (versions: unknown, id: unknown = '5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'): EchoReply =>
    () => ({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        success: true,
        errors: [],
        messages: [],
        result: { id, versions, strategy: 'percentage' },
      }),
    })

  it('a deployment that names another version fails, saying so', async () => {
    server.reply('POST', deploymentReply([{ version_id: OTHER, percentage: 100 }]))
    const error = await rejection(
      createDeployment(client(), 'w', { versions: [{ version_id: OURS, percentage: 100 }] }),
    )
    expect(error.code).toBe('API_INVALID_RESPONSE')
    expect(error.message).toContain(`names ${OTHER} at 100%, not ${OURS} at 100% as asked`)
  })

  it('a deployment id or version id with a line break is refused', async () => {
    server.reply('POST', deploymentReply([{ version_id: OURS, percentage: 100 }], 'd\nINJECTED=1'))
    const error = await rejection(
      createDeployment(client(), 'w', { versions: [{ version_id: OURS, percentage: 100 }] }),
    )
    expect(error.message).toContain('the deployment id is "d\\nINJECTED=1", which is not a UUID')

    server.reply('POST', deploymentReply([{ version_id: `${OURS}\nx=1`, percentage: 100 }]))
    const second = await rejection(
      createDeployment(client(), 'w', { versions: [{ version_id: OURS, percentage: 100 }] }),
    )
    expect(second.code).toBe('API_INVALID_RESPONSE')
  })

  it('the deployment asked for is accepted', async () => {
    server.reply('POST', deploymentReply([{ version_id: OURS, percentage: 100 }]))
    const made = await createDeployment(client(), 'w', {
      versions: [{ version_id: OURS, percentage: 100 }],
    })
    expect(made.versions).toEqual([{ version_id: OURS, percentage: 100 }])
  })
})
