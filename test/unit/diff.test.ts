import { describe, expect, it } from 'vitest'
import type { DeployedVersion } from '../../src/api/deployed-state.js'
import { parseDeployArgs, UsageError } from '../../src/command/args.js'
import { WorkersVersionError } from '../../src/core/errors.js'
import { resolveOptions } from '../../src/options/resolve.js'
import {
  diffVersion,
  formatDiff,
  type DeployedSide,
  type NextVersion,
} from '../../src/plan/diff.js'
import { planDeploySteps } from '../../src/plan/triggers.js'
import { diffMarkdown } from '../../src/report/diff-report.js'

// The comparison of a build with what is deployed, without I/O; and the strict option's shape.

const deployedVersion = (over: Partial<DeployedVersion> = {}): DeployedVersion => ({
  id: 'v-old',
  mainModule: 'index.js',
  compatibilityDate: '2025-01-01',
  compatibilityFlags: ['nodejs_compat'],
  bindings: [
    { name: 'KEEP', type: 'kv_namespace', target: { namespace_id: 'kv-keep' } },
    { name: 'CACHE', type: 'kv_namespace', target: { namespace_id: 'kv-cache' } },
    { name: 'API_KEY', type: 'secret_text', target: {} },
  ],
  modules: [{ name: 'index.js', size: 100, sha256: 'aa' }],
  ...over,
})

const next = (over: Partial<NextVersion> = {}): NextVersion => ({
  bindings: [
    { type: 'kv_namespace', name: 'KEEP', namespace_id: 'kv-keep' },
    { type: 'kv_namespace', name: 'CACHE', namespace_id: 'kv-cache' },
  ],
  compatibilityDate: '2025-01-01',
  compatibilityFlags: ['nodejs_compat'],
  mainModule: 'index.js',
  modules: [{ name: 'index.js', size: 100, sha256: 'aa' }],
  keepsSecrets: true,
  ...over,
})

const side = (over: Partial<DeployedSide> = {}): DeployedSide => ({
  isNew: false,
  version: deployedVersion(),
  unread: [],
  ...over,
})

const lines = (n: NextVersion, d: DeployedSide) => diffVersion(n, d).changes.map((c) => c.line)

