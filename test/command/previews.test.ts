/**
 * Cleaning up Worker Previews against the emulator: `unplugin-workers-version previews delete NAME`,
 * `previews delete --from-event` on a closed pull request, `previews prune --older-than`, and the
 * plugin's `preview: 'auto'` on a closed pull request, which deletes instead of deploying. Previews
 * are made by real Rollup builds run in workerd; the command runs as the built CLI in a child process.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { deletePreviewNamed, listPreviews } from '../../src/api/previews.js'
import { emulatorEnv, runCli } from '../helpers/deploy-command.js'
import { previewUrlOn, useEmulator } from '../helpers/emulator.js'
import { tempDir } from '../helpers/fixture.js'
import { buildWorkerProject, useNoCiEnvironment } from '../helpers/preview.js'

const emulator = useEmulator()

useNoCiEnvironment()

/** A project whose Worker answers its marker, built by Rollup with the plugin under `extra` (a Preview, a promote …). */
const build = (worker: string, marker: string, extra: Record<string, unknown>, dir?: string) =>
  buildWorkerProject(
    emulator(),
    {
      worker,
      dir,
      source: `export default { fetch: () => Response.json({ build: ${JSON.stringify(marker)} }) }\n`,
      wrangler: { compatibility_date: '2025-01-01', previews: { vars: { STAGE: 'preview' } } },
    },
    { gitAnnotations: false, ...extra },
  )

const previewNames = (worker: string) =>
  emulator()
    .previews(worker)
    .map((p) => p.name)
const stableUrl = (worker: string, slug: string) =>
  previewUrlOn(emulator(), 'preview', slug, worker)
const requestsSince = (start: number) =>
  emulator()
    .requests.slice(start)
    .map((r) => `${r.method} ${r.path}`)

/** A GitHub `pull_request` event file for pull request #`number`, from `headRepo` (another id than the base's is a fork). */
async function pullRequestEvent(
  action: string,
  number: number,
  branch: string,
  fork: boolean,
): Promise<Record<string, string>> {
  const dir = await tempDir('gh-closed')
  const path = join(dir, 'event.json')
  const repo = (id: number, fullName: string) => ({ id, full_name: fullName })
  await writeFile(
    path,
    JSON.stringify({
      action,
      number,
      pull_request: {
        number,
        merged: action === 'closed',
        head: {
          ref: branch,
          sha: 'd'.repeat(40),
          repo: fork ? repo(2, 'mallory/app') : repo(1, 'acme/app'),
        },
        base: { ref: 'main', repo: repo(1, 'acme/app') },
      },
    }),
  )
  return {
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: path,
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_HEAD_REF: branch,
    GITHUB_REF: `refs/pull/${number}/merge`,
    GITHUB_REF_NAME: `${number}/merge`,
  }
}

