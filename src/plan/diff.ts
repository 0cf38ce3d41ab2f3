/**
 * What a deploy will change, compared without I/O: the new version (its bindings, compatibility,
 * modules, pending migrations and the triggers a promote applies) against what the Worker has now,
 * as deploy/diff.ts read it. Each change is one line; the ones strict mode guards carry the key that
 * acknowledges them. Binding values never reach a line: bindings are compared as targets
 * (core/binding-target.ts), secrets by name, plain-text and JSON values by digest.
 */
import {
  bindingTarget,
  isSecretKind,
  isValueField,
  type BindingTarget,
} from '../core/binding-target.js'
import { plural } from '../core/plural.js'
import type { DeployedVersion, ModuleDigest } from '../api/deployed-state.js'
import type { QueueState, WorkflowState } from '../api/deployed-attachments.js'
import { assetsComparison, type AssetsSide } from './diff-assets.js'
import { consumerChanges, workflowChanges } from './diff-attachments.js'
import type { Change } from './diff-change.js'
import type { DeployStep } from './triggers.js'

/** The build's side. */
export interface NextVersion {
  bindings: readonly Record<string, unknown>[]
  compatibilityDate?: string
  compatibilityFlags: readonly string[]
  mainModule?: string
  modules: readonly ModuleDigest[]
  /** Files in the assets manifest, when the build has assets. */
  assetFiles?: number
  /** What the assets upload session said of them, when it was known in time (plan/diff-assets.ts). */
  assets?: AssetsSide
  /** The pending Durable Object migrations, described; none when nothing is pending. */
  pendingMigrations?: string
  /** What a promote to 100% applies; undefined when the deploy applies none. */
  deploySteps?: readonly DeployStep[]
  /** Whether the upload keeps the current version's secrets the build does not set (it does, except for an assets-only Worker). */
  keepsSecrets: boolean
}

/** The Worker's side, as read; a field left undefined was not read (see `unread`). */
export interface DeployedSide {
  /** The Worker does not exist yet: everything is added. */
  isNew: boolean
  /** The version the new one replaces (the one with the most traffic), with its deployment's split. */
  version?: DeployedVersion
  split?: string
  routes?: string[]
  domains?: string[]
  crons?: string[]
  workersDev?: { enabled: boolean; previews_enabled?: boolean }
  settings?: Record<string, unknown>
  /** The account's queues, with this Worker's consumers (read when the promote applies consumers). */
  queues?: QueueState[]
  /** The account's Workflows (read when the promote applies Workflows). */
  workflows?: WorkflowState[]
  /** What could not be read, and why: each becomes a "not compared" line. */
  unread: string[]
}

export interface VersionDiff {
  /** What the build is compared with, in words. */
  against: string
  changes: Change[]
  /** What was not compared, and why. */
  notCompared: string[]
  /** What the deploy leaves as it is though the config no longer names it (a queue consumer, a Workflow). */
  kept: string[]
}

export function diffVersion(next: NextVersion, deployed: DeployedSide): VersionDiff {
  const notCompared = [...deployed.unread]
  const changes: Change[] = []
  const version = deployed.version
  if (version || deployed.isNew) {
    changes.push(...bindingChanges(next, version?.bindings ?? []))
    changes.push(...compatibilityChanges(next, version))
    changes.push(...moduleChanges(next, version, notCompared))
  } else if (!deployed.unread.some((u) => u.startsWith('deployed version'))) {
    notCompared.push(
      'bindings, compatibility and modules: the Worker has no deployed version to compare with',
    )
  }
  if (next.pendingMigrations)
    changes.push({
      kind: 'migrations',
      op: 'add',
      subject: next.pendingMigrations,
      line: `+ Durable Object migration ${next.pendingMigrations}`,
    })
  if (next.assetFiles !== undefined) {
    const assets = assetsComparison(next.assetFiles, next.assets)
    changes.push(...assets.changes)
    notCompared.push(assets.notCompared)
  }
  const kept: string[] = []
  if (next.deploySteps) changes.push(...triggerChanges(next.deploySteps, deployed, kept))
  return {
    against: deployed.isNew
      ? 'a Worker that does not exist yet'
      : version
        ? `deployed version ${version.id}${deployed.split ? ` (${deployed.split})` : ''}`
        : 'the Worker (no deployed version)',
    changes,
    notCompared,
    kept,
  }
}

