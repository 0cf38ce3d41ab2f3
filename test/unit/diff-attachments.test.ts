import { describe, expect, it } from 'vitest'
import {
  diffVersion,
  formatDiff,
  type DeployedSide,
  type NextVersion,
} from '../../src/plan/diff.js'
import { planDeploySteps } from '../../src/plan/triggers.js'
import { diffMarkdown } from '../../src/report/diff-report.js'

// Queue consumers, Workflows and static assets in the comparison of a build with what is deployed, without I/O.

const next = (over: Partial<NextVersion> = {}): NextVersion => ({
  bindings: [],
  compatibilityDate: '2025-01-01',
  compatibilityFlags: [],
  mainModule: 'index.js',
  modules: [{ name: 'index.js', size: 10, sha256: 'aa' }],
  keepsSecrets: true,
  ...over,
})

const side = (over: Partial<DeployedSide> = {}): DeployedSide => ({
  isNew: false,
  version: {
    id: 'v-old',
    mainModule: 'index.js',
    compatibilityDate: '2025-01-01',
    compatibilityFlags: [],
    bindings: [],
    modules: [{ name: 'index.js', size: 10, sha256: 'aa' }],
  },
  unread: [],
  ...over,
})

/** The promote's steps for `settings`, for Worker `w`, without the two it always sends. */
function steps(settings: Record<string, unknown>) {
  return planDeploySteps(
    { routes: [], queueConsumers: [], workflows: [], ...settings } as never,
    'w',
  ).filter((s) => s.kind === 'queue-consumers' || s.kind === 'workflows')
}

describe('queue consumers in the diff', () => {
  const deploySteps = steps({
    queueConsumers: [
      { queue: 'jobs', max_batch_size: 50, dead_letter_queue: 'dlq' },
      { queue: 'fresh', max_batch_timeout: 2 },
      { queue: 'taken' },
      { queue: 'same', max_retries: 3 },
      { queue: 'missing' },
    ],
  })

  it('names the consumers the deploy adds or changes, on the settings it sends, and keeps the ones it does not remove', () => {
    const diff = diffVersion(
      next({ deploySteps }),
      side({
        queues: [
          {
            name: 'jobs',
            consumer: { settings: { batch_size: 10, max_retries: 3, max_wait_time_ms: 5000 } },
          },
          { name: 'fresh' },
          { name: 'taken', otherWorker: 'other' },
          // The API's defaults for fields the deploy does not send are not changes.
          { name: 'same', consumer: { settings: { max_retries: 3, batch_size: 10 } } },
          { name: 'old', consumer: { settings: {} } },
          { name: 'someone-elses', otherWorker: 'other' },
        ],
      }),
    )
    expect(diff.changes.map((c) => [c.kind, c.op, c.subject, c.line])).toEqual([
      [
        'queue-consumer',
        'change',
        'consumer of jobs',
        '~ queue consumer of jobs: batch_size 10 → 50, dead_letter_queue (none) → dlq',
      ],
      [
        'queue-consumer',
        'add',
        'consumer of fresh',
        '+ queue consumer of fresh (max_wait_time_ms 2000)',
      ],
      [
        'queue-consumer',
        'add',
        'consumer of taken',
        `+ queue consumer of taken; the queue's Worker consumer is "other", and a queue has only one`,
      ],
      [
        'queue-consumer',
        'add',
        'consumer of missing',
        "+ queue consumer of missing (the queue does not exist: the deploy's consumer step will fail)",
      ],
    ])
    // Not a guarded change: strict mode refuses none of them.
    expect(diff.changes.every((c) => c.guard === undefined)).toBe(true)
    expect(diff.kept).toEqual([
      'queue consumer of old: not in the config, and the deploy does not remove it (`wrangler queues consumer remove old w` does)',
    ])
    expect(formatDiff(diff)).toContain(`  kept: ${diff.kept[0]}`)
    // A kept consumer is no change: the count in the heading leaves it out.
    expect(formatDiff(diff)[0]).toBe('diff against deployed version v-old: 4 changes')
  })

  it('a failed read is a "not compared" line, and no consumer line is guessed', () => {
    const diff = diffVersion(
      next({ deploySteps }),
      side({ unread: ['queue consumers: Authentication error [code: 10000]'] }),
    )
    expect(diff.changes).toEqual([])
    expect(diff.kept).toEqual([])
    expect(diff.notCompared).toEqual(['queue consumers: Authentication error [code: 10000]'])
  })
})