describe('previews delete NAME', () => {
  it('deletes exactly that Preview with its deployments; its URLs stop answering and the other Preview keeps serving', async () => {
    const root = await build('pl-delete', 'a', { preview: 'feature/a' })
    await build('pl-delete', 'b', { preview: 'feature/b' }, root)
    const [a, b] = emulator().previews('pl-delete')
    const deploymentUrlOfA = previewUrlOn(
      emulator(),
      'deployment',
      emulator().previewDeployments(a!.id)[0]!.id,
      'pl-delete',
    )
    expect(await (await fetch(stableUrl('pl-delete', a!.slug))).json()).toEqual({ build: 'a' })
    expect((await fetch(deploymentUrlOfA)).status).toBe(200)

    // The Worker's name from the project's wrangler config, as the deploy command reads it.
    const run = await runCli(['previews', 'delete', 'feature/a'], root, emulatorEnv(emulator()))
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(/deleted Preview feature\/a of pl-delete/)
    expect(previewNames('pl-delete')).toEqual(['feature/b'])
    expect(emulator().previewDeployments(a!.id)).toEqual([])
    expect((await fetch(stableUrl('pl-delete', a!.slug))).status).toBe(404)
    expect((await fetch(deploymentUrlOfA)).status).toBe(404)
    expect(await (await fetch(stableUrl('pl-delete', b!.slug))).json()).toEqual({ build: 'b' })
    expect(run.stdout + run.stderr).not.toContain(emulator().token)
  })

  it('takes --worker without a project, and refuses an unknown Preview by name with exit 1, deleting nothing', async () => {
    await build('pl-unknown', 'x', { preview: 'keep-me' })
    const elsewhere = await tempDir('previews-nowhere')
    const start = emulator().requests.length
    const run = await runCli(
      ['previews', 'delete', 'no-such-preview', '--worker', 'pl-unknown'],
      elsewhere,
      emulatorEnv(emulator()),
    )
    expect(run.code, run.stdout + run.stderr).toBe(1)
    expect(run.stderr).toContain('Worker "pl-unknown" has no Preview "no-such-preview"')
    expect(requestsSince(start).filter((r) => r.startsWith('DELETE'))).toEqual([])
    expect(previewNames('pl-unknown')).toEqual(['keep-me'])
    expect(run.stdout + run.stderr).not.toContain(emulator().token)
  })

  it('answers usage errors with exit 2 and the usage', async () => {
    const dir = await tempDir('previews-usage')
    for (const args of [
      ['previews'],
      ['previews', 'delete'],
      ['previews', 'prune'],
      ['previews', 'prune', '--older-than', '7 days'],
      ['previews', 'delete', 'x', '--dry-run'],
    ]) {
      const run = await runCli(args, dir, emulatorEnv(emulator()))
      expect(run.code, args.join(' ') + run.stderr).toBe(2)
      expect(run.stderr).toContain('Usage: npx unplugin-workers-version previews')
    }
    const help = await runCli(['previews', '--help'], dir)
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('prune --older-than')
  })
})

describe('previews delete --from-event', () => {
  it("deletes a closed same-repository pull request's branch Preview, and a closed fork's pr-<number>, nothing else", async () => {
    const root = await build('pl-event', 'branch', { preview: 'feature/login' })
    await build('pl-event', 'fork', { preview: 'pr-7' }, root)
    await build('pl-event', 'other', { preview: 'feature-other' }, root)

    const sameRepo = await runCli(
      ['previews', 'delete', '--from-event'],
      root,
      emulatorEnv(emulator(), await pullRequestEvent('closed', 5, 'feature/login', false)),
    )
    expect(sameRepo.code, sameRepo.stdout + sameRepo.stderr).toBe(0)
    expect(previewNames('pl-event')).toEqual(['pr-7', 'feature-other'])

    const fork = await runCli(
      ['previews', 'delete', '--from-event'],
      root,
      emulatorEnv(emulator(), await pullRequestEvent('closed', 7, 'feature-other', true)),
    )
    expect(fork.code, fork.stdout + fork.stderr).toBe(0)
    expect(fork.stdout).toMatch(/deleted Preview pr-7/)
    expect(previewNames('pl-event')).toEqual(['feature-other'])

    // Closing again: nothing to delete is no failure.
    const again = await runCli(
      ['previews', 'delete', '--from-event'],
      root,
      emulatorEnv(emulator(), await pullRequestEvent('closed', 7, 'feature-other', true)),
    )
    expect(again.code, again.stdout + again.stderr).toBe(0)
    expect(again.stdout).toMatch(/has no Preview pr-7; nothing to delete/)
  })

  it('refuses an event that closes no pull request before any request (not even the account lookup), deleting nothing', async () => {
    const root = await build('pl-open', 'open', { preview: 'feature/open' })
    const start = emulator().requests.length
    const { CLOUDFLARE_ACCOUNT_ID: _account, ...withoutAccount } = emulatorEnv(
      emulator(),
      await pullRequestEvent('synchronize', 9, 'feature/open', false),
    )
    const run = await runCli(['previews', 'delete', '--from-event'], root, withoutAccount)
    expect(run.code, run.stdout + run.stderr).toBe(1)
    expect(run.stderr).toMatch(/closes no pull request/)
    expect(requestsSince(start)).toEqual([])
    expect(previewNames('pl-open')).toEqual(['feature/open'])
  })

  it('never deletes another branch’s Preview that only shares the URL label', async () => {
    const root = await build('pl-slug', 'slash', { preview: 'feat/x' })
    const run = await runCli(
      ['previews', 'delete', '--from-event'],
      root,
      emulatorEnv(emulator(), await pullRequestEvent('closed', 3, 'feat-x', false)),
    )
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(/has no Preview feat-x/)
    expect(previewNames('pl-slug')).toEqual(['feat/x'])
  })
})

