/**
 * Queue consumers and Workflows in the diff, without I/O: what the promote's steps will do to them
 * (plan/triggers.ts), against the account's queues and Workflows as read (api/deployed-attachments.ts).
 *
 * The deploy creates or updates each consumer and Workflow the config names, and removes none: a
 * consumer of a queue the config no longer lists, or a Workflow of this Worker it no longer names,
 * stays as it is. Those are not changes; they are listed as `kept`, with how to remove them.
 */
import type { QueueState, WorkflowState } from '../api/deployed-attachments.js'
import type { Change } from './diff-change.js'
import type { DeployStep } from './triggers.js'

type ConsumersStep = Extract<DeployStep, { kind: 'queue-consumers' }>
type WorkflowsStep = Extract<DeployStep, { kind: 'workflows' }>

export interface AttachmentChanges {
  changes: Change[]
  /** What the deploy leaves in place though the config no longer names it. */
  kept: string[]
}

/** Undefined `queues`: not read (the reason is already a "not compared" line), unless the Worker is new. */
export function consumerChanges(
  step: ConsumersStep,
  queues: readonly QueueState[] | undefined,
): AttachmentChanges {
  if (!queues) return { changes: [], kept: [] }
  const worker = scriptOf(step.consumers)
  const byName = new Map(queues.map((q) => [q.name, q]))
  const changes: Change[] = []
  for (const { queue, body } of step.consumers) {
    const subject = `consumer of ${queue}`
    const wanted = consumerFields(body)
    const found = byName.get(queue)
    if (!found) {
      changes.push({
        kind: 'queue-consumer',
        op: 'add',
        subject,
        line: `+ queue consumer of ${queue} (the queue does not exist: the deploy's consumer step will fail)`,
      })
    } else if (!found.consumer) {
      const taken =
        found.otherWorker === undefined
          ? ''
          : `; the queue's Worker consumer is ${JSON.stringify(found.otherWorker)}, and a queue has only one`
      changes.push({
        kind: 'queue-consumer',
        op: 'add',
        subject,
        line: `+ queue consumer of ${queue}${describe(wanted)}${taken}`,
      })
    } else {
      const current: Record<string, unknown> = {
        ...found.consumer.settings,
        dead_letter_queue: found.consumer.dead_letter_queue,
      }
      // Compared on the fields the deploy sends: the API fills in defaults for the others.
      const differ = Object.entries(wanted).filter(([k, v]) => current[k] !== v)
      if (differ.length > 0)
        changes.push({
          kind: 'queue-consumer',
          op: 'change',
          subject,
          line: `~ queue consumer of ${queue}: ${differ.map(([k, v]) => `${k} ${show(current[k])} → ${show(v)}`).join(', ')}`,
        })
    }
  }
  const named = new Set(step.consumers.map((c) => c.queue))
  const kept = queues
    .filter((q) => q.consumer && !named.has(q.name))
    .map(
      (q) =>
        `queue consumer of ${q.name}: not in the config, and the deploy does not remove it (\`wrangler queues consumer remove ${q.name} ${worker}\` does)`,
    )
  return { changes, kept }
}

/** The Worker the step's bodies name (each carries `script_name`: the Worker being deployed). */
function scriptOf(entries: ReadonlyArray<{ body: Record<string, unknown> }>): string {
  const name = entries[0]?.body.script_name
  return typeof name === 'string' ? name : ''
}

/** The settings and dead-letter queue a consumer body sets, flat, as the diff names them. */
function consumerFields(body: Record<string, unknown>): Record<string, unknown> {
  const settings =
    typeof body.settings === 'object' && body.settings !== null
      ? (body.settings as Record<string, unknown>)
      : {}
  return {
    ...settings,
    ...(body.dead_letter_queue !== undefined && { dead_letter_queue: body.dead_letter_queue }),
  }
}

function describe(fields: Record<string, unknown>): string {
  const parts = Object.entries(fields).map(([k, v]) => `${k} ${show(v)}`)
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`
}

function show(value: unknown): string {
  return value === undefined || value === null ? '(none)' : String(value)
}

/** Undefined `workflows`: not read (the reason is already a "not compared" line). */
export function workflowChanges(
  step: WorkflowsStep,
  workflows: readonly WorkflowState[] | undefined,
): AttachmentChanges {
  if (!workflows) return { changes: [], kept: [] }
  const worker = scriptOf(step.workflows)
  const byName = new Map(workflows.map((w) => [w.name, w]))
  const changes: Change[] = []
  for (const { name, body } of step.workflows) {
    const className = typeof body.class_name === 'string' ? body.class_name : undefined
    const found = byName.get(name)
    const subject = name
    if (!found) {
      changes.push({
        kind: 'workflow',
        op: 'add',
        subject,
        line: `+ Workflow ${name} (class ${className ?? '(none)'})`,
      })
    } else if (found.script_name !== undefined && found.script_name !== worker) {
      // deploy/triggers.ts refuses to take over another Worker's Workflow (WORKFLOW_TAKEN).
      changes.push({
        kind: 'workflow',
        op: 'change',
        subject,
        line: `~ Workflow ${name}: belongs to Worker ${JSON.stringify(found.script_name)}, so the deploy's Workflows step will refuse it`,
      })
    } else if (className !== undefined && found.class_name !== className) {
      changes.push({
        kind: 'workflow',
        op: 'change',
        subject,
        line: `~ Workflow ${name}: class ${found.class_name ?? '(none)'} → ${className}`,
      })
    }
  }
  const named = new Set(step.workflows.map((w) => w.name))
  const kept = workflows
    .filter((w) => w.script_name === worker && !named.has(w.name))
    .map(
      (w) =>
        `Workflow ${w.name} (class ${w.class_name ?? '(none)'}): not in the config, and the deploy does not delete it (\`wrangler workflows delete ${w.name}\` does)`,
    )
  return { changes, kept }
}
