/**
 * What a promote to 100% applies after its deployment, as `wrangler deploy` (4.164) does after it
 * deploys through the versions API: the script settings, then workers.dev and Preview URLs, routes,
 * Custom Domains, cron schedules, queue consumers and Workflows, in that order. The plan settles
 * the steps here, without I/O (every build writes them as `deploy-steps.json`); `deploy/triggers.ts`
 * sends them after the deployment.
 *
 * Only a promote to 100% applies them, as only `wrangler deploy` does (`wrangler versions deploy`,
 * the gradual path, applies none): routes, schedules and consumers are not versioned, so they would
 * act for the whole Worker while most traffic still runs the previous version.
 */
import type { UrlTransformations } from '../options/types.js'
import type { DeploySettings } from '../wrangler/deploy-settings.js'

/** One call as a dry run lists it; `{…}` in a path stands for an id looked up first. */
export interface PlannedCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH'
  path: string
  query?: Record<string, string>
  body?: unknown
}

interface StepBase {
  /** Names the step in the summary and in a failure. */
  title: string
  /** What the summary lists once the step is applied. */
  targets: string[]
}

/** One step; each kind carries what its requests need. */
export type DeployStep = StepBase &
  (
    | { kind: 'script-settings'; body: Record<string, unknown> }
    | { kind: 'workers-dev'; body: { enabled: boolean; previews_enabled?: boolean } }
    | { kind: 'routes'; routes: Array<{ pattern: string; zone_id?: string; zone_name?: string }> }
    | { kind: 'custom-domains'; body: Record<string, unknown> }
    | { kind: 'schedules'; crons: string[] }
    | {
        kind: 'queue-consumers'
        consumers: Array<{ queue: string; body: Record<string, unknown> }>
      }
    | { kind: 'workflows'; workflows: Array<{ name: string; body: Record<string, unknown> }> }
    | { kind: 'url-transformations'; body: UrlTransformations }
  )

/**
 * The steps `settings` call for, in wrangler's order; a step with nothing to do is left out, except
 * the two wrangler always sends: the script settings (observability is turned off when the config
 * has none) and the workers.dev switch (on by default unless routes are configured).
 */
export function planDeploySteps(settings: DeploySettings, script: string): DeployStep[] {
  const steps: DeployStep[] = []
  const scriptSettings: Record<string, unknown> = {
    observability: settings.observability ?? { enabled: false },
  }
  if (settings.tailConsumers !== undefined) scriptSettings.tail_consumers = settings.tailConsumers
  if (settings.logpush !== undefined) scriptSettings.logpush = settings.logpush
  steps.push({
    kind: 'script-settings',
    title: 'script settings',
    body: scriptSettings,
    targets: Object.keys(scriptSettings).sort(),
  })

  const domains = settings.routes.filter((r) => r.custom_domain === true)
  const routes = settings.routes.filter((r) => r.custom_domain !== true)
  // wrangler's default: workers.dev is on unless the Worker has routes or Custom Domains.
  const enabled = settings.workersDev ?? settings.routes.length === 0
  const subdomain = {
    enabled,
    ...(settings.previewUrls !== undefined && { previews_enabled: settings.previewUrls }),
  }
  const switches = [
    `workers.dev ${enabled ? 'on' : 'off'}`,
    ...(settings.previewUrls === undefined
      ? []
      : [`Preview URLs ${settings.previewUrls ? 'on' : 'off'}`]),
  ]
  steps.push({
    kind: 'workers-dev',
    title: 'workers.dev and Preview URLs',
    body: subdomain,
    targets: switches,
  })

  if (routes.length > 0) {
    const list = routes.map((r) =>
      withoutUndefined({ pattern: r.pattern, zone_id: r.zone_id, zone_name: r.zone_name }),
    )
    steps.push({
      kind: 'routes',
      title: 'routes',
      routes: list,
      targets: routes.map((r) => r.pattern),
    })
  }
  if (domains.length > 0) {
    const origins = domains.map((d) =>
      withoutUndefined({
        hostname: d.pattern,
        zone_id: d.zone_id,
        zone_name: d.zone_name,
        enabled: d.enabled,
        previews_enabled: d.previews_enabled,
      }),
    )
    // An origin or DNS record that already points elsewhere is not taken over: that is a decision for a person.
    const body = {
      override_scope: true,
      override_existing_origin: false,
      override_existing_dns_record: false,
      origins,
    }
    steps.push({
      kind: 'custom-domains',
      title: 'Custom Domains',
      body,
      targets: domains.map((d) => d.pattern),
    })
  }
  if (settings.crons !== undefined) {
    const targets =
      settings.crons.length === 0
        ? ['no schedules (removed)']
        : settings.crons.map((cron) => `schedule: ${cron}`)
    steps.push({ kind: 'schedules', title: 'cron schedules', crons: settings.crons, targets })
  }
  if (settings.queueConsumers.length > 0) {
    const consumers = settings.queueConsumers.map((c) => ({
      queue: c.queue,
      body: {
        type: 'worker',
        ...(c.dead_letter_queue !== undefined && { dead_letter_queue: c.dead_letter_queue }),
        script_name: script,
        settings: withoutUndefined({
          batch_size: c.max_batch_size,
          max_retries: c.max_retries,
          max_wait_time_ms:
            c.max_batch_timeout === undefined ? undefined : c.max_batch_timeout * 1000,
          max_concurrency: c.max_concurrency,
          retry_delay: c.retry_delay,
        }),
      },
    }))
    steps.push({
      kind: 'queue-consumers',
      title: 'queue consumers',
      consumers,
      targets: consumers.map((c) => `consumer of ${c.queue}`),
    })
  }
  if (settings.workflows.length > 0) {
    const workflows = settings.workflows.map((w) => ({
      name: w.name,
      body: withoutUndefined({
        script_name: script,
        class_name: w.class_name,
        limits: w.limits,
        concurrency: w.concurrency,
        schedules:
          w.schedules === undefined
            ? undefined
            : (Array.isArray(w.schedules) ? w.schedules : [w.schedules]).map((cron) => ({ cron })),
        default_retention: w.default_retention,
        jurisdiction: w.jurisdiction,
      }),
    }))
    steps.push({
      kind: 'workflows',
      title: 'Workflows',
      workflows,
      targets: workflows.map((w) => `workflow: ${w.name}`),
    })
  }
  if (settings.urlTransformations) steps.push(urlTransformationsStep(settings.urlTransformations))
  return steps
}

