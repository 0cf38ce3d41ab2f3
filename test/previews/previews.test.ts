/**
 * Worker Previews against the emulator, with real Rollup builds run in workerd: a branch's pushes
 * land in one Preview, its stable URL serves the newest and each deployment's URL its own; the
 * `previews` block is the Preview's env; `preview: 'auto'` decides per branch.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { previewUrlOn, uploadOptions, useEmulator } from '../helpers/emulator.js'
import { tempDir } from '../helpers/fixture.js'
import { buildWorkerProject, clearCiEnvironment, useNoCiEnvironment } from '../helpers/preview.js'
import { rollupUpload } from '../helpers/rollup-upload.js'
import { deployViteApp } from '../helpers/vite-app.js'

const emulator = useEmulator({ autoCreateWorkers: false })

useNoCiEnvironment()

const WRANGLER = {
  compatibility_date: '2025-01-01',
  vars: { STAGE: 'production', ONLY_PRODUCTION: 'yes' },
  previews: { vars: { STAGE: 'preview', PREVIEW_ONLY: 'p' } },
}

/** A project whose Worker answers its build marker and its env's variables, built by Rollup with the plugin. */
const build = (worker: string, marker: string, extra: Record<string, unknown>, dir?: string) =>
  buildWorkerProject(
    emulator(),
    {
      worker,
      dir,
      source: `export default { fetch: (request, env) => Response.json({ build: ${JSON.stringify(marker)}, STAGE: env.STAGE ?? null, ONLY_PRODUCTION: env.ONLY_PRODUCTION ?? null, PREVIEW_ONLY: env.PREVIEW_ONLY ?? null }) }\n`,
      wrangler: WRANGLER,
    },
    extra,
  )

const api = (path: string) => `/client/v4/accounts/${emulator().accountId}/workers/workers/${path}`
const requestsSince = (start: number) =>
  emulator()
    .requests.slice(start)
    .map((r) => `${r.method} ${r.path}`)

describe('preview: true on a branch', () => {
  it('two pushes to feature/login make one Preview with two deployments; each URL serves its build; env is the previews block', async () => {
    vi.stubEnv('GITHUB_REF_NAME', 'feature/login')
    const root = await build('prev-login', 'first', { preview: true })
    await build('prev-login', 'second', { preview: true }, root)

    const previews = emulator().previews('prev-login')
    expect(previews.map((p) => [p.name, p.slug])).toEqual([['feature/login', 'feature-login']])
    const deployments = emulator().previewDeployments(previews[0]!.id)
    expect(deployments.map((d) => d.number)).toEqual([2, 1])
    // No version was created and nothing deployed to production.
    expect(emulator().versions('prev-login')).toEqual([])
    expect(emulator().deployments('prev-login')).toEqual([])

    const result = JSON.parse(await readFile(join(root, '.workers-version/result.json'), 'utf8'))
    expect(result).toMatchObject({
      kind: 'preview',
      worker: 'prev-login',
      preview: { id: previews[0]!.id, name: 'feature/login' },
      deployment: { id: deployments[0]!.id },
    })
    const [stableUrl] = result.preview.urls as string[]
    const secondUrl = (result.deployment.urls as string[])[0]!
    expect(secondUrl).toBe(previewUrlOn(emulator(), 'deployment', deployments[0]!.id, 'prev-login'))
    expect(stableUrl).toBe(previewUrlOn(emulator(), 'preview', 'feature-login', 'prev-login'))
    const firstUrl = previewUrlOn(emulator(), 'deployment', deployments[1]!.id, 'prev-login')
    expect(firstUrl).not.toBe(secondUrl)

    const env = { STAGE: 'preview', ONLY_PRODUCTION: null, PREVIEW_ONLY: 'p' }
    expect(await (await fetch(stableUrl!)).json()).toEqual({ build: 'second', ...env })
    expect(await (await fetch(secondUrl)).json()).toEqual({ build: 'second', ...env })
    expect(await (await fetch(firstUrl)).json()).toEqual({ build: 'first', ...env })

    // request.json is the body the emulator received: env as a record, no bindings array.
    const request = JSON.parse(await readFile(join(root, '.workers-version/request.json'), 'utf8'))
    expect(deployments[0]!.request).toEqual(request)
    expect(request.env).toEqual({
      STAGE: { type: 'plain_text', text: 'preview' },
      PREVIEW_ONLY: { type: 'plain_text', text: 'p' },
    })
    expect(request.bindings).toBeUndefined()
  })

  it('takes the Worker’s Preview defaults under the previews block', async () => {
    vi.stubEnv('GITHUB_REF_NAME', 'feature/defaults')
    await build('prev-defaults', 'one', { preview: 'defaults-first', createWorker: true })
    emulator().setPreviewDefaults('prev-defaults', {
      STAGE: { type: 'plain_text', text: 'default' },
      ONLY_PRODUCTION: { type: 'plain_text', text: 'from defaults' },
    })
    const root = await build('prev-defaults', 'two', { preview: 'defaults-first' })
    const result = JSON.parse(await readFile(join(root, '.workers-version/result.json'), 'utf8'))
    expect(await (await fetch(result.deployment.urls[0])).json()).toEqual({
      build: 'two',
      STAGE: 'preview',
      ONLY_PRODUCTION: 'from defaults',
      PREVIEW_ONLY: 'p',
    })
  })
})

