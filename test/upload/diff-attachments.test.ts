/**
 * The diff's queue consumers, Workflows and static assets, against the emulator: a deploy whose
 * config drops a consumer and adds a Workflow names both (the dropped consumer as kept: the deploy
 * does not remove it, and indeed it is still there after); a failed read of the queues is a "not
 * compared" line with the API's reason; changed asset files are counted from the upload session's
 * answer, and in strict mode, where the diff comes before the upload, it says the figure is not
 * known yet.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest'
import { type Emulator } from '../../src/emulator/index.js'
import { startEmulator } from '../helpers/emulator.js'
import { tempDir } from '../helpers/fixture.js'
import { rollupUpload } from '../helpers/rollup-upload.js'

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator({
    preview: false,
    autoCreateWorkers: true,
    queues: [{ name: 'jobs' }, { name: 'old-jobs' }],
  })
})
afterAll(() => emu?.close())
afterEach(() => {
  vi.restoreAllMocks()
})

interface DiffJson {
  changes: Array<{ kind: string; op: string; subject: string; line: string }>
  notCompared: string[]
  kept?: string[]
}

const SOURCE = `import { WorkflowEntrypoint } from 'cloudflare:workers'
export class MyWorkflow extends WorkflowEntrypoint { async run() { return 'done' } }
export default {
  fetch() { return new Response('ok') },
  queue() {},
}
`

/** A project in a fresh directory: the Worker above, and `files` under `public/`. */
async function project(name: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await tempDir(name)
  await writeFile(join(dir, 'index.js'), SOURCE)
  await mkdir(join(dir, 'public'), { recursive: true })
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, 'public', file), text)
  return dir
}

