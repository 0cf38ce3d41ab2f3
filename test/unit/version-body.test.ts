import { describe, expect, it } from 'vitest'
import type { WorkerModule } from '../../src/core/types.js'
import { previewDeploymentBody, versionBody } from '../../src/version/body.js'
import { dryRunPlan, uploadPlan } from './plans.js'

// The one body builder: Create Version, its script-upload variant, and the Preview deployment's envelope.

const MAIN: WorkerModule = {
  name: 'index.js',
  content_type: 'application/javascript+module',
  contents: new TextEncoder().encode('export default {}'),
}
const BUILT = { mainModule: 'index.js', modules: [MAIN] }
const MIGRATION = { new_tag: 'v1', new_sqlite_classes: ['Counter'] }

describe('the version body', () => {
  it('carries the plan fields, the modules and the main module as they are', async () => {
    const plan = await dryRunPlan({
      version: {
        compatibility_date: '2025-06-01',
        bindings: [{ type: 'plain_text', name: 'GREETING', text: 'hi' }],
      },
    })
    const { payload, kept } = versionBody(plan, BUILT)
    expect(payload.mainModule).toBe('index.js')
    expect(payload.modules).toEqual([MAIN])
    expect(payload.config).toMatchObject({
      compatibility_date: '2025-06-01',
      bindings: [{ type: 'plain_text', name: 'GREETING', text: 'hi' }],
    })
    expect(kept).toEqual([])
  })

  it('keeps each current secret the build does not set with an inherit binding (Create Version)', async () => {
    const plan = await uploadPlan({
      version: { bindings: [{ type: 'secret_text', name: 'OWN', text: 'x' }] },
    })
    const { payload, kept } = versionBody(plan, BUILT, { remote: { secrets: ['OWN', 'API_KEY'] } })
    expect(kept).toEqual(['API_KEY'])
    expect(payload.config.bindings).toEqual([
      { type: 'secret_text', name: 'OWN', text: 'x' },
      { type: 'inherit', name: 'API_KEY' },
    ])
  })

  it('keeps secrets with keep_bindings instead in the script-upload variant, as wrangler deploy sends them', async () => {
    const plan = await uploadPlan({ promote: true })
    const { payload, kept } = versionBody(plan, BUILT, {
      remote: { secrets: ['API_KEY'] },
      variant: 'script',
    })
    expect(kept).toEqual(['API_KEY'])
    expect(payload.config.bindings ?? []).toEqual([])
    expect((payload.config as Record<string, unknown>).keep_bindings).toEqual([
      'secret_text',
      'secret_key',
    ])
  })

  it('sends a configured migration while it is pending, and leaves it out once the Worker carries its tag', async () => {
    const plan = await uploadPlan({ promote: true, version: { migrations: MIGRATION } })
    expect(versionBody(plan, BUILT, { remote: { secrets: [] } }).payload.config.migrations).toEqual(
      MIGRATION,
    )
    expect(
      versionBody(plan, BUILT, { remote: { secrets: [], migrationTag: 'v1' } }).payload.config
        .migrations,
    ).toBeUndefined()
  })

  it('puts git annotations under the configured ones, and the assets token in assets', async () => {
    const plan = await uploadPlan({
      version: {
        annotations: { 'workers/message': 'mine' },
        assets: { config: { html_handling: 'none' } },
      },
    })
    const { payload } = versionBody(plan, BUILT, {
      git: { 'workers/tag': 'abc1234', 'workers/message': 'from git' },
      remote: { secrets: [], assetsJwt: 'jwt' },
    })
    expect(payload.config.annotations).toEqual({
      'workers/tag': 'abc1234',
      'workers/message': 'mine',
    })
    expect(payload.config.assets).toEqual({ config: { html_handling: 'none' }, jwt: 'jwt' })
  })

  it('sends only what wrangler sends for an assets-only Worker: no code, no secrets kept, no migrations', async () => {
    const plan = await uploadPlan({
      version: { compatibility_date: '2025-06-01', limits: { cpu_ms: 50 }, migrations: MIGRATION },
    })
    const { payload, kept } = versionBody(
      plan,
      { modules: [] },
      { remote: { secrets: ['API_KEY'], assetsJwt: 'jwt' } },
    )
    expect(payload.mainModule).toBeUndefined()
    expect(kept).toEqual([])
    expect(payload.config).toEqual({ compatibility_date: '2025-06-01', assets: { jwt: 'jwt' } })
  })
})

describe('the Preview deployment body', () => {
  it('is the version body in the Previews envelope: env as a record, cache for cache_options, CI annotations under the configured ones', async () => {
    const plan = await uploadPlan({
      preview: 'feature',
      version: {
        compatibility_date: '2025-06-01',
        annotations: { 'workers/message': 'mine' },
        cache_options: { enabled: true },
      } as never,
    })
    const body = previewDeploymentBody(plan, BUILT, {
      ci: { 'workers/pull_request_number': '7', 'workers/message': 'ci' },
      remote: { secrets: ['API_KEY'] },
    })
    const fields = body.payload.config as Record<string, unknown>
    expect(body.payload.mainModule).toBe('index.js')
    expect(fields.compatibility_date).toBe('2025-06-01')
    expect(fields.annotations).toEqual({
      'workers/pull_request_number': '7',
      'workers/message': 'mine',
    })
    expect(fields.cache).toEqual({ enabled: true })
    expect(fields.env).toEqual({ API_KEY: { type: 'inherit' } })
    expect(fields).not.toHaveProperty('bindings')
    expect(fields).not.toHaveProperty('cache_options')
  })
})