describe('secrets of a Preview', () => {
  it('sets a fromEnv secret, and the next push keeps it from the previous deployment', async () => {
    vi.stubEnv('GITHUB_REF_NAME', 'feature/secret')
    vi.stubEnv('PREVIEW_API_KEY', 'canary-preview-secret')
    const root = await build('prev-secret', 'one', {
      preview: true,
      secrets: { fromEnv: ['PREVIEW_API_KEY'], inherit: ['NEVER_SET'] },
    })
    const request = await readFile(join(root, '.workers-version/request.json'), 'utf8')
    expect(request).not.toContain('canary-preview-secret')
    expect(JSON.parse(request).env.NEVER_SET).toBeUndefined()
    await build('prev-secret', 'two', { preview: true }, root)
    const [preview] = emulator().previews('prev-secret')
    const [latest] = emulator().previewDeployments(preview!.id)
    expect(latest!.request.env).toMatchObject({ PREVIEW_API_KEY: { type: 'inherit' } })
    expect(latest!.env.PREVIEW_API_KEY).toEqual({
      type: 'secret_text',
      text: 'canary-preview-secret',
    })
  })
})

describe('a dry run with preview', () => {
  it('writes the Preview deployment body as request.json and sends nothing', async () => {
    const start = emulator().requests.length
    const root = await build('prev-dry', 'dry', { preview: 'named', upload: false })
    expect(requestsSince(start)).toEqual([])
    const request = JSON.parse(await readFile(join(root, '.workers-version/request.json'), 'utf8'))
    expect(request).toMatchObject({
      main_module: 'index.js',
      compatibility_date: '2025-01-01',
      env: { STAGE: { type: 'plain_text', text: 'preview' } },
    })
    expect(request.bindings).toBeUndefined()
  })
})

