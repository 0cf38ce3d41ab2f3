/**
 * What CI readers get from a Preview build: the pull-request annotations from GitHub's event file,
 * step outputs, one job-summary table per Worker, and nothing a hostile server can add a line to.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Redactor } from '../../src/core/redact.js'
import { summaryMarkdown } from '../../src/report/step-summary.js'
import rollupPlugin from '../../src/rollup.js'
import { previewUrlOn, uploadOptions, useEmulator } from '../helpers/emulator.js'
import { tempDir } from '../helpers/fixture.js'

const emulator = useEmulator()
const CI_VARIABLES = [
  ...[
    'WORKERS_CI_BRANCH',
    'WORKERS_CI_COMMIT_SHA',
    'GITHUB_HEAD_REF',
    'GITHUB_REF_NAME',
    'GITHUB_REF',
    'GITHUB_REF_TYPE',
    'GITHUB_EVENT_NAME',
    'GITHUB_SHA',
    'GITHUB_EVENT_PATH',
    'GITHUB_REPOSITORY',
  ],
  ...[
    'GITHUB_SERVER_URL',
    'GITHUB_OUTPUT',
    'GITHUB_STEP_SUMMARY',
    'CI_COMMIT_REF_NAME',
    'CI_COMMIT_SHA',
    'CI_PROJECT_URL',
    'CI_MERGE_REQUEST_IID',
    'CI_COMMIT_TAG',
  ],
]
const HEAD = '0123456789abcdef0123456789abcdef01234567'

let ci: string
beforeEach(async () => {
  for (const name of CI_VARIABLES) vi.stubEnv(name, '')
  ci = await tempDir('gh')
  const event = join(ci, 'event.json')
  // A pull request from a branch of the repository itself.
  const repo = { full_name: 'acme/app' }
  await writeFile(
    event,
    JSON.stringify({
      pull_request: {
        number: 17,
        html_url: 'https://github.com/acme/app/pull/17',
        head: { sha: HEAD, repo },
        base: { repo },
      },
    }),
  )
  vi.stubEnv('GITHUB_EVENT_PATH', event)
  vi.stubEnv('GITHUB_HEAD_REF', 'feature/report')
  vi.stubEnv('GITHUB_SHA', 'f'.repeat(40))
  vi.stubEnv('GITHUB_REPOSITORY', 'acme/app')
  vi.stubEnv('GITHUB_OUTPUT', join(ci, 'output'))
  vi.stubEnv('GITHUB_STEP_SUMMARY', join(ci, 'summary.md'))
})
afterEach(() => {
  vi.unstubAllEnvs()
  emulator().clearFaults()
})

async function previewBuild(worker: string): Promise<string> {
  const root = await tempDir('preview-report')
  await mkdir(join(root, 'src'), { recursive: true })
  await writeFile(
    join(root, 'src/index.js'),
    'export default { fetch: () => new Response("ok") }\n',
  )
  const bundle = await rollup({
    input: join(root, 'src/index.js'),
    logLevel: 'silent',
    plugins: [
      rollupPlugin(
        uploadOptions(emulator(), worker, {
          root,
          wrangler: false,
          preview: true,
          createWorker: true,
        }) as never,
      ),
    ],
  })
  try {
    await bundle.write({ dir: join(root, 'dist'), format: 'es' })
  } finally {
    await bundle.close()
  }
  return root
}

/**
 * The job summary as a markdown renderer sees it: a `### ` heading starts a Worker, a table is a
 * header row, a `---` delimiter row and body rows, each split at unescaped `|`, with backslash
 * escapes and HTML entities read back to the text they stand for.
 */
