import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'
import { tempDir } from '../helpers/fixture.js'
import { rollupUpload } from '../helpers/rollup-upload.js'
import { createWorkerOn, runWrangler } from '../helpers/wrangler.js'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// One emulator whose token sees one account, one that sees two, one that sees none.
const ACCOUNT = '0123456789abcdef0123456789abcdef'
let one: Emulator
let two: Emulator
let none: Emulator
let hidden: Emulator
beforeAll(async () => {
  ;[one, two, none, hidden] = await Promise.all([
    startEmulator({ preview: false, autoCreateWorkers: true, accountId: ACCOUNT }),
    startEmulator({
      preview: false,
      accountId: ACCOUNT,
      accounts: [
        { id: ACCOUNT, name: 'Production' },
        { id: 'fedcba9876543210fedcba9876543210', name: 'Staging' },
      ],
    }),
    startEmulator({ preview: false, accountId: ACCOUNT, accounts: [] }),
    startEmulator({
      preview: false,
      autoCreateWorkers: true,
      accountId: ACCOUNT,
      membershipsHidden: true,
    }),
  ])
})
afterAll(() => Promise.all([one.close(), two.close(), none.close(), hidden.close()]))
afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

/** Upload options with no account id anywhere: not the option, not the environment (no wrangler config in the fixture). */
const withoutAccount = { accountId: undefined }

describe('the account id, when none is configured', () => {
  it('is the only account the token can see, read with GET /accounts and /memberships before anything account-scoped', async () => {
    vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', '')
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined)
    const dir = await tempDir('account-lookup')
    await rollupUpload(one, dir, 'looked-up', withoutAccount)
    expect(one.versions('looked-up')).toHaveLength(1)
    const paths = one.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)
    expect(paths.slice(0, 2).sort()).toEqual([
      'GET /client/v4/accounts',
      'GET /client/v4/memberships',
    ])
    expect(paths.slice(2).every((p) => p.includes(`/accounts/${ACCOUNT}/`))).toBe(true)
    expect(
      log.mock.calls.some(([line]) =>
        String(line).includes(`account: ${ACCOUNT} (the only one the token can see)`),
      ),
    ).toBe(true)
  })

  it('is an error listing the accounts, names and ids, when the token sees several; nothing else is sent', async () => {
    vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', '')
    await expect(
      rollupUpload(two, await tempDir('account-two'), 'w', withoutAccount),
    ).rejects.toThrow(
      /the API token can see 2 accounts; set the `accountId` option, CLOUDFLARE_ACCOUNT_ID, or `account_id` in the wrangler config to the one to upload to:\n {2}- 0123456789abcdef0123456789abcdef {2}Production\n {2}- fedcba9876543210fedcba9876543210 {2}Staging/,
    )
    expect(two.requests.map((r) => r.path.split('?')[0]).sort()).toEqual([
      '/client/v4/accounts',
      '/client/v4/memberships',
    ])
  })

  it('comes from /accounts alone when the token may not read memberships, as wrangler does', async () => {
    vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', '')
    vi.spyOn(console, 'log').mockImplementation(() => undefined)
    await rollupUpload(
      hidden,
      await tempDir('account-hidden'),
      'hidden-memberships',
      withoutAccount,
    )
    expect(hidden.versions('hidden-memberships')).toHaveLength(1)
  })

  it('is an error naming the option when the token sees no account', async () => {
    vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', '')
    await expect(
      rollupUpload(none, await tempDir('account-none'), 'w', withoutAccount),
    ).rejects.toThrow(
      /can see no account to take it from: set the `accountId` option, CLOUDFLARE_ACCOUNT_ID/,
    )
  })

  it('is read from the same endpoints and pages as wrangler 4.164 reads it', async () => {
    vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', '')
    vi.spyOn(console, 'log').mockImplementation(() => undefined)
    // The one documented difference: the plugin asks for the largest page the API serves (`per_page=50`),
    // wrangler for its default of 20, so a token with many accounts takes fewer requests.
    const lookups = (emu: Emulator, from: number) =>
      emu.requests
        .slice(from)
        .filter((r) => !r.path.includes('/accounts/'))
        .map((r) => `${r.method} ${r.path.split('?')[0]} page=${r.query.page} ${r.status}`)
        .sort()
    // Outside the repository: wrangler caches the account it found in the nearest node_modules/.cache.
    const dir = await mkdtemp(join(tmpdir(), 'account-wrangler-'))
    await writeFile(
      join(dir, 'index.js'),
      "export default { fetch() { return new Response('ok') } }\n",
    )
    await writeFile(
      join(dir, 'wrangler.json'),
      JSON.stringify({
        name: 'account-wrangler',
        main: 'index.js',
        compatibility_date: '2025-01-01',
      }),
    )
    await createWorkerOn(one, 'account-wrangler')
    const wranglerFrom = one.requests.length
    await runWrangler(one, ['versions', 'upload'], dir, { CLOUDFLARE_ACCOUNT_ID: '' })
    const theirs = lookups(one, wranglerFrom)
    const oursFrom = one.requests.length
    await rollupUpload(one, await tempDir('account-ours'), 'account-ours', withoutAccount)
    expect(lookups(one, oursFrom)).toEqual(theirs)
    expect(
      one.requests
        .slice(oursFrom)
        .filter((r) => !r.path.includes('/accounts/'))
        .map((r) => r.query.per_page),
    ).toEqual(['50', '50'])
    expect(theirs.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual([
      'GET /client/v4/accounts',
      'GET /client/v4/memberships',
    ])
    // Both then upload to that one account.
    expect(one.versions('account-wrangler')).toHaveLength(1)
    expect(one.versions('account-ours')).toHaveLength(1)
  }, 60_000)
})