describe("preview: 'auto'", () => {
  it('promotes a version on the production branch, with no Preview request', async () => {
    vi.stubEnv('GITHUB_REF_NAME', 'main')
    const start = emulator().requests.length
    await build('prev-auto', 'main build', { preview: 'auto' })
    const sent = requestsSince(start)
    expect(sent.filter((line) => line.includes('/previews'))).toEqual([])
    expect(sent).toContain(`POST ${api('prev-auto/versions')}`)
    const [version] = emulator().versions('prev-auto')
    expect(emulator().deployments('prev-auto')[0]!.versions).toEqual([
      { version_id: version!.id, percentage: 100 },
    ])
  })

  it('makes a Preview on another branch, with no version or deployment request', async () => {
    vi.stubEnv('GITHUB_REF_NAME', 'fix-typo')
    const start = emulator().requests.length
    await build('prev-auto-branch', 'branch build', { preview: 'auto' })
    const sent = requestsSince(start)
    expect(
      sent.filter(
        (line) =>
          /\/versions|\/deployments$|\/scripts\//.test(line) && !line.includes('/previews/'),
      ),
    ).toEqual([])
    expect(sent).toContain(`POST ${api('prev-auto-branch/previews')}`)
    expect(
      emulator()
        .previews('prev-auto-branch')
        .map((p) => p.name),
    ).toEqual(['fix-typo'])
    expect(emulator().versions('prev-auto-branch')).toEqual([])
  })

  it('runs preflight before a Preview when asked, and sends nothing when the Worker fails to start', async () => {
    vi.stubEnv('GITHUB_REF_NAME', 'broken')
    const start = emulator().requests.length
    await expect(
      buildWorkerProject(
        emulator(),
        {
          worker: 'prev-preflight',
          source: 'throw new Error("boom at startup")\nexport default {}\n',
          wrangler: { compatibility_date: '2025-01-01' },
        },
        { preview: 'auto', preflight: true },
      ),
    ).rejects.toThrow(/failed to start in workerd[\s\S]*boom at startup/)
    expect(requestsSince(start).filter((line) => line.startsWith('POST'))).toEqual([])
  })

  it('deploys from productionBranch when it is set', async () => {
    vi.stubEnv('GITHUB_REF_NAME', 'main')
    await build('prev-auto-prod', 'x', { preview: 'auto', productionBranch: 'release' })
    expect(
      emulator()
        .previews('prev-auto-prod')
        .map((p) => p.name),
    ).toEqual(['main'])
    expect(emulator().versions('prev-auto-prod')).toEqual([])
  })
})

/** A GitHub pull-request run: `pull_request_target` (the workflow holds the secrets) unless `event` says otherwise; the event file names the head's repository. */
async function githubPullRequest(
  head: { branch: string; repo: string },
  extra: { event?: string; base?: string } = {},
): Promise<void> {
  const dir = await tempDir('gh-event')
  const event = join(dir, 'event.json')
  const fork = head.repo !== 'acme/app'
  await writeFile(
    event,
    JSON.stringify({
      action: 'synchronize',
      pull_request: {
        number: 17,
        html_url: 'https://github.com/acme/app/pull/17',
        head: { ref: head.branch, sha: 'c'.repeat(40), repo: { full_name: head.repo, fork } },
        base: { ref: extra.base ?? 'main', repo: { full_name: 'acme/app' } },
      },
    }),
  )
  vi.stubEnv('GITHUB_EVENT_NAME', extra.event ?? 'pull_request_target')
  vi.stubEnv('GITHUB_EVENT_PATH', event)
  vi.stubEnv('GITHUB_REPOSITORY', 'acme/app')
  vi.stubEnv('GITHUB_HEAD_REF', head.branch)
  // pull_request_target runs on the base branch's ref.
  vi.stubEnv(
    'GITHUB_REF',
    extra.event === 'pull_request' ? 'refs/pull/17/merge' : `refs/heads/${extra.base ?? 'main'}`,
  )
  vi.stubEnv(
    'GITHUB_REF_NAME',
    extra.event === 'pull_request' ? '17/merge' : (extra.base ?? 'main'),
  )
}

function githubPush(branch: string): void {
  vi.stubEnv('GITHUB_EVENT_NAME', 'push')
  vi.stubEnv('GITHUB_REF', `refs/heads/${branch}`)
  vi.stubEnv('GITHUB_REF_NAME', branch)
}

