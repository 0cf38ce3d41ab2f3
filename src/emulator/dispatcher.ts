/**
 * The runtime side of Workers for Platforms: a dispatcher Worker's `dispatch_namespace` binding
 * reaches the user Workers of the emulator's namespaces, each running in workerd of its own.
 *
 * Miniflare 4 has a `dispatchNamespaces` option, but it only proxies to a namespace on Cloudflare
 * (it needs a remote connection); nothing in it serves user Workers held locally. So the binding is
 * a wrapped binding of the emulator's own: a small router Worker, started beside the dispatcher in
 * the same workerd, whose `get(name, args, options)` returns a Fetcher. Its `fetch` goes through a
 * service binding to this process, which finds the user Worker's deployed version, starts it in the
 * version pool and hands it the request. With `outbound` configured, that user Worker's instance
 * has the outbound Worker (a Worker of the account) as its `outboundService`, and the outbound
 * Worker runs with the dispatcher's `outbound` values as bindings named by `outbound.params`.
 *
 * As on Cloudflare, `fetch` on a name that has no user Worker throws "Worker not found".
 * `limits` (CPU, subrequests) are not enforced locally.
 */
import { createHash } from 'node:crypto'
import type { MiniflareOptions, Request as MfRequest, Response as MfResponse } from 'miniflare'
import { findMiniflare } from '../workerd/miniflare.js'
import type { DispatchBinding } from './dispatch-binding.js'
import { dispatchAccount } from './dispatch-namespaces.js'
import type { Store } from './store.js'
import type { VersionPool } from './version-pool.js'
import type { RunnableVersionBody, StoredVersion, VersionBinding } from './types.js'

/** The router's request to this process: which user Worker, with which outbound values. */
const SCRIPT_HEADER = 'x-workers-version-emulator-dispatch-script'
const OUTBOUND_HEADER = 'x-workers-version-emulator-dispatch-outbound'
/** This process's answer when the namespace has no such user Worker: the router throws. */
const NOT_FOUND_HEADER = 'x-workers-version-emulator-dispatch-not-found'

const ROUTER_ROOT = '/dispatch-router'
const ROUTER_SOURCE = `
export default function (env) {
  return {
    get(name, _args, options) {
      const outbound = options && options.outbound
      return {
        async fetch(input, init) {
          const request = new Request(input, init)
          const headers = new Headers(request.headers)
          headers.set(${JSON.stringify(SCRIPT_HEADER)}, String(name))
          if (outbound !== undefined) headers.set(${JSON.stringify(OUTBOUND_HEADER)}, JSON.stringify(outbound))
          else headers.delete(${JSON.stringify(OUTBOUND_HEADER)})
          const response = await env.EMULATOR.fetch(new Request(request, { headers }))
          if (response.headers.has(${JSON.stringify(NOT_FOUND_HEADER)}))
            throw new Error('Worker not found: ' + String(name))
          return response
        },
      }
    },
  }
}
`

export class Dispatcher {
  constructor(
    private readonly store: Store,
    private readonly accountId: string,
    private readonly pool: () => VersionPool | undefined,
  ) {}

  /**
   * The dispatcher's options with each `dispatch_namespace` binding as a wrapped binding to a router
   * Worker of its own (a multi-Worker Miniflare: the version first, so it stays the entry Worker).
   */
  extend = (options: MiniflareOptions, body: RunnableVersionBody): MiniflareOptions => {
    const bindings = (body.bindings ?? []).filter(
      (b): b is VersionBinding & DispatchBinding => b.type === 'dispatch_namespace',
    )
    if (bindings.length === 0) return options
    const routers = bindings.map((binding, i) => ({
      name: `__dispatch-namespace-${i}`,
      modulesRoot: ROUTER_ROOT,
      modules: [
        { type: 'ESModule' as const, path: `${ROUTER_ROOT}/index.js`, contents: ROUTER_SOURCE },
      ],
      serviceBindings: {
        EMULATOR: (request: MfRequest) => this.#dispatch(binding, request),
      },
    }))
    const wrappedBindings = Object.fromEntries(
      bindings.map((binding, i) => [binding.name, { scriptName: `__dispatch-namespace-${i}` }]),
    )
    const { workers: _workers, ...single } = options as MiniflareOptions & { workers?: unknown }
    const version = {
      ...single,
      wrappedBindings: {
        ...(single as { wrappedBindings?: object }).wrappedBindings,
        ...wrappedBindings,
      },
    }
    return { ...single, workers: [version, ...routers] } as MiniflareOptions
  }

