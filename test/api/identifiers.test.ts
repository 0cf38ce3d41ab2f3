import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createVersion } from '../../src/api/create-version.js'
import { checkAccountId, checkWorkerName } from '../../src/api/identifiers.js'
import { apiUrl, parseBaseUrl } from '../../src/api/url.js'
import { WorkersVersionError } from '../../src/core/errors.js'

function thrown(fn: () => unknown): WorkersVersionError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(WorkersVersionError)
    return error as WorkersVersionError
  }
  throw new Error('expected a WorkersVersionError')
}

describe('checkWorkerName', () => {
  it.each(['my-worker', 'a', 'worker_2', '0123456789abcdef0123456789abcdef', 'x'.repeat(63)])(
    'accepts %s',
    (name) => {
      expect(checkWorkerName(name)).toBe(name)
    },
  )

  it.each([
    ['', /is empty/],
    ['.', /a path segment/],
    ['..', /a path segment/],
    ['a/b', /contains a slash/],
    ['a\\b', /contains a slash/],
    [' my-worker', /leading or trailing spaces/],
    ['x'.repeat(64), /64 characters long \(at most 63\)/],
    ['-leading', /not a Worker name/],
    ['my worker', /not a Worker name/],
    ['my.worker', /not a Worker name/],
    ['My-Worker', /Did you mean "my-worker"\?/],
  ])('refuses %j, naming the option', (name, reason) => {
    const error = thrown(() => checkWorkerName(name, '`worker` (from wrangler.jsonc `name`)'))
    expect(error.code).toBe('INVALID_WORKER_NAME')
    expect(error.message).toMatch(reason)
    expect(error.message).toContain('`worker` (from wrangler.jsonc `name`)')
  })

  it('refuses a value that is not a string', () => {
    expect(thrown(() => checkWorkerName(42)).message).toMatch(/must be a string, got number/)
  })
})

describe('checkAccountId', () => {
  it.each(['023e105f4ecef8ad9ca31a8372d0c353', 'local-account'])('accepts %s', (id) => {
    expect(checkAccountId(id)).toBe(id)
  })

  it.each(['', '..', '.', 'a/b', 'acc id', 'x'.repeat(65)])(
    'refuses %j with what an account id looks like',
    (id) => {
      const error = thrown(() => checkAccountId(id))
      expect(error.code).toBe('INVALID_ACCOUNT_ID')
      expect(error.message).toMatch(/32 hex characters/)
      expect(error.message).toContain('CLOUDFLARE_ACCOUNT_ID')
    },
  )
})

describe('parseBaseUrl', () => {
  it('returns the parsed URL of a good base', () => {
    expect(parseBaseUrl('https://api.cloudflare.com/client/v4').pathname).toBe('/client/v4')
    expect(parseBaseUrl('  http://127.0.0.1:8787/client/v4 ').port).toBe('8787')
  })

  it('says that a URL without a scheme has none, instead of reporting "localhost://"', () => {
    const error = thrown(() => parseBaseUrl('localhost:8787', '`apiBaseUrl`'))
    expect(error.code).toBe('INVALID_API_URL')
    expect(error.message).toMatch(/`apiBaseUrl` "localhost:8787" has no scheme/)
    expect(error.message).toContain('http://localhost:8787')
    expect(error.message).not.toContain('localhost://')
    expect(thrown(() => parseBaseUrl('api.cloudflare.com/client/v4')).message).toMatch(
      /has no scheme/,
    )
  })

  it('refuses an empty base URL rather than falling back to the default', () => {
    for (const empty of ['', '   ']) {
      const error = thrown(() => parseBaseUrl(empty, 'CLOUDFLARE_API_BASE_URL'))
      expect(error.code).toBe('INVALID_API_URL')
      expect(error.message).toMatch(/CLOUDFLARE_API_BASE_URL is empty/)
    }
  })

  it('refuses a query or fragment, which would be dropped silently', () => {
    expect(thrown(() => parseBaseUrl('https://api.cloudflare.com/client/v4?x=1')).message).toMatch(
      /query or fragment/,
    )
  })

  it('refuses clear-text http to anything but loopback', () => {
    expect(thrown(() => parseBaseUrl('http://api.cloudflare.com/client/v4')).code).toBe(
      'INSECURE_API_URL',
    )
  })
})

describe('apiUrl', () => {
  it('refuses a path that URL parsing would change ("..")', () => {
    expect(
      apiUrl('https://api.example/client/v4', '/accounts/a/workers/workers/w/versions').pathname,
    ).toBe('/client/v4/accounts/a/workers/workers/w/versions')
    expect(
      thrown(() =>
        apiUrl('https://api.example/client/v4', '/accounts/a/workers/workers/../versions'),
      ).code,
    ).toBe('INVALID_IDENTIFIER')
  })
})

describe('createVersion checks identifiers before any request', () => {
  let server: Server
  let url: string
  const paths: string[] = []
  beforeEach(async () => {
    paths.length = 0
    server = createServer((req, res) => {
      paths.push(req.url ?? '')
      res.writeHead(500).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`
  })
  afterEach(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  const body = {
    main_module: 'index.js',
    modules: [
      { name: 'index.js', content_type: 'application/javascript+module', content_base64: '' },
    ],
  }

  it.each([
    ['worker', '..', 'INVALID_WORKER_NAME'],
    ['worker', '.', 'INVALID_WORKER_NAME'],
    ['worker', 'a/b', 'INVALID_WORKER_NAME'],
    ['accountId', '..', 'INVALID_ACCOUNT_ID'],
  ] as const)('%s %j is refused with %s and nothing is sent', async (field, value, code) => {
    const options = {
      baseUrl: url,
      credentials: { apiToken: 'token-1234' },
      accountId: 'acc',
      worker: 'w',
      body,
      [field]: value,
    }
    await expect(createVersion(options)).rejects.toMatchObject({ code })
    expect(paths).toEqual([])
  })
})