function bindingChanges(next: NextVersion, before: readonly BindingTarget[]): Change[] {
  const after = next.bindings.flatMap((b) => bindingTarget(b) ?? [])
  const old = new Map(before.map((b) => [b.name, b]))
  const changes: Change[] = []
  for (const b of after) {
    const was = old.get(b.name)
    old.delete(b.name)
    if (!was) {
      changes.push({
        kind: 'binding',
        op: 'add',
        subject: b.name,
        line: `+ ${label(b)} ${b.name} (${b.type})`,
      })
    } else if (was.type !== b.type) {
      changes.push({
        kind: 'binding',
        op: 'change',
        subject: b.name,
        line: `~ binding ${b.name} (${was.type} → ${b.type})`,
        guard: `change-binding:${b.name}`,
      })
    } else {
      const change = targetChange(was, b)
      if (change) changes.push(change)
    }
  }
  for (const b of old.values()) {
    // The upload keeps every secret of the current version that the build does not set.
    if (isSecretKind(b.type) && next.keepsSecrets) continue
    changes.push({
      kind: 'binding',
      op: 'remove',
      subject: b.name,
      line: `- ${label(b)} ${b.name} (${b.type})`,
      guard: `remove-binding:${b.name}`,
    })
  }
  return changes
}

function label(b: BindingTarget): string {
  return isSecretKind(b.type) ? 'secret' : 'binding'
}

/**
 * Only the fields the build sets are compared: the API may add fields of its own to what it
 * returns (an environment, a default), which are not changes the build makes.
 */
function targetChange(was: BindingTarget, now: BindingTarget): Change | undefined {
  const fields = Object.keys(now.target).filter((k) => now.target[k] !== was.target[k])
  if (fields.length === 0) return undefined
  const targets = fields.filter((f) => !isValueField(f))
  const parts = fields.map((f) =>
    isValueField(f) ? 'value changed' : `${f} ${was.target[f] ?? '(none)'} → ${now.target[f]}`,
  )
  return {
    kind: 'binding',
    op: 'change',
    subject: now.name,
    line: `~ binding ${now.name} (${now.type}): ${parts.join(', ')}`,
    ...(targets.length > 0 && { guard: `change-binding:${now.name}` }),
  }
}

function compatibilityChanges(next: NextVersion, version: DeployedVersion | undefined): Change[] {
  const changes: Change[] = []
  const was = version?.compatibilityDate
  const now = next.compatibilityDate
  if (version && was !== now && now !== undefined) {
    const lowered = was !== undefined && now < was
    changes.push({
      kind: 'compatibility-date',
      op: 'change',
      subject: now,
      line: `~ compatibility_date ${was ?? '(none)'} → ${now}${lowered ? ' (lowered)' : ''}`,
      ...(lowered && { guard: 'lower-compatibility-date' }),
    })
  }
  const before = new Set(version?.compatibilityFlags ?? [])
  for (const flag of next.compatibilityFlags) {
    if (before.delete(flag)) continue
    changes.push({
      kind: 'compatibility-flag',
      op: 'add',
      subject: flag,
      line: `+ compatibility flag ${flag}`,
    })
  }
  for (const flag of before)
    changes.push({
      kind: 'compatibility-flag',
      op: 'remove',
      subject: flag,
      line: `- compatibility flag ${flag}`,
    })
  return changes
}

function moduleChanges(
  next: NextVersion,
  version: DeployedVersion | undefined,
  notCompared: string[],
): Change[] {
  if (!version) return []
  const changes: Change[] = []
  if (version.mainModule !== next.mainModule && next.mainModule !== undefined)
    changes.push({
      kind: 'main-module',
      op: 'change',
      subject: next.mainModule,
      line: `~ main module ${version.mainModule ?? '(none)'} → ${next.mainModule}`,
    })
  if (!version.modules) {
    notCompared.push('modules: the API gave the deployed version without its modules')
    return changes
  }
  const old = new Map(version.modules.map((m) => [m.name, m.sha256]))
  let added = 0
  let changed = 0
  for (const m of next.modules) {
    const digest = old.get(m.name)
    if (digest === undefined) added++
    else if (digest !== m.sha256) changed++
    old.delete(m.name)
  }
  const removed = old.size
  if (added + changed + removed === 0) return changes
  const size = (list: readonly ModuleDigest[]) => kib(list.reduce((sum, m) => sum + m.size, 0))
  const counts = [
    changed > 0 ? `${changed} changed` : '',
    added > 0 ? `${added} added` : '',
    removed > 0 ? `${removed} removed` : '',
  ].filter(Boolean)
  changes.push({
    kind: 'modules',
    op: 'change',
    subject: 'modules',
    line: `~ modules ${version.modules.length} → ${next.modules.length}, ${size(version.modules)} → ${size(next.modules)} (${counts.join(', ')})`,
  })
  return changes
}

