/**
 * The current state of what a promote attaches the Worker to outside its own settings: the queues
 * it consumes and the Workflows it runs. Read for the diff (deploy/diff.ts) with the same
 * endpoints the deploy's steps use (api/triggers.ts), but as whole lists, so that a consumer or a
 * Workflow the config no longer names is seen too.
 */
import { isRecord } from '../core/guards.js'
import { accountRoot, asRecords, callApi, type ApiCallContext } from './request.js'

/** A queue of the account, with the Worker's consumer of it when it has one. */
export interface QueueState {
  name: string
  /** This Worker's consumer: its settings and dead-letter queue as the API gives them. */
  consumer?: { settings: Record<string, unknown>; dead_letter_queue?: string }
  /** The Worker that consumes the queue when it is another one (a queue has one Worker consumer). */
  otherWorker?: string
}

/** A Workflow of the account: its name, and the Worker and class that run it. */
export interface WorkflowState {
  name: string
  script_name?: string
  class_name?: string
}

/** Who a consumer record names: wrangler reads `script` (or `service`); the API's schema also gives `script_name`. */
function consumerScript(consumer: Record<string, unknown>): string | undefined {
  for (const field of ['script', 'script_name', 'service'])
    if (typeof consumer[field] === 'string') return consumer[field]
  return undefined
}

/**
 * `GET /accounts/{a}/queues`: every queue of the account with its consumers, in one answer (List
 * Queues is not paginated: Cloudflare's SDKs read it as a single page). The deploy looks each
 * queue up by name on the same endpoint (`?name=`).
 */
export async function listQueueStates(ctx: ApiCallContext, worker: string): Promise<QueueState[]> {
  const result = await callApi(ctx, {
    method: 'GET',
    path: accountRoot(ctx.accountId, 'queues'),
    what: 'List the queues of the account and their consumers',
    worker,
    idempotent: true,
  })
  return asRecords(result).flatMap((queue): QueueState[] => {
    if (typeof queue.queue_name !== 'string') return []
    const workers = asRecords(queue.consumers).filter((c) => c.type === 'worker')
    const mine = workers.find((c) => consumerScript(c) === worker)
    const other = workers.map(consumerScript).find((s) => s !== undefined && s !== worker)
    return [
      {
        name: queue.queue_name,
        ...(mine && {
          consumer: {
            settings: isRecord(mine.settings) ? mine.settings : {},
            // The API gives an empty string for a consumer without one.
            ...(typeof mine.dead_letter_queue === 'string' &&
              mine.dead_letter_queue !== '' && { dead_letter_queue: mine.dead_letter_queue }),
          },
        }),
        ...(other !== undefined && { otherWorker: other }),
      },
    ]
  })
}

/** The API's largest page of Workflows. */
const WORKFLOWS_PER_PAGE = 100
/** 1,000 Workflows: an account with more is not read to the end (and the diff says so). */
const MAX_WORKFLOW_PAGES = 10

/**
 * `GET /accounts/{a}/workflows?page=…&per_page=100`, page by page (a shorter page is the last):
 * every Workflow of the account with its script and class. The deploy reads and writes each one
 * by name (`/workflows/{name}`).
 */
export async function listWorkflowStates(
  ctx: ApiCallContext,
  worker: string,
): Promise<WorkflowState[]> {
  const all: WorkflowState[] = []
  for (let page = 1; page <= MAX_WORKFLOW_PAGES; page++) {
    const result = await callApi(ctx, {
      method: 'GET',
      path: accountRoot(ctx.accountId, 'workflows'),
      query: { page: String(page), per_page: String(WORKFLOWS_PER_PAGE) },
      what: 'List the Workflows of the account',
      worker,
      idempotent: true,
    })
    const found = asRecords(result)
    for (const w of found)
      if (typeof w.name === 'string')
        all.push({
          name: w.name,
          ...(typeof w.script_name === 'string' && { script_name: w.script_name }),
          ...(typeof w.class_name === 'string' && { class_name: w.class_name }),
        })
    if (found.length < WORKFLOWS_PER_PAGE) return all
  }
  // Not an API failure: the diff's read gives up, and says why in its "not compared" line.
  throw new Error(
    `the account has more than ${MAX_WORKFLOW_PAGES * WORKFLOWS_PER_PAGE} Workflows; they were not all read`,
  )
}
