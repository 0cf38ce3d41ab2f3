import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { WorkersVersionError } from '../../src/core/errors.js'
import { uploadFromEnv } from '../../src/options/defaults.js'
import { closestKey } from '../../src/options/issues.js'
import { parseOptions } from '../../src/options/options-schema.js'
import { resolveOptions } from '../../src/options/resolve.js'
import { createPlan } from '../../src/plan/index.js'

function messageOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(WorkersVersionError)
    return (error as Error).message
  }
  throw new Error('expected an error')
}

const credentials = { CLOUDFLARE_API_TOKEN: 't', CLOUDFLARE_ACCOUNT_ID: 'a'.repeat(32) }
const root = mkdtempSync(join(tmpdir(), 'wv-friction-'))
const planOf = (options: Record<string, unknown>, env: NodeJS.ProcessEnv, mode?: string) =>
  createPlan(
    resolveOptions({ wrangler: false, ...options }),
    root,
    { bundler: 'vite', root, mode },
    env,
  )

describe('misspelt options', () => {
  it('name the option meant at the top level, without listing every option', () => {
    const message = messageOf(() => parseOptions({ promot: true }))
    expect(message).toContain(
      'promot: is not an option of workersVersion(); did you mean `promote`?',
    )
    expect(message).not.toContain('known:')
    expect(messageOf(() => parseOptions({ mainmodule: 'x' }))).toContain(
      'did you mean `mainModule`?',
    )
    // Nothing near: the known options are listed.
    expect(messageOf(() => parseOptions({ zzz: 1 }))).toContain(
      'zzz: is not an option of workersVersion() (known: worker, accountId',
    )
  })

  it('inside `version` are errors with their path and the field meant, before any build', () => {
    const message = messageOf(() =>
      resolveOptions({ version: { compatability_date: '2025-01-01' } as never }),
    )
    expect(message).toBe(
      'Invalid `version` options (1 problem):\n  - version.compatability_date: not a Create Version field the plugin knows; did you mean `compatibility_date`?',
    )
    expect(messageOf(() => resolveOptions({ assets: { drectory: 'public' } as never }))).toContain(
      'assets.drectory: is not an option; did you mean `directory`?',
    )
  })

  it('`constructor` and `__proto__` are refused like any unknown option', () => {
    expect(messageOf(() => parseOptions({ constructor: 'x' }))).toContain(
      'constructor: is not an option of workersVersion()',
    )
    expect(messageOf(() => parseOptions(JSON.parse('{"__proto__": {"upload": true}}')))).toContain(
      '__proto__: is not an option of workersVersion()',
    )
    expect(messageOf(() => resolveOptions({ network: JSON.parse('{"__proto__": {}}') }))).toContain(
      'network.__proto__: is not an option',
    )
  })

  it('finds the closest key only when it is close', () => {
    expect(closestKey('promot', ['preview', 'promote', 'preflight'])).toBe('promote')
    expect(closestKey('sourcemap', ['sourcemaps', 'rules'])).toBe('sourcemaps')
    expect(closestKey('banana', ['promote', 'preview'])).toBeUndefined()
    expect(closestKey('x', ['y'])).toBe('y')
  })
})

describe('a Worker name the API refuses', () => {
  it('is a warning in a dry run, with the name meant, and an error in an upload', async () => {
    const plan = await planOf({ worker: 'MyWorker', upload: false }, {})
    expect(plan.warnings).toContain(
      '`worker` is "MyWorker", which is not a Worker name: use lower-case letters, digits, "-" and "_", not starting with "-". Did you mean "myworker"? An upload would refuse it.',
    )
    await expect(planOf({ worker: 'MyWorker', upload: true }, credentials)).rejects.toThrow(
      '`worker` is "MyWorker", which is not a Worker name',
    )
    expect(
      (await planOf({ worker: 'my-worker', upload: false }, {})).warnings.filter((w) =>
        w.includes('Worker name'),
      ),
    ).toEqual([])
  })
})

describe('WORKERS_VERSION_UPLOAD, for a build command without --mode', () => {
  it('uploads with 1 or true, not with 0 or false; the `upload` option wins over it', async () => {
    expect(
      (await planOf({ worker: 'w' }, { ...credentials, WORKERS_VERSION_UPLOAD: '1' })).upload,
    ).toBe(true)
    expect(
      (await planOf({ worker: 'w' }, { ...credentials, WORKERS_VERSION_UPLOAD: 'TRUE' })).upload,
    ).toBe(true)
    expect(
      (await planOf({ worker: 'w' }, { ...credentials, WORKERS_VERSION_UPLOAD: '0' }, 'deploy'))
        .upload,
    ).toBe(false)
    expect(
      (
        await planOf(
          { worker: 'w', upload: false },
          { ...credentials, WORKERS_VERSION_UPLOAD: '1' },
        )
      ).upload,
    ).toBe(false)
    // Unset or empty: the mode decides, as before.
    expect(
      (await planOf({ worker: 'w' }, { ...credentials, WORKERS_VERSION_UPLOAD: '' }, 'deploy'))
        .upload,
    ).toBe(true)
    expect((await planOf({ worker: 'w' }, credentials)).upload).toBe(false)
  })

  it('refuses any other value, naming the variable', () => {
    expect(() => uploadFromEnv({ WORKERS_VERSION_UPLOAD: 'yes' })).toThrow(
      'WORKERS_VERSION_UPLOAD is "yes": set it to 1 (or true) to upload, or 0 (or false) not to',
    )
    expect(uploadFromEnv({})).toBeUndefined()
  })
})

describe('a warning about the `version` option', () => {
  it('is the option’s, never blamed on the wrangler config beside it', async () => {
    const project = mkdtempSync(join(tmpdir(), 'wv-friction-config-'))
    const { writeFileSync } = await import('node:fs')
    writeFileSync(
      join(project, 'wrangler.jsonc'),
      '{ "name": "from-config", "compatibility_date": "2025-01-01" }',
    )
    const options = resolveOptions({ version: { usage_model: 'standard' } })
    expect(options.warnings).toEqual([
      'version.usage_model: is deprecated and has no effect; remove it',
    ])
    const plan = await createPlan(options, project, { bundler: 'vite', root: project }, {})
    expect(plan.warnings.filter((w) => w.includes('usage_model'))).toEqual([])
  })
})