describe('production only from a push of the production branch', () => {
  it("refuses a fork's pull request opened from its own main under preview: 'auto', and sends nothing", async () => {
    await githubPullRequest({ branch: 'main', repo: 'mallory/app' })
    const start = emulator().requests.length
    await expect(build('prev-fork-main', 'fork code', { preview: 'auto' })).rejects.toThrow(
      /pull request #17, which comes from a fork: its code would run with the Worker's Preview bindings and secrets/,
    )
    expect(requestsSince(start)).toEqual([])
    expect(emulator().versions('prev-fork-main')).toEqual([])
    expect(emulator().deployments('prev-fork-main')).toEqual([])
  })

  it('makes a Preview of a same-repository pull request from main into release, and deploys nothing', async () => {
    await githubPullRequest(
      { branch: 'main', repo: 'acme/app' },
      { event: 'pull_request', base: 'release' },
    )
    await build('prev-pr-main', 'pr code', { preview: 'auto' })
    expect(
      emulator()
        .previews('prev-pr-main')
        .map((p) => p.name),
    ).toEqual(['main'])
    expect(emulator().versions('prev-pr-main')).toEqual([])
    expect(emulator().deployments('prev-pr-main')).toEqual([])
  })

  it('refuses the push of a tag named main, and sends nothing', async () => {
    vi.stubEnv('GITHUB_EVENT_NAME', 'push')
    vi.stubEnv('GITHUB_REF', 'refs/tags/main')
    vi.stubEnv('GITHUB_REF_TYPE', 'tag')
    vi.stubEnv('GITHUB_REF_NAME', 'main')
    const start = emulator().requests.length
    await expect(build('prev-tag-main', 'tag code', { preview: 'auto' })).rejects.toThrow(
      /this build is of tag "main" \(GITHUB_REF\), which is no branch; nothing was sent/,
    )
    expect(requestsSince(start)).toEqual([])
    expect(emulator().versions('prev-tag-main')).toEqual([])
  })
})

describe("a fork's pull request", () => {
  it("never deploys into the upstream branch's Preview: refused, or with previewForks its own pr-<number>", async () => {
    githubPush('feature/x')
    await build('prev-fork-takeover', 'upstream', { preview: true })
    const [upstream] = emulator().previews('prev-fork-takeover')
    expect(upstream!.name).toBe('feature/x')
    const stableUrl = previewUrlOn(emulator(), 'preview', upstream!.slug, 'prev-fork-takeover')

    vi.unstubAllEnvs()
    clearCiEnvironment()
    await githubPullRequest({ branch: 'feature/x', repo: 'mallory/app' })
    const start = emulator().requests.length
    await expect(build('prev-fork-takeover', 'fork', { preview: true })).rejects.toThrow(
      /comes from a fork.*not deployed unless `previewForks: true`/,
    )
    expect(requestsSince(start)).toEqual([])

    await build('prev-fork-takeover', 'fork', { preview: true, previewForks: true })
    expect(
      emulator()
        .previews('prev-fork-takeover')
        .map((p) => p.name),
    ).toEqual(['feature/x', 'pr-17'])
    expect(emulator().previewDeployments(upstream!.id)).toHaveLength(1)
    expect(await (await fetch(stableUrl)).json()).toMatchObject({ build: 'upstream' })
    const [fork] = emulator().previews('prev-fork-takeover').slice(1)
    expect(
      await (
        await fetch(previewUrlOn(emulator(), 'preview', fork!.slug, 'prev-fork-takeover'))
      ).json(),
    ).toMatchObject({ build: 'fork' })
  })
})