describe('previews prune --older-than', () => {
  it('deletes only the Previews without a deployment in the period, never the Worker or its production deployment', async () => {
    const root = await build('pl-prune', 'production', { promote: true })
    for (const name of ['old-1', 'old-2', 'recent', 'old-redeployed'])
      await build('pl-prune', name, { preview: name }, root)
    const byName = (name: string) =>
      emulator()
        .previews('pl-prune')
        .find((p) => p.name === name)!
    const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000).toISOString()
    for (const name of ['old-1', 'old-2', 'old-redeployed'])
      emulator().setPreviewCreatedOn(byName(name).id, tenDaysAgo)
    // Created long ago, deployed again now: its latest deployment is what counts.
    await build('pl-prune', 'old-redeployed again', { preview: 'old-redeployed' }, root)
    const production = emulator().deployments('pl-prune')
    expect(production).toHaveLength(1)

    const start = emulator().requests.length
    const dry = await runCli(
      ['previews', 'prune', '--older-than', '7d', '--dry-run'],
      root,
      emulatorEnv(emulator()),
    )
    expect(dry.code, dry.stdout + dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(/would delete Preview old-1/)
    expect(dry.stdout).toMatch(/would delete Preview old-2/)
    expect(dry.stdout).toMatch(/dry run: 2 of 4 Previews of pl-prune would be deleted/)
    expect(requestsSince(start).filter((r) => !r.startsWith('GET'))).toEqual([])
    expect(previewNames('pl-prune')).toHaveLength(4)

    const run = await runCli(
      ['previews', 'prune', '--older-than', '7d'],
      root,
      emulatorEnv(emulator()),
    )
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(previewNames('pl-prune')).toEqual(['recent', 'old-redeployed'])
    // Only Preview deletes were sent; the Worker, its versions and its production deployment stay.
    const deletes = requestsSince(start).filter((r) => r.startsWith('DELETE'))
    expect(deletes).toHaveLength(2)
    for (const line of deletes)
      expect(line).toMatch(/\/workers\/workers\/pl-prune\/previews\/[0-9a-f-]{36}$/)
    expect(emulator().worker('pl-prune')).toBeDefined()
    expect(emulator().deployments('pl-prune')).toEqual(production)
    expect((await fetch(`${emulator().origin}/workers/pl-prune/`)).status).toBe(200)
  })
})

describe("preview: 'auto' on a closed pull request", () => {
  it("deletes the pull request's Preview instead of deploying: no version, no deployment request, result.json says so", async () => {
    const root = await build('pl-auto', 'pr build', { preview: 'feature/auto' })
    const [preview] = emulator().previews('pl-auto')
    for (const [name, value] of Object.entries(
      await pullRequestEvent('closed', 11, 'feature/auto', false),
    ))
      vi.stubEnv(name, value)
    const start = emulator().requests.length
    await build('pl-auto', 'closing build', { preview: 'auto' }, root)

    expect(previewNames('pl-auto')).toEqual([])
    expect((await fetch(stableUrl('pl-auto', preview!.slug))).status).toBe(404)
    const sent = requestsSince(start)
    expect(sent.filter((r) => !r.startsWith('GET'))).toEqual([
      `DELETE /client/v4/accounts/${emulator().accountId}/workers/workers/pl-auto/previews/${preview!.id}`,
    ])
    expect(emulator().versions('pl-auto')).toEqual([])
    expect(emulator().deployments('pl-auto')).toEqual([])
    const result = JSON.parse(await readFile(join(root, '.workers-version/result.json'), 'utf8'))
    expect(result).toMatchObject({
      kind: 'preview-deleted',
      worker: 'pl-auto',
      previewDeleted: { id: preview!.id, name: 'feature/auto' },
    })
  })

  it('creates no Worker to find it has no Preview, and says there was none', async () => {
    for (const [name, value] of Object.entries(
      await pullRequestEvent('closed', 12, 'feature/never', false),
    ))
      vi.stubEnv(name, value)
    const start = emulator().requests.length
    const root = await build('pl-auto-none', 'closing build', { preview: 'auto' })
    expect(requestsSince(start).filter((r) => !r.startsWith('GET'))).toEqual([])
    expect(emulator().worker('pl-auto-none')).toBeUndefined()
    const result = JSON.parse(await readFile(join(root, '.workers-version/result.json'), 'utf8'))
    expect(result).toMatchObject({
      kind: 'preview-deleted',
      previewDeleted: null,
      preview: { name: 'feature/never' },
    })
  })
})

