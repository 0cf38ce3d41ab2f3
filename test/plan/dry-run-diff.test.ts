/**
 * What a dry run's plan says about its diff (`diff: true`): the target it reads the deployed Worker
 * from, resolved as an upload's (options, then the environment), or what it cannot compare and why.
 * No request: the plan only decides.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPlan, dryRunReads, type BuildPlan } from '../../src/plan/index.js'
import { resolveOptions } from '../../src/options/resolve.js'
import type { WorkersVersionOptions } from '../../src/options/types.js'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dry-run-diff-plan-'))
  await mkdir(root, { recursive: true })
})
afterAll(() => rm(root, { recursive: true, force: true }))

const ACCOUNT = 'a'.repeat(32)

function plan(
  options: WorkersVersionOptions,
  env: NodeJS.ProcessEnv = {},
  watch = false,
): Promise<BuildPlan> {
  return createPlan(
    resolveOptions({ worker: 'w', upload: false, wrangler: false, ...options }),
    root,
    { bundler: 'rollup', root, watch },
    env,
  )
}

function notCompared(planned: BuildPlan): string | undefined {
  return !planned.upload && planned.diff && 'notCompared' in planned.diff
    ? planned.diff.notCompared
    : undefined
}

describe("a dry run's diff", () => {
  it('reads with the credentials and account of the environment, as an upload resolves them, and stays a dry run; not asked for, reads nothing', async () => {
    const planned = await plan(
      { diff: true, promote: true },
      { CLOUDFLARE_API_TOKEN: 'env-token-0123456789', CLOUDFLARE_ACCOUNT_ID: ACCOUNT },
    )
    expect(planned.upload).toBe(false)
    expect(dryRunReads(planned)?.target).toEqual({
      worker: 'w',
      accountId: ACCOUNT,
      baseUrl: 'https://api.cloudflare.com/client/v4',
      credentials: { apiToken: 'env-token-0123456789' },
    })
    // What a promote to 100% would apply is what the diff compares.
    expect(dryRunReads(planned)?.promote).toBe(100)
    // Not asked for (the default): no target, whatever the environment holds.
    const offline = await plan({}, { CLOUDFLARE_API_TOKEN: 'env-token-0123456789' })
    expect(offline.upload).toBe(false)
    expect(dryRunReads(offline)).toBeUndefined()
    expect(!offline.upload && offline.diff).toBeUndefined()
  })

  it('names each missing piece: the Worker and the credential', async () => {
    const planned = await plan({ diff: true, worker: undefined })
    expect(notCompared(planned)).toBe(
      'the deployed Worker (bindings, compatibility, modules, migrations, triggers): not read, missing the Worker: set the `worker` option (its name or id) or `name` in the wrangler config; and a credential: set the `apiToken` option or CLOUDFLARE_API_TOKEN (or `apiKey` + `email`, CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL)',
    )
  })

  it('a malformed account id is the reason, naming its variable; a credential pasted as the name is never quoted', async () => {
    const badAccount = await plan(
      { diff: true },
      { CLOUDFLARE_API_TOKEN: 'env-token-0123456789', CLOUDFLARE_ACCOUNT_ID: 'acme/prod' },
    )
    expect(notCompared(badAccount)).toContain('CLOUDFLARE_ACCOUNT_ID')
    const token = 'PASTED-token-0123456789abcdef'
    const badName = await plan({ diff: true, worker: token }, { CLOUDFLARE_API_TOKEN: token })
    expect(notCompared(badName)).toMatch(/not read: /)
    expect(notCompared(badName)).not.toContain(token)
  })

  it('a watch build, a Preview and a user Worker in a dispatch namespace read nothing, and say why', async () => {
    const env = { CLOUDFLARE_API_TOKEN: 'env-token-0123456789', CLOUDFLARE_ACCOUNT_ID: ACCOUNT }
    expect(notCompared(await plan({ diff: true }, env, true))).toMatch(
      /not read: a watch build sends no request$/,
    )
    expect(notCompared(await plan({ diff: true, preview: 'pr-1' }, env))).toBe(
      'a Preview replaces no deployed version: it has no diff',
    )
    expect(notCompared(await plan({ diff: true, dispatchNamespace: 'users' }, env))).toMatch(
      /dispatch namespace .*: it has no diff$/,
    )
  })
})
