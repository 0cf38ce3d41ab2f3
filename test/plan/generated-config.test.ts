import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { toWranglerConfig } from '../../src/build-output/to-wrangler.js'
import { createPlan } from '../../src/plan/index.js'
import { resolveOptions } from '../../src/options/resolve.js'
import { mapWranglerConfig } from '../../src/wrangler/index.js'

// What a build whose Workers' configs are generated (the Cloudflare Vite plugin, Build Output) leaves
// to those configs, decided without a build.

const credentials = { apiToken: 't', accountId: 'a'.repeat(32) }

function emptyProject(): string {
  return mkdtempSync(join(tmpdir(), 'wv-generated-'))
}

describe("a build's plan when its Workers' configs are generated", () => {
  it('needs no Worker name and warns of no missing date before the build: the generated configs settle both', async () => {
    const root = emptyProject()
    const plan = await createPlan(
      resolveOptions({ upload: true, ...credentials }),
      root,
      { bundler: 'vite', root, generatesConfig: true },
      {},
    )
    expect(plan.upload).toBe(true)
    expect(plan.warnings.filter((w) => w.includes('compatibility_date'))).toEqual([])
  })

  it('without one, still refuses the missing name and warns of the missing date', async () => {
    const root = emptyProject()
    await expect(
      createPlan(
        resolveOptions({ upload: true, ...credentials }),
        root,
        { bundler: 'vite', root },
        {},
      ),
    ).rejects.toThrow(/missing:\n {2}- the Worker/)
    const dryRun = await createPlan(
      resolveOptions({ upload: false }),
      root,
      { bundler: 'vite', root },
      {},
    )
    expect(dryRun.warnings.filter((w) => w.includes('No compatibility_date'))).toHaveLength(1)
  })

  it("each Worker's plan takes its generated config's name, date and main module", async () => {
    const root = emptyProject()
    const configFile = join(root, 'wrangler.json')
    writeFileSync(
      configFile,
      JSON.stringify({
        name: 'generated',
        main: 'server/entry.mjs',
        compatibility_date: '2025-01-01',
        compatibility_flags: ['nodejs_compat'],
      }),
    )
    const build = { bundler: 'vite' as const, root, generatesConfig: true }
    const plan = await createPlan(
      resolveOptions({ upload: true, ...credentials }),
      root,
      build,
      {},
      { configFile, entry: true },
    )
    expect(plan.upload && plan.target.worker).toBe('generated')
    expect(plan.mainModule).toBe('server/entry.mjs')
    expect(plan.version).toMatchObject({
      compatibility_date: '2025-01-01',
      compatibility_flags: ['nodejs_compat'],
    })
    expect(plan.warnings).toEqual([])
  })
})

describe('a config whose `main` and `exports` decide', () => {
  it("reads a generated config's `main` as the main module, and never a source config's", () => {
    expect(
      mapWranglerConfig({ main: './index.js' }, '/out/wrangler.json', { generated: true }).main,
    ).toBe('index.js')
    expect(
      mapWranglerConfig({ main: './src/index.ts' }, '/project/wrangler.jsonc').main,
    ).toBeUndefined()
  })

  it('sends Durable Object and entrypoint exports as written, without a warning', () => {
    const exports = {
      Counter: { type: 'durable-object', storage: 'sqlite' },
      Api: { type: 'worker' },
    }
    const config = mapWranglerConfig({ exports }, '/project/wrangler.jsonc')
    expect(config.version.exports).toEqual(exports)
    expect(config.warnings).toEqual([])
  })

  it('an environment inherits the top-level exports, as in wrangler', () => {
    const exports = { Counter: { type: 'durable-object', storage: 'sqlite' } }
    expect(
      mapWranglerConfig({ name: 'w', exports, env: { staging: {} } }, '/project/wrangler.jsonc', {
        env: 'staging',
      }).version.exports,
    ).toEqual(exports)
  })

  it('refuses Durable Object exports together with migrations, as wrangler does, and an export of no known type', () => {
    const both = {
      exports: { Counter: { type: 'durable-object', storage: 'sqlite' } },
      migrations: [{ tag: 'v1', new_sqlite_classes: ['Counter'] }],
    }
    expect(() => mapWranglerConfig(both, '/project/wrangler.jsonc')).toThrow(
      /exports: Durable Object exports and `migrations` cannot be set together/,
    )
    expect(() =>
      mapWranglerConfig({ exports: { X: { type: 'queue' } } }, '/project/wrangler.jsonc'),
    ).toThrow(/exports\.X: expected an object whose "type"/)
  })

  it("keeps a Build Output Worker's exports, their fields in wrangler's keys, without a warning", () => {
    const { raw, warnings } = toWranglerConfig(
      {
        name: 'bo',
        compatibilityDate: '2025-01-01',
        exports: { Old: { type: 'durable-object', state: 'renamed', renamedTo: 'NewName' } },
      },
      undefined,
    )
    expect(raw.exports).toEqual({
      Old: { type: 'durable-object', state: 'renamed', renamed_to: 'NewName' },
    })
    expect(warnings).toEqual([])
    expect(
      mapWranglerConfig(raw, '/bo/worker.config.json', { generated: true }).version.exports,
    ).toEqual(raw.exports)
  })
})