describe('the diff of a build against the deployed Worker', () => {
  it('names bindings added, removed and changed; a kept secret is no removal', () => {
    const diff = diffVersion(
      next({
        bindings: [
          { type: 'kv_namespace', name: 'KEEP', namespace_id: 'kv-other' },
          { type: 'd1', name: 'DB', id: 'd1-id' },
        ],
      }),
      side(),
    )
    expect(diff.changes).toEqual([
      {
        kind: 'binding',
        op: 'change',
        subject: 'KEEP',
        line: '~ binding KEEP (kv_namespace): namespace_id kv-keep → kv-other',
        guard: 'change-binding:KEEP',
      },
      { kind: 'binding', op: 'add', subject: 'DB', line: '+ binding DB (d1)' },
      {
        kind: 'binding',
        op: 'remove',
        subject: 'CACHE',
        line: '- binding CACHE (kv_namespace)',
        guard: 'remove-binding:CACHE',
      },
    ])
    expect(diff.against).toBe('deployed version v-old')
    // An assets-only Worker keeps no secret: the secret is then removed, and said so by name only.
    expect(lines(next({ keepsSecrets: false }), side())).toContain('- secret API_KEY (secret_text)')
  })

  it('compares a variable by digest: "value changed", never the value; and ignores fields only the API adds', () => {
    const before = deployedVersion({
      bindings: [
        { name: 'GREETING', type: 'plain_text', target: { text: 'sha256:old' } },
        { name: 'SVC', type: 'service', target: { service: 'api', environment: 'production' } },
      ],
    })
    const diff = diffVersion(
      next({
        bindings: [
          { type: 'plain_text', name: 'GREETING', text: 'a sensitive value' },
          { type: 'service', name: 'SVC', service: 'api' },
        ],
      }),
      side({ version: before }),
    )
    expect(diff.changes).toEqual([
      {
        kind: 'binding',
        op: 'change',
        subject: 'GREETING',
        line: '~ binding GREETING (plain_text): value changed',
      },
    ])
    expect(JSON.stringify(diff)).not.toContain('a sensitive value')
  })

  it('names the compatibility date and flags; a lowered date is guarded', () => {
    expect(
      diffVersion(next({ compatibilityDate: '2026-11-01' }), side()).changes.map((c) => [
        c.line,
        c.guard,
      ]),
    ).toEqual([['~ compatibility_date 2025-01-01 → 2026-11-01', undefined]])
    const lowered = diffVersion(
      next({
        compatibilityDate: '2024-01-01',
        compatibilityFlags: ['streams_enable_constructors'],
      }),
      side(),
    ).changes
    expect(lowered.map((c) => c.line)).toEqual([
      '~ compatibility_date 2025-01-01 → 2024-01-01 (lowered)',
      '+ compatibility flag streams_enable_constructors',
      '- compatibility flag nodejs_compat',
    ])
    expect(lowered[0]!.guard).toBe('lower-compatibility-date')
  })

  it('names the main module and the modules added, removed and changed, with count and size', () => {
    expect(
      lines(
        next({
          mainModule: 'worker.js',
          modules: [
            { name: 'worker.js', size: 2048, sha256: 'bb' },
            { name: 'chunk.js', size: 1024, sha256: 'cc' },
          ],
        }),
        side(),
      ),
    ).toEqual([
      '~ main module index.js → worker.js',
      '~ modules 1 → 2, 100 B → 3.0 KiB (2 added, 1 removed)',
    ])
    expect(
      lines(next({ modules: [{ name: 'index.js', size: 90, sha256: 'zz' }] }), side()),
    ).toEqual(['~ modules 1 → 1, 100 B → 90 B (1 changed)'])
    // The same build: nothing.
    expect(lines(next(), side())).toEqual([])
  })

  it('compares the routes, Custom Domains, crons and workers.dev a promote applies with the current ones', () => {
    const steps = planDeploySteps(
      {
        routes: [
          { pattern: 'new.example.com/*', zone_name: 'example.com' },
          { pattern: 'app.example.com', custom_domain: true },
        ],
        crons: ['0 0 * * *'],
        queueConsumers: [{ queue: 'jobs' }],
        workflows: [],
      } as never,
      'w',
    )
    const diff = diffVersion(
      next({
        deploySteps: steps,
        bindings: deployedVersion().bindings.map(({ name, type, target }) => ({
          name,
          type,
          ...target,
        })),
      }),
      side({
        routes: ['old.example.com/*', 'new.example.com/*'],
        domains: ['gone.example.com'],
        crons: ['*/5 * * * *'],
        workersDev: { enabled: true },
        settings: { observability: { enabled: false, head_sampling_rate: 1 }, logpush: false },
      }),
    )
    expect(diff.changes.map((c) => [c.line, c.guard])).toEqual([
      ['~ workers.dev on → off', undefined],
      ['- route old.example.com/*', 'remove-route:old.example.com/*'],
      ['+ Custom Domain app.example.com', undefined],
      ['- Custom Domain gone.example.com', 'remove-domain:gone.example.com'],
      ['+ cron 0 0 * * *', undefined],
      ['- cron */5 * * * *', undefined],
    ])
    // Observability as the API fills it in is the same as the build's `{ enabled: false }`.
    expect(diff.changes.some((c) => c.kind === 'script-settings')).toBe(false)
    // The queues were not read here (`queues` unset, and no reason in `unread`): no consumer line.
    expect(diff.notCompared).toEqual([])
  })

  it('says what it could not compare: a failed read, the assets, a Worker with nothing deployed', () => {
    const failed = diffVersion(
      next({ assetFiles: 3 }),
      side({ version: undefined, unread: ['deployed version: 403 forbidden'] }),
    )
    expect(failed.notCompared).toEqual([
      'deployed version: 403 forbidden',
      'assets (3 files): the API gives no asset manifest of a deployed version, so files removed are not listed, nor which files are added or changed',
    ])
    expect(diffVersion(next(), side({ version: undefined })).notCompared).toEqual([
      'bindings, compatibility and modules: the Worker has no deployed version to compare with',
    ])
    // A new Worker: everything is added.
    const fresh = diffVersion(next(), side({ isNew: true, version: undefined }))
    expect(fresh.against).toBe('a Worker that does not exist yet')
    expect(fresh.changes.map((c) => c.line)).toEqual([
      '+ binding KEEP (kv_namespace)',
      '+ binding CACHE (kv_namespace)',
      '+ compatibility flag nodejs_compat',
    ])
    expect(formatDiff(fresh)[0]).toBe('diff against a Worker that does not exist yet: 3 changes')
  })

  it('the job summary section keeps every value inside its code block', () => {
    const markdown = diffMarkdown(
      {
        worker: 'w',
        compared: true,
        against: 'deployed version x',
        changes: [{ kind: 'route', op: 'add', subject: 'a', line: '+ route ```</pre>a/*' }],
        notCompared: [],
      },
      (t) => t,
    )
    expect(markdown).toContain('````diff\n+ route ```</pre>a/*\n````')
  })
})

describe('the strict option', () => {
  it('takes true, false or { allow: [keys] }, and refuses a malformed key naming the option', () => {
    expect(resolveOptions({ strict: true }).strict).toEqual({ allow: [] })
    expect(resolveOptions({ strict: false }).strict).toBeUndefined()
    expect(
      resolveOptions({ strict: { allow: ['remove-binding:CACHE', 'lower-compatibility-date'] } })
        .strict,
    ).toEqual({ allow: ['remove-binding:CACHE', 'lower-compatibility-date'] })
    for (const bad of [
      { allow: ['remove-binding'] },
      { allow: 'remove-route:x/*' },
      'yes',
      { alow: [] },
    ]) {
      let error: unknown
      try {
        resolveOptions({ strict: bad as never })
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(WorkersVersionError)
      expect((error as WorkersVersionError).code).toBe('INVALID_OPTIONS')
      expect((error as Error).message).toContain('strict')
    }
  })

  it('--strict and --allow on the deploy command', () => {
    expect(parseDeployArgs(['--strict']).strict).toEqual({ allow: [] })
    expect(
      parseDeployArgs(['--strict', '--allow', 'remove-binding:A', '--allow=remove-route:x/*'])
        .strict,
    ).toEqual({ allow: ['remove-binding:A', 'remove-route:x/*'] })
    expect(parseDeployArgs([]).strict).toBeUndefined()
    expect(() => parseDeployArgs(['--allow', 'remove-binding:A'])).toThrow(UsageError)
    expect(() => parseDeployArgs(['--strict', '--allow'])).toThrow('--allow needs a change key')
  })
})
