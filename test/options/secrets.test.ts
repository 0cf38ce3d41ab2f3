import { describe, expect, test } from 'vitest'
import { WorkersVersionError } from '../../src/core/errors.js'
import { REDACTION, withSecretsRedacted as redactSecrets } from '../../src/core/redact.js'
import { secretBindings } from '../../src/options/secrets.js'

describe('secretBindings', () => {
  test('inherit and fromEnv', () => {
    const env = { STRIPE_KEY: 'sk_live_123', OTHER: 'x' }
    expect(
      secretBindings({ inherit: ['SESSION_SECRET'], fromEnv: ['STRIPE_KEY'] }, env, {
        forUpload: true,
      }),
    ).toEqual([
      { type: 'inherit', name: 'SESSION_SECRET' },
      { type: 'secret_text', name: 'STRIPE_KEY', text: 'sk_live_123' },
    ])
  })

  test('nothing to do', () => {
    expect(secretBindings(undefined, {}, { forUpload: true })).toEqual([])
    expect(secretBindings({}, {}, { forUpload: true })).toEqual([])
  })

  test('a dry run uses placeholders and requires nothing', () => {
    expect(secretBindings({ fromEnv: ['STRIPE_KEY'] }, {}, { forUpload: false })).toEqual([
      { type: 'secret_text', name: 'STRIPE_KEY', text: REDACTION },
    ])
  })

  test('unset or empty variables are a MISSING_SECRET error naming them and the option', () => {
    let error: unknown
    try {
      secretBindings({ fromEnv: ['A', 'B', 'C'] }, { B: 'value-of-b', C: '' }, { forUpload: true })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(WorkersVersionError)
    expect((error as WorkersVersionError).code).toBe('MISSING_SECRET')
    expect((error as WorkersVersionError).message).toContain('"A", "C"')
    expect((error as WorkersVersionError).message).toContain('secrets.fromEnv')
    expect((error as WorkersVersionError).message).not.toContain('value-of-b')
  })

  test('inherited prototype properties of env are not values', () => {
    expect(() => secretBindings({ fromEnv: ['toString'] }, {}, { forUpload: true })).toThrow(
      /toString/,
    )
  })
})

describe('redactSecrets', () => {
  const body = {
    main_module: 'index.js',
    bindings: [
      { type: 'secret_text', name: 'A', text: 'hunter2' },
      { type: 'secret_text', name: 'B', text: REDACTION },
      {
        type: 'secret_key',
        name: 'K',
        algorithm: { name: 'HMAC' },
        format: 'raw',
        usages: ['sign'],
        key_base64: 'c2VjcmV0',
      },
      {
        type: 'secret_key',
        name: 'J',
        algorithm: { name: 'HMAC' },
        format: 'jwk',
        usages: ['sign'],
        key_jwk: { k: 'secret' },
      },
      { type: 'plain_text', name: 'P', text: 'visible' },
    ],
  }

  test('replaces secret values and keeps everything else', () => {
    const redacted = redactSecrets(body)
    expect(redacted).toEqual({
      main_module: 'index.js',
      bindings: [
        { type: 'secret_text', name: 'A', text: REDACTION },
        { type: 'secret_text', name: 'B', text: REDACTION },
        {
          type: 'secret_key',
          name: 'K',
          algorithm: { name: 'HMAC' },
          format: 'raw',
          usages: ['sign'],
          key_base64: REDACTION,
        },
        {
          type: 'secret_key',
          name: 'J',
          algorithm: { name: 'HMAC' },
          format: 'jwk',
          usages: ['sign'],
          key_jwk: REDACTION,
        },
        { type: 'plain_text', name: 'P', text: 'visible' },
      ],
    })
    expect(JSON.stringify(redacted)).not.toMatch(/hunter2|c2VjcmV0|"secret"/)
  })

  test('does not modify the original', () => {
    const copy = structuredClone(body)
    redactSecrets(body)
    expect(body).toEqual(copy)
  })

  test('bodies without bindings are returned as they are', () => {
    expect(redactSecrets({ main_module: 'a.js' })).toEqual({ main_module: 'a.js' })
    expect(redactSecrets(null)).toBeNull()
  })
})