describe('a Preview create whose name is taken', () => {
  /** The lookup of `name` answers "not found", as it did just before another build created it. */
  const lookupMisses = (name: string) =>
    emulator().injectFaults({
      match: { method: 'GET', path: new RegExp(`/previews/${name}$`) },
      kind: 'status',
      status: 404,
      body: {
        success: false,
        errors: [{ code: 10025, message: `Preview '${name}' not found` }],
        messages: [],
        result: null,
      },
    })

  it('runs the name check on the Preview it reads: feat-x never deploys into feat/x', async () => {
    githubPush('feat/x')
    await build('prev-race', 'feat/x build', { preview: true })
    const [taken] = emulator().previews('prev-race')

    githubPush('feat-x')
    lookupMisses('feat-x')
    const start = emulator().requests.length
    await expect(build('prev-race', 'feat-x build', { preview: true })).rejects.toThrow(
      /branch "feat-x" and the existing Preview "feat\/x" share the URL label "feat-x"/,
    )
    const sent = requestsSince(start)
    expect(sent).toContain(`POST ${api('prev-race/previews')}`)
    expect(sent.filter((line) => line.includes('/deployments'))).toEqual([])
    const create = emulator()
      .requests.slice(start)
      .find((r) => r.method === 'POST' && r.path === api('prev-race/previews'))
    expect(create?.status).toBe(409)
    expect(emulator().previewDeployments(taken!.id)).toHaveLength(1)
    expect(
      emulator()
        .previews('prev-race')
        .map((p) => p.name),
    ).toEqual(['feat/x'])
  })

  it('reads the Preview of that very name after code 100338, and deploys into it', async () => {
    githubPush('feature/parallel')
    await build('prev-parallel', 'first', { preview: true })
    const [preview] = emulator().previews('prev-parallel')
    lookupMisses('feature%2Fparallel')
    // Whatever the status, the code says the name is taken.
    emulator().injectFaults({
      match: { method: 'POST', path: /\/previews$/ },
      kind: 'status',
      status: 400,
      body: {
        success: false,
        errors: [{ code: 100338, message: 'A Preview with this name already exists' }],
        messages: [],
        result: null,
      },
    })
    await build('prev-parallel', 'second', { preview: true })
    expect(emulator().previews('prev-parallel')).toHaveLength(1)
    const deployments = emulator().previewDeployments(preview!.id)
    expect(deployments).toHaveLength(2)
    // Read as an existing Preview: its latest deployment was asked for (secrets, migration tag).
    expect(
      emulator().requests.some(
        (r) =>
          r.method === 'GET' &&
          r.path === api(`prev-parallel/previews/${preview!.id}/deployments/latest`),
      ),
    ).toBe(true)
  })
})

describe('Preview names with control characters', () => {
  it('refuses a line break in the option or in the CI branch, before anything is sent', async () => {
    const start = emulator().requests.length
    await expect(build('prev-newline', 'x', { preview: 'pr\n::error::x' })).rejects.toThrow(
      /`preview`: the name "pr\\n::error::x" holds a control character/,
    )
    githubPush('fix\n::error title=Injected::boom')
    await expect(build('prev-newline', 'x', { preview: 'auto' })).rejects.toThrow(
      /the branch \(GITHUB_REF_NAME\) "fix\\n::error title=Injected::boom" holds a control character/,
    )
    expect(requestsSince(start)).toEqual([])
    expect(emulator().previews('prev-newline')).toEqual([])
  })
})

describe('names', () => {
  it('refuses a branch whose slug is another branch’s Preview, naming both, and sends no deployment', async () => {
    vi.stubEnv('GITHUB_REF_NAME', 'feature/clash')
    await build('prev-clash', 'a', { preview: true })
    vi.stubEnv('GITHUB_REF_NAME', 'feature-clash')
    const start = emulator().requests.length
    await expect(build('prev-clash', 'b', { preview: true })).rejects.toThrow(
      /branch "feature-clash" and the existing Preview "feature\/clash" share the URL label "feature-clash"/,
    )
    expect(requestsSince(start).filter((line) => line.startsWith('POST'))).toEqual([])
  })

  it('refuses preview with promote, and a name with no letter or digit, naming the option', async () => {
    await expect(build('prev-bad', 'x', { preview: 'x', promote: true })).rejects.toThrow(
      /`preview: "x"` deploys a Preview, which takes no traffic, so `promote` cannot be set/,
    )
    await expect(build('prev-bad', 'x', { preview: '///' })).rejects.toThrow(
      /`preview`: the name "\/\/\/" makes no usable URL label/,
    )
    await expect(build('prev-bad', 'x', { preview: 7 })).rejects.toThrow(
      /preview.*expected true, false, 'auto' or a Preview name, got 7/s,
    )
  })
})

