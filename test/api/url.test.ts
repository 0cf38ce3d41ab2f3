import { describe, expect, it } from 'vitest'
import { assertSafeBaseUrl } from '../../src/api/url.js'
import { WorkersVersionError } from '../../src/core/errors.js'

describe('assertSafeBaseUrl', () => {
  it.each([
    'https://api.cloudflare.com/client/v4',
    'https://example.internal:8443/cf',
    'http://127.0.0.1:8787/client/v4',
    'http://127.1.2.3/client/v4',
    'http://localhost:3000/client/v4',
    'http://LOCALHOST./client/v4',
    'http://[::1]:9000/client/v4',
    'http://[::ffff:127.0.0.1]/client/v4',
  ])('accepts %s', (url) => {
    expect(() => assertSafeBaseUrl(url)).not.toThrow()
  })

  it.each([
    'http://api.cloudflare.com/client/v4',
    'http://10.0.0.1/client/v4',
    'http://128.0.0.1/client/v4',
    'http://localhost.evil.com/client/v4',
    'http://127.0.0.1.nip.io/client/v4',
    'http://[::2]/client/v4',
    'ftp://127.0.0.1/client/v4',
    'https://user:pass@api.cloudflare.com/client/v4',
  ])('refuses %s with INSECURE_API_URL', (url) => {
    let error: unknown
    try {
      assertSafeBaseUrl(url)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(WorkersVersionError)
    expect((error as WorkersVersionError).code).toBe('INSECURE_API_URL')
  })
})