describe('the emulator’s Preview list and delete', () => {
  const api = (path: string) =>
    `${emulator().url}/accounts/${emulator().accountId}/workers/workers/${path}`
  const call = (path: string, method = 'GET') =>
    fetch(api(path), { method, headers: { authorization: `Bearer ${emulator().token}` } }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }),
    )

  it('pages the list, and answers an unknown Preview with 404 and code 10025', async () => {
    const root = await build('pl-api', 'one', { preview: 'one' })
    await build('pl-api', 'two', { preview: 'two' }, root)
    const first = await call('pl-api/previews?page=1&per_page=1')
    expect(first.body.result.map((p: { name: string }) => p.name)).toEqual(['one'])
    expect(first.body.result_info).toMatchObject({
      page: 1,
      per_page: 1,
      total_count: 2,
      total_pages: 2,
    })
    expect(
      (await call('pl-api/previews?page=2&per_page=1')).body.result.map(
        (p: { name: string }) => p.name,
      ),
    ).toEqual(['two'])
    expect((await call('pl-api/previews?per_page=101')).status).toBe(400)
    const missing = await call('pl-api/previews/nope', 'DELETE')
    expect(missing.status).toBe(404)
    expect(missing.body.errors[0].code).toBe(10025)
    expect((await call('pl-api/previews/one', 'DELETE')).status).toBe(200)
    expect((await call('pl-api/previews/one', 'DELETE')).status).toBe(404)
  })

  it('lists every Preview page by page past the 100 of one page', async () => {
    const post = (path: string, body: unknown) =>
      fetch(api(path), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${emulator().token}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      })
    expect((await post('', { name: 'pl-many' })).status).toBe(200)
    for (let i = 1; i <= 103; i++)
      expect((await post('pl-many/previews', { name: `p-${i}` })).status).toBe(200)
    const start = emulator().requests.length
    const listed = await listPreviews(
      {
        baseUrl: emulator().url,
        credentials: { apiToken: emulator().token },
        accountId: emulator().accountId,
      },
      'pl-many',
    )
    expect(listed.map((p) => p.name)).toEqual(Array.from({ length: 103 }, (_, i) => `p-${i + 1}`))
    expect(listed.every((p) => p.created_on !== undefined)).toBe(true)
    expect(
      emulator()
        .requests.slice(start)
        .map((r) => [r.query.page, r.query.per_page]),
    ).toEqual([
      ['1', '100'],
      ['2', '100'],
    ])
  })

  it('sends a delete whose answer was lost again, and takes the not-found of the resend as done', async () => {
    await build('pl-lost', 'lost', { preview: 'lost-answer' })
    const [preview] = emulator().previews('pl-lost')
    emulator().injectFaults({
      match: { method: 'DELETE', path: /\/previews\// },
      kind: 'lose-response',
    })
    const start = emulator().requests.length
    const ctx = {
      baseUrl: emulator().url,
      credentials: { apiToken: emulator().token },
      accountId: emulator().accountId,
      retries: { attempts: 3, baseDelayMs: 20, maxDelayMs: 50 },
      timeouts: { headersMs: 2_000, deadlineMs: 20_000 },
    }
    const deleted = await deletePreviewNamed(ctx, 'pl-lost', 'lost-answer', { exactName: true })
    expect(deleted).toMatchObject({ id: preview!.id, name: 'lost-answer' })
    expect(requestsSince(start).filter((r) => r.startsWith('DELETE'))).toHaveLength(2)
    expect(previewNames('pl-lost')).toEqual([])
  })
})