/**
 * `images.url_transformations` (or the `images.urlTransformations` option): the last step, sent once
 * the others are applied, as wrangler 4.168 sets it after the Worker's triggers (deploy/triggers.ts).
 */
export function urlTransformationsStep(body: UrlTransformations): DeployStep {
  const origins = body.allowed_origins
  return {
    kind: 'url-transformations',
    title: 'image URL transformations',
    body,
    targets: [
      `${body.enabled ? 'on' : 'off'}${origins === undefined ? '' : `, origins: ${origins.length === 0 ? 'none' : origins.join(', ')}`}`,
    ],
  }
}

/** The calls a step makes, for `deploy-steps.json`; ids looked up at run time appear as `{…}`. */
export function plannedCalls(step: DeployStep, script: string, accountId: string): PlannedCall[] {
  const scripts = `/accounts/${accountId}/workers/scripts/${script}`
  switch (step.kind) {
    case 'script-settings':
      return [{ method: 'PATCH', path: `${scripts}/script-settings`, body: step.body }]
    case 'workers-dev':
      return [{ method: 'POST', path: `${scripts}/subdomain`, body: step.body }]
    case 'routes':
      return [{ method: 'PUT', path: `${scripts}/routes`, body: step.routes }]
    case 'custom-domains':
      return [{ method: 'PUT', path: `${scripts}/domains/records`, body: step.body }]
    case 'schedules':
      return [
        { method: 'PUT', path: `${scripts}/schedules`, body: step.crons.map((cron) => ({ cron })) },
      ]
    case 'queue-consumers':
      return step.consumers.flatMap(({ queue, body }) => [
        { method: 'GET', path: `/accounts/${accountId}/queues`, query: { page: '1', name: queue } },
        // POST when the Worker does not consume the queue yet, PUT …/consumers/{its consumer id} when it does.
        {
          method: 'POST',
          path: `/accounts/${accountId}/queues/{queue id of ${queue}}/consumers`,
          body,
        },
      ])
    case 'url-transformations':
      return [
        {
          method: 'PUT',
          path: `/accounts/${accountId}/settings/transformations/workers/${script}`,
          body: step.body,
        },
      ]
    case 'workflows':
      return step.workflows.flatMap(({ name, body }): PlannedCall[] => [
        { method: 'GET', path: `/accounts/${accountId}/workflows/${name}` },
        { method: 'PUT', path: `/accounts/${accountId}/workflows/${name}`, body },
      ])
  }
}

function withoutUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}