function parseSummary(
  markdown: string,
): Array<{ heading: string; tables: Array<Record<string, string>> }> {
  const sections: Array<{ heading: string; tables: Array<Record<string, string>> }> = []
  const lines = markdown.split('\n')
  const entities: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"' }
  const text = (c: string) =>
    c
      .trim()
      .replace(
        /\\([!-/:-@[-`{-~])|&(?:amp|lt|gt|quot);/g,
        (match, escaped?: string) => escaped ?? entities[match]!,
      )
  const cells = (line: string) =>
    line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map(text)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.startsWith('### ')) sections.push({ heading: line.slice(4), tables: [] })
    else if (line.startsWith('|') && /^\|( *-+ *\|)+$/.test(lines[i + 1] ?? '')) {
      const table: Record<string, string> = {}
      for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
        const row = cells(lines[i]!)
        expect(row).toHaveLength(2)
        table[row[0]!] = row[1]!
      }
      sections.at(-1)!.tables.push(table)
    }
  }
  return sections
}

describe('a Preview build in a GitHub pull request', () => {
  it('annotates the deployment with the pull request, writes the outputs, and one summary table per Worker', async () => {
    await previewBuild('report-one')
    await previewBuild('report-two')

    const [preview] = emulator().previews('report-one')
    const [deployment] = emulator().previewDeployments(preview!.id)
    expect(deployment!.annotations).toMatchObject({
      'workers/commit_sha': HEAD,
      'workers/pull_request_number': '17',
      'workers/pull_request_url': 'https://github.com/acme/app/pull/17',
      'workers/repository_url': 'https://github.com/acme/app',
      'workers/tag': HEAD.slice(0, 7),
    })

    const outputs = await readFile(join(ci, 'output'), 'utf8')
    expect(outputs).toContain(`preview-name=feature/report\n`)
    expect(outputs).toContain(
      `preview-url=${previewUrlOn(emulator(), 'preview', preview!.slug, 'report-one')}\n`,
    )
    expect(outputs).toContain(
      `preview-deployment-url=${previewUrlOn(emulator(), 'deployment', deployment!.id, 'report-one')}\n`,
    )

    const sections = parseSummary(await readFile(join(ci, 'summary.md'), 'utf8'))
    expect(sections.map((s) => [s.heading, s.tables.length])).toEqual([
      ['report-one', 1],
      ['report-two', 1],
    ])
    expect(sections[0]!.tables[0]).toMatchObject({
      Kind: 'Preview',
      Preview: 'feature/report',
      'Preview URL': previewUrlOn(emulator(), 'preview', preview!.slug, 'report-one'),
      'Deployment URL': previewUrlOn(emulator(), 'deployment', deployment!.id, 'report-one'),
      Traffic: 'its own URLs only',
      Applied: 'Preview feature/report created',
    })
    expect(sections[0]!.tables[0]!.Size).toMatch(/^\d+ B$/)
  })

  it('refuses a deployment answer whose id or URL holds a line break: no output, summary or result.json gains a line', async () => {
    const hostile = (result: Record<string, unknown>) => ({
      kind: 'status' as const,
      status: 200,
      match: { method: 'POST', path: /\/previews\/[^/]+\/deployments$/ },
      body: { success: true, errors: [], messages: [], result },
    })
    for (const result of [
      { id: '3f1d1d6e-0000-4000-8000-000000000000\nversion-id=evil', urls: [] },
      {
        id: '3f1d1d6e-0000-4000-8000-000000000000',
        urls: ['https://ok.example/\n| injected | row |'],
      },
    ]) {
      emulator().injectFaults(hostile(result))
      const failure = previewBuild('report-hostile')
      await expect(failure).rejects.toThrow(
        /Cloudflare API: the Preview deployment id is|is "https:\/\/ok.example\/\\n/,
      )
    }
    expect(existsSync(join(ci, 'output'))).toBe(false)
    expect(existsSync(join(ci, 'summary.md'))).toBe(false)
  })
})

describe('a version build', () => {
  it('adds its own table: a promoted version is a deployment with its traffic', async () => {
    const root = await tempDir('version-report')
    await mkdir(join(root, 'src'), { recursive: true })
    await writeFile(
      join(root, 'src/index.js'),
      'export default { fetch: () => new Response("v") }\n',
    )
    const plugin = rollupPlugin(
      uploadOptions(emulator(), 'report-version', {
        root,
        wrangler: false,
        promote: true,
        createWorker: true,
        preflight: false,
      }) as never,
    )
    const bundle = await rollup({
      input: join(root, 'src/index.js'),
      logLevel: 'silent',
      plugins: [plugin],
    })
    await bundle.write({ dir: join(root, 'dist'), format: 'es' })
    await bundle.close()
    const [version] = emulator().versions('report-version')
    const [section] = parseSummary(await readFile(join(ci, 'summary.md'), 'utf8'))
    expect(section).toMatchObject({
      heading: 'report-version',
      tables: [
        {
          Kind: 'deployment',
          Version: `${version!.id} (number 1)`,
          Traffic: `100% → ${version!.id} (new)`,
          Applied: 'Worker created',
        },
      ],
    })
    // Create Version takes only workers/message and workers/tag: the pull request's annotations are not sent.
    expect(Object.keys(version!.annotations).sort()).toEqual([
      'workers/tag',
      'workers/triggered_by',
    ])
  })
})

describe('the summary table', () => {
  it('keeps a hostile value in its cell: no line break, no extra column', () => {
    const markdown = summaryMarkdown({
      worker: 'w\n### not a heading',
      kind: 'Preview',
      ids: [['Preview', 'a | b\n| x | y |']],
      urls: [['Preview URL', 'https://x.example/\r\nnext']],
      sizeBytes: 10,
      applied: [],
    })
    const sections = parseSummary(markdown)
    expect(sections).toHaveLength(1)
    expect(sections[0]!.tables[0]).toEqual({
      Kind: 'Preview',
      Preview: 'a | b | x | y |',
      'Preview URL': 'https://x.example/ next',
      Traffic: 'its own URLs only',
      Size: '10 B',
      Applied: 'code only',
    })
  })

  it('shows markdown and HTML in a value as text: no image, link, emphasis or element of its own', () => {
    const branch =
      '<img src=x onerror=alert(1)> [link](javascript:alert(1)) **bold** _em_ ~~gone~~ <details><summary>x</summary> &amp; `code` \\'
    const markdown = summaryMarkdown({
      worker: 'w',
      kind: 'Preview',
      ids: [['Preview', branch]],
      urls: [],
      sizeBytes: 1,
      applied: [],
    })
    const row = markdown.split('\n').find((line) => line.startsWith('| Preview |'))!
    // No raw `<` (no element), no unescaped `[`, `*`, `_`, `~` or backtick (no link, emphasis, strike-through or code span).
    expect(row).not.toMatch(/<|(?<!\\)[[\]*_~`]/)
    expect(parseSummary(markdown)[0]!.tables[0]!.Preview).toBe(branch)
  })

  it('clips a 10 KB branch name, noting its length, and escapes its control and bidirectional characters', () => {
    const branch = `feature/\u202e\u001b]0;title\u0007${'b'.repeat(10_000)}`
    const markdown = summaryMarkdown({
      worker: 'w',
      kind: 'Preview',
      ids: [['Preview', branch]],
      urls: [],
      sizeBytes: 1,
      applied: [],
    })
    const value = parseSummary(markdown)[0]!.tables[0]!.Preview!
    expect(value.length).toBeLessThan(600)
    expect(value).toMatch(/^feature\/\\u202e\\x1b]0;title\\x07b+… \(10,019 characters\)$/)
  })

  it('lists the first URLs of a long list and says how many more there are', () => {
    const urls = Array.from({ length: 5000 }, (_, i): [string, string] => [
      'Preview URL',
      `https://p${i}.example.dev/`,
    ])
    const markdown = summaryMarkdown({
      worker: 'w',
      kind: 'Preview',
      ids: [],
      urls,
      sizeBytes: 1,
      applied: [],
    })
    expect(markdown.split('\n').filter((line) => line.startsWith('| Preview URL |'))).toHaveLength(
      5,
    )
    expect(parseSummary(markdown)[0]!.tables[0]!['…']).toBe(
      'and 4,995 more URLs, all in result.json',
    )
  })

  it('redacts a secret before escaping it', () => {
    const markdown = summaryMarkdown(
      {
        worker: 'w',
        kind: 'version',
        ids: [['Version', 'id s3|cret']],
        urls: [],
        sizeBytes: 1,
        applied: [],
      },
      (text) => new Redactor(['s3|cret']).redact(text),
    )
    expect(markdown).not.toContain('s3')
  })
})