  async #dispatch(binding: DispatchBinding, request: MfRequest): Promise<MfResponse> {
    const { module: mf } = await findMiniflare()
    const name = request.headers.get(SCRIPT_HEADER) ?? ''
    const holder = dispatchAccount(this.accountId, binding.namespace)
    const pool = this.pool()
    const version =
      this.store.dispatch.get(this.accountId, binding.namespace) && this.#deployed(holder, name)
    if (!version || !pool)
      return new mf.Response(null, { status: 404, headers: { [NOT_FOUND_HEADER]: '1' } })

    let id = version.id
    let extra: ((options: MiniflareOptions) => MiniflareOptions) | undefined
    const outbound = binding.outbound
    if (outbound) {
      const values = parseOutbound(request.headers.get(OUTBOUND_HEADER))
      const params = Object.fromEntries(
        (outbound.params ?? [])
          .filter((p) => values[p.name] !== undefined)
          .map((p) => [p.name, values[p.name]]),
      )
      id = `${version.id}#outbound:${digest([outbound.worker.service, params])}`
      extra = (options) => ({
        ...options,
        outboundService: (outgoing: MfRequest) =>
          this.#outbound(outbound.worker.service, params, outgoing),
      })
    }
    const running = await pool.start(id, runnable(version), name, extra)
    const headers = new mf.Headers(request.headers)
    headers.delete(SCRIPT_HEADER)
    headers.delete(OUTBOUND_HEADER)
    return running.mf.dispatchFetch(request.url, {
      method: request.method,
      headers,
      body: hasBody(request.method) ? await request.arrayBuffer() : null,
      redirect: 'manual',
    })
  }

  /** A user Worker's outgoing request, sent to the outbound Worker with the dispatcher's values as bindings. */
  async #outbound(
    service: string,
    params: Record<string, unknown>,
    request: MfRequest,
  ): Promise<MfResponse> {
    const { module: mf } = await findMiniflare()
    const version = this.#deployed(this.accountId, service)
    const pool = this.pool()
    if (!version || !pool)
      return new mf.Response(
        `The outbound Worker '${service}' has no deployment in the local emulator`,
        {
          status: 502,
        },
      )
    const body = runnable(version)
    const withParams: RunnableVersionBody = {
      ...body,
      bindings: [
        ...(body.bindings ?? []).filter((b) => !(b.name in params)),
        ...Object.entries(params).map(([name, json]) => ({ type: 'json', name, json })),
      ],
    }
    const id =
      Object.keys(params).length === 0 ? version.id : `${version.id}#params:${digest(params)}`
    const running = await pool.start(id, withParams, service)
    return running.mf.dispatchFetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: hasBody(request.method) ? await request.arrayBuffer() : null,
      redirect: 'manual',
    })
  }

  /** The version serving a Worker's traffic (user Workers are always deployed whole). */
  #deployed(account: string, worker: string): StoredVersion | undefined {
    const current = this.store.currentDeployment(account, worker)
    const id = current?.versions.find((v) => v.percentage > 0)?.version_id
    return id === undefined ? undefined : this.store.version(account, worker, id)
  }
}

function runnable(version: StoredVersion): RunnableVersionBody {
  return { ...version, assets: version.request.assets as RunnableVersionBody['assets'] }
}

function parseOutbound(text: string | null): Record<string, unknown> {
  if (text === null) return {}
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {}
  } catch {
    return {}
  }
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16)
}

const hasBody = (method: string) => method !== 'GET' && method !== 'HEAD'