async function deploy(
  dir: string,
  worker: string,
  config: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<DiffJson> {
  const wrangler = join(dir, 'wrangler.jsonc')
  await writeFile(wrangler, JSON.stringify({ compatibility_date: '2025-01-01', ...config }))
  const outputDir = await rollupUpload(
    emu,
    dir,
    worker,
    { promote: true, wrangler, version: undefined, gitAnnotations: false, ...extra },
    { input: join(dir, 'index.js') },
  )
  return JSON.parse(await readFile(join(outputDir, 'diff.json'), 'utf8')) as DiffJson
}

function printed(log: { mock: { calls: unknown[][] } }): string {
  return log.mock.calls.map((c) => String(c[0])).join('\n')
}

it('a dropped queue consumer is named as kept (the deploy does not remove it) and an added Workflow as added', async () => {
  const worker = 'diff-attached'
  const dir = await project('diff-attached')
  await deploy(dir, worker, {
    queues: { consumers: [{ queue: 'jobs' }, { queue: 'old-jobs' }] },
  })
  const log = vi.spyOn(console, 'log')
  const diff = await deploy(dir, worker, {
    queues: { consumers: [{ queue: 'jobs', max_batch_size: 20 }] },
    workflows: [{ binding: 'FLOW', name: 'diff-flow', class_name: 'MyWorkflow' }],
  })
  expect(diff.changes.map((c) => [c.kind, c.op, c.subject, c.line])).toEqual([
    ['binding', 'add', 'FLOW', '+ binding FLOW (workflow)'],
    [
      'queue-consumer',
      'change',
      'consumer of jobs',
      '~ queue consumer of jobs: batch_size (none) → 20',
    ],
    ['workflow', 'add', 'diff-flow', '+ Workflow diff-flow (class MyWorkflow)'],
  ])
  const kept = `queue consumer of old-jobs: not in the config, and the deploy does not remove it (\`wrangler queues consumer remove old-jobs ${worker}\` does)`
  expect(diff.kept).toEqual([kept])
  const text = printed(log)
  expect(text).toContain('~ queue consumer of jobs: batch_size (none) → 20')
  expect(text).toContain('+ Workflow diff-flow (class MyWorkflow)')
  expect(text).toContain(`kept: ${kept}`)
  // What the diff said is what happened: the dropped consumer is still there, the Workflow exists.
  const consumers = (queue: string) =>
    emu.attachments.queues.find((q) => q.queue_name === queue)?.consumers.map((c) => c.script)
  expect(consumers('old-jobs')).toEqual([worker])
  expect(
    [...emu.attachments.workflows.values()].map((w) => [w.name, w.script_name, w.class_name]),
  ).toEqual([['diff-flow', worker, 'MyWorkflow']])

  // Deployed again unchanged: no consumer or Workflow line, the consumer still kept.
  const again = await deploy(dir, worker, {
    queues: { consumers: [{ queue: 'jobs', max_batch_size: 20 }] },
    workflows: [{ binding: 'FLOW', name: 'diff-flow', class_name: 'MyWorkflow' }],
  })
  expect(again.changes).toEqual([])
  expect(again.kept).toEqual([kept])
})

it('a failed read of the queues is a "not compared" line with the API\'s reason, and the deploy goes on', async () => {
  const worker = 'diff-queues-unread'
  const dir = await project('diff-queues-unread')
  emu.attachments.queues.find((q) => q.queue_name === 'jobs')!.consumers.length = 0
  emu.injectFaults({
    match: { method: 'GET', path: /\/queues$/ },
    kind: 'status',
    status: 403,
    body: {
      success: false,
      errors: [{ code: 10000, message: 'Authentication error' }],
      messages: [],
      result: null,
    },
  })
  const log = vi.spyOn(console, 'log')
  const diff = await deploy(dir, worker, { queues: { consumers: [{ queue: 'jobs' }] } })
  const gap = diff.notCompared.find((g) => g.startsWith('queue consumers: '))
  expect(gap).toContain('Authentication error')
  expect(diff.changes.filter((c) => c.kind === 'queue-consumer')).toEqual([])
  // The log prints it on one line (its line breaks shown escaped).
  expect(printed(log)).toContain(
    'not compared: queue consumers: Cloudflare API rejected List the queues of the account and their consumers (HTTP 403)',
  )
  // Only the diff's read failed: the deploy's own lookup found the queue and made the consumer.
  expect(
    emu.attachments.queues.find((q) => q.queue_name === 'jobs')?.consumers.map((c) => c.script),
  ).toEqual([worker])
})

it('changed asset files are counted from the upload session; in strict mode the diff comes first and says so', async () => {
  const worker = 'diff-assets'
  const dir = await project('diff-assets', {
    'index.html': '<h1>one</h1>',
    'app.css': 'body { color: red }',
  })
  const assets = { assets: { directory: join(dir, 'public') } }
  await deploy(dir, worker, {}, assets)
  // One file changed, one added, one the same.
  await writeFile(join(dir, 'public', 'app.css'), 'body { color: blue }')
  await writeFile(join(dir, 'public', 'new.txt'), 'new')
  const log = vi.spyOn(console, 'log')
  const diff = await deploy(dir, worker, {}, assets)
  expect(diff.changes.map((c) => [c.kind, c.line])).toEqual([
    ['assets', '~ assets: at least 2 of 3 files added or changed (contents new to Cloudflare)'],
  ])
  expect(printed(log)).toContain(
    '~ assets: at least 2 of 3 files added or changed (contents new to Cloudflare)',
  )
  expect(diff.notCompared).toContain(
    'assets: the API gives no asset manifest of a deployed version, so files removed are not listed, nor files added or changed with contents Cloudflare already held',
  )

  // Strict mode shows the diff before any write, so before the upload session.
  await writeFile(join(dir, 'public', 'new.txt'), 'newer')
  const strict = await deploy(dir, worker, {}, { ...assets, strict: true })
  expect(strict.changes.filter((c) => c.kind === 'assets')).toEqual([])
  expect(strict.notCompared).toContain(
    'assets (3 files): which files Cloudflare lacks is known only from the assets upload session, and none had started when this diff was made (it is shown before any write); the API gives no asset manifest of a deployed version, so files removed are not listed, nor which files are added or changed',
  )
})