describe('Durable Object migrations of a Preview', () => {
  it('follow the Preview’s own migration tag, not the Worker’s', async () => {
    vi.stubEnv('GITHUB_REF_NAME', 'feature/counter')
    const root = await tempDir('previews-do')
    await mkdir(join(root, 'src'), { recursive: true })
    await writeFile(
      join(root, 'src/index.js'),
      'export class Counter { fetch() { return new Response("counter") } }\nexport default { fetch: async (request, env) => env.COUNTER.get(env.COUNTER.idFromName("a")).fetch(request) }\n',
    )
    const write = (tags: string[]) =>
      writeFile(
        join(root, 'wrangler.json'),
        JSON.stringify({
          name: 'prev-do',
          compatibility_date: '2025-01-01',
          migrations: tags.map((tag, i) =>
            i === 0 ? { tag, new_sqlite_classes: ['Counter'] } : { tag, renamed_classes: [] },
          ),
          previews: { durable_objects: { bindings: [{ name: 'COUNTER', class_name: 'Counter' }] } },
        }),
      )
    const push = async () => {
      await rollupUpload(
        emulator(),
        root,
        'prev-do',
        { root, createWorker: true, preview: true, version: undefined },
        { input: join(root, 'src/index.js') },
      )
      const [preview] = emulator().previews('prev-do')
      return emulator().previewDeployments(preview!.id)[0]!
    }
    await write(['v1'])
    const first = await push()
    expect(first.request.migrations).toEqual({
      new_tag: 'v1',
      steps: [{ new_sqlite_classes: ['Counter'] }],
    })
    expect(
      await (await fetch(previewUrlOn(emulator(), 'deployment', first.id, 'prev-do'))).text(),
    ).toBe('counter')
    const second = await push()
    expect(second.request.migrations).toBeUndefined()
    await write(['v1', 'v2'])
    const third = await push()
    expect(third.request.migrations).toEqual({
      old_tag: 'v1',
      new_tag: 'v2',
      steps: [{ renamed_classes: [] }],
    })
    expect(third.migration_tag).toBe('v2')
    expect(emulator().worker('prev-do')?.migration_tag).toBeUndefined()
  })
})

describe('with @cloudflare/vite-plugin', () => {
  it("reads the previews block from the Cloudflare plugin's generated config", async () => {
    vi.stubEnv('GITHUB_REF_NAME', 'feature/vite')
    const root = await tempDir('previews-vite')
    await mkdir(join(root, 'src'), { recursive: true })
    await writeFile(
      join(root, 'src/index.js'),
      'export default { fetch: (request, env) => Response.json({ STAGE: env.STAGE ?? null }) }\n',
    )
    await writeFile(
      join(root, 'wrangler.json'),
      JSON.stringify({ name: 'prev-vite', main: './src/index.js', ...WRANGLER }),
    )
    const {
      version: _version,
      worker: _worker,
      ...options
    } = uploadOptions(emulator(), 'prev-vite', { createWorker: true, preview: true })
    await deployViteApp(root, {}, options)
    const [preview] = emulator().previews('prev-vite')
    const [deployment] = emulator().previewDeployments(preview!.id)
    expect(deployment!.request.env).toEqual({
      STAGE: { type: 'plain_text', text: 'preview' },
      PREVIEW_ONLY: { type: 'plain_text', text: 'p' },
    })
    expect(
      await (await fetch(previewUrlOn(emulator(), 'preview', preview!.slug, 'prev-vite'))).json(),
    ).toEqual({ STAGE: 'preview' })
  })
})