function triggerChanges(
  steps: readonly DeployStep[],
  deployed: DeployedSide,
  kept: string[],
): Change[] {
  const changes: Change[] = []
  for (const step of steps) {
    switch (step.kind) {
      case 'routes':
        changes.push(
          ...setChanges(
            'route',
            step.routes.map((r) => r.pattern),
            deployed.routes,
            deployed.isNew,
          ),
        )
        break
      case 'custom-domains': {
        const origins = (step.body.origins as Array<{ hostname: string }> | undefined) ?? []
        changes.push(
          ...setChanges(
            'custom-domain',
            origins.map((o) => o.hostname),
            deployed.domains,
            deployed.isNew,
          ),
        )
        break
      }
      case 'schedules':
        changes.push(...setChanges('cron', step.crons, deployed.crons, deployed.isNew))
        break
      case 'workers-dev':
        changes.push(...workersDevChanges(step.body, deployed))
        break
      case 'script-settings':
        changes.push(...settingsChanges(step.body, deployed))
        break
      case 'queue-consumers':
      case 'workflows': {
        const found =
          step.kind === 'queue-consumers'
            ? consumerChanges(step, deployed.queues)
            : workflowChanges(step, deployed.workflows)
        changes.push(...found.changes)
        kept.push(...found.kept)
        break
      }
    }
  }
  return changes
}

const TRIGGER_NOUN: Record<'route' | 'custom-domain' | 'cron', string> = {
  route: 'route',
  'custom-domain': 'Custom Domain',
  cron: 'cron',
}

/** A list the deploy replaces as a whole: what it adds and what it drops. Undefined `before`: not read (and already said so). */
function setChanges(
  kind: 'route' | 'custom-domain' | 'cron',
  after: readonly string[],
  before: readonly string[] | undefined,
  isNew: boolean,
): Change[] {
  if (before === undefined && !isNew) return []
  const old = new Set(before ?? [])
  const now = new Set(after)
  const noun = TRIGGER_NOUN[kind]
  const guard = kind === 'route' ? 'remove-route' : kind === 'custom-domain' ? 'remove-domain' : ''
  return [
    ...[...now]
      .filter((x) => !old.has(x))
      .map((x): Change => ({ kind, op: 'add', subject: x, line: `+ ${noun} ${x}` })),
    ...[...old]
      .filter((x) => !now.has(x))
      .map((x): Change => ({
        kind,
        op: 'remove',
        subject: x,
        line: `- ${noun} ${x}`,
        ...(guard && { guard: `${guard}:${x}` }),
      })),
  ]
}

function workersDevChanges(
  body: { enabled: boolean; previews_enabled?: boolean },
  deployed: DeployedSide,
): Change[] {
  const was = deployed.workersDev
  if (!was) return []
  const changes: Change[] = []
  const onOff = (v: boolean | undefined) => (v ? 'on' : 'off')
  if (was.enabled !== body.enabled)
    changes.push({
      kind: 'workers-dev',
      op: 'change',
      subject: 'workers.dev',
      line: `~ workers.dev ${onOff(was.enabled)} → ${onOff(body.enabled)}`,
    })
  if (body.previews_enabled !== undefined && was.previews_enabled !== body.previews_enabled)
    changes.push({
      kind: 'workers-dev',
      op: 'change',
      subject: 'Preview URLs',
      line: `~ Preview URLs ${onOff(was.previews_enabled)} → ${onOff(body.previews_enabled)}`,
    })
  return changes
}

/** Each setting the deploy patches, compared on the fields it sends (the API fills in others). */
function settingsChanges(body: Record<string, unknown>, deployed: DeployedSide): Change[] {
  const was = deployed.settings
  if (!was) return []
  return Object.entries(body).flatMap(([key, value]): Change[] =>
    sameOn(value, was[key])
      ? []
      : [{ kind: 'script-settings', op: 'change', subject: key, line: `~ ${key} changed` }],
  )
}

/** Whether `current` has every field `wanted` sets, with the same value. */
function sameOn(wanted: unknown, current: unknown): boolean {
  if (typeof wanted !== 'object' || wanted === null || Array.isArray(wanted))
    return JSON.stringify(wanted) === JSON.stringify(current ?? null)
  if (typeof current !== 'object' || current === null) return false
  return Object.entries(wanted).every(([k, v]) =>
    sameOn(v, (current as Record<string, unknown>)[k]),
  )
}

/** Sizes in the diff's lines (plan/ does not use the reporter's formatting). */
function kib(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`
}

/** The log's lines: what the build is compared with, each change, what was not compared. */
export function formatDiff(diff: VersionDiff): string[] {
  const lines = [
    diff.changes.length === 0
      ? `diff against ${diff.against}: no changes`
      : `diff against ${diff.against}: ${plural(diff.changes.length, 'change')}`,
    ...diff.changes.map((c) => `  ${c.line}`),
  ]
  for (const item of diff.kept) lines.push(`  kept: ${item}`)
  for (const gap of diff.notCompared) lines.push(`  not compared: ${gap}`)
  return lines
}