describe('Workflows in the diff', () => {
  const deploySteps = steps({
    workflows: [
      { binding: 'A', name: 'added', class_name: 'Added' },
      { binding: 'B', name: 'moved', class_name: 'NewClass' },
      { binding: 'C', name: 'theirs', class_name: 'Theirs' },
      { binding: 'D', name: 'same', class_name: 'Same' },
    ],
  })

  it('names the Workflows added, a class changed, another Worker’s Workflow the deploy refuses, and keeps the ones it does not delete', () => {
    const diff = diffVersion(
      next({ deploySteps }),
      side({
        workflows: [
          { name: 'moved', script_name: 'w', class_name: 'OldClass' },
          { name: 'theirs', script_name: 'other', class_name: 'Theirs' },
          { name: 'same', script_name: 'w', class_name: 'Same' },
          { name: 'dropped', script_name: 'w', class_name: 'Dropped' },
          { name: 'unrelated', script_name: 'other', class_name: 'X' },
        ],
      }),
    )
    expect(diff.changes.map((c) => [c.kind, c.op, c.subject, c.line])).toEqual([
      ['workflow', 'add', 'added', '+ Workflow added (class Added)'],
      ['workflow', 'change', 'moved', '~ Workflow moved: class OldClass → NewClass'],
      [
        'workflow',
        'change',
        'theirs',
        `~ Workflow theirs: belongs to Worker "other", so the deploy's Workflows step will refuse it`,
      ],
    ])
    expect(diff.kept).toEqual([
      'Workflow dropped (class Dropped): not in the config, and the deploy does not delete it (`wrangler workflows delete dropped` does)',
    ])
  })

  it('on a Worker that does not exist yet, every Workflow it names is added', () => {
    const diff = diffVersion(
      next({ deploySteps }),
      side({ isNew: true, version: undefined, workflows: [] }),
    )
    expect(diff.changes.filter((c) => c.kind === 'workflow').map((c) => c.op)).toEqual([
      'add',
      'add',
      'add',
      'add',
    ])
  })
})

describe('static assets in the diff', () => {
  it('the upload session’s answer: files whose contents Cloudflare lacks are added or changed', () => {
    const diff = diffVersion(next({ assetFiles: 12, assets: { known: true, toUpload: 3 } }), side())
    expect(diff.changes.map((c) => [c.kind, c.line])).toEqual([
      ['assets', '~ assets: at least 3 of 12 files added or changed (contents new to Cloudflare)'],
    ])
    expect(diff.notCompared).toEqual([
      'assets: the API gives no asset manifest of a deployed version, so files removed are not listed, nor files added or changed with contents Cloudflare already held',
    ])
  })

  it('no contents new to Cloudflare proves no change, and is not shown as one', () => {
    const diff = diffVersion(next({ assetFiles: 12, assets: { known: true, toUpload: 0 } }), side())
    expect(diff.changes).toEqual([])
    expect(diff.notCompared[0]).toMatch(
      /^assets \(12 files\): Cloudflare already holds the contents of every file; /,
    )
  })

  it('before the upload session (strict mode, the script upload), says the figure is not known yet', () => {
    const diff = diffVersion(
      next({ assetFiles: 12, assets: { known: false, why: 'this diff comes before it' } }),
      side(),
    )
    expect(diff.changes).toEqual([])
    expect(diff.notCompared).toEqual([
      'assets (12 files): this diff comes before it; the API gives no asset manifest of a deployed version, so files removed are not listed, nor which files are added or changed',
    ])
  })

  it('the job summary carries the kept lines', () => {
    const markdown = diffMarkdown(
      {
        worker: 'w',
        compared: true,
        against: 'deployed version x',
        changes: [],
        notCompared: [],
        kept: ['queue consumer of old: not in the config'],
      },
      (t) => t,
    )
    expect(markdown).toContain('# kept: queue consumer of old: not in the config')
  })
})
