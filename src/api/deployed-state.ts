/**
 * The reads that show what a deploy would change: the deployed version's content and the Worker's
 * triggers and settings as they are now. Each is a GET, retried under the shared policy; a Worker
 * that does not exist answers `undefined`. Binding values never leave this file: the version's
 * bindings are reduced to their targets (core/binding-target.ts) as they are read.
 */
import { createHash } from 'node:crypto'
import { bindingTarget, type BindingTarget } from '../core/binding-target.js'
import { isRecord } from '../core/guards.js'
import { POLICY } from './policy.js'
import { accountPath, asRecords, callApi, type ApiCallContext } from './request.js'

/** A module reduced to what a diff compares. */
export interface ModuleDigest {
  name: string
  size: number
  sha256: string
}

export interface DeployedVersion {
  id: string
  mainModule?: string
  compatibilityDate?: string
  compatibilityFlags: string[]
  bindings: BindingTarget[]
  /** Undefined when the API gave none (it gives a version's modules only with their contents). */
  modules?: ModuleDigest[]
}

/**
 * `GET …/workers/workers/{w}/versions/{id}?include=modules`: the version with its modules, which are
 * reduced to name, size and digest at once (the contents are not kept).
 */
export async function getDeployedVersion(
  ctx: ApiCallContext,
  worker: string,
  versionId: string,
): Promise<DeployedVersion | undefined> {
  const result = await callApi(ctx, {
    method: 'GET',
    path: accountPath(ctx.accountId, 'workers', worker, 'versions', versionId),
    query: { include: 'modules' },
    what: `Get the deployed version ${versionId} of Worker ${JSON.stringify(worker)}`,
    worker,
    idempotent: true,
    absentIsUndefined: true,
    maxResponseBytes: POLICY.maxModulesResponseBytes,
  })
  if (!isRecord(result)) return undefined
  const flags = Array.isArray(result.compatibility_flags)
    ? result.compatibility_flags.filter((f): f is string => typeof f === 'string')
    : []
  const version: DeployedVersion = {
    id: typeof result.id === 'string' ? result.id : versionId,
    compatibilityFlags: flags,
    bindings: asRecords(result.bindings).flatMap((b) => bindingTarget(b) ?? []),
  }
  if (typeof result.main_module === 'string') version.mainModule = result.main_module
  if (typeof result.compatibility_date === 'string')
    version.compatibilityDate = result.compatibility_date
  if (Array.isArray(result.modules))
    version.modules = asRecords(result.modules).flatMap((m) => {
      if (typeof m.name !== 'string' || typeof m.content_base64 !== 'string') return []
      const bytes = Buffer.from(m.content_base64, 'base64')
      return [
        {
          name: m.name,
          size: bytes.byteLength,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        },
      ]
    })
  return version
}

/** `GET …/scripts/{w}/routes`: the patterns of the Worker's zone routes. */
export async function listScriptRoutes(
  ctx: ApiCallContext,
  worker: string,
): Promise<string[] | undefined> {
  const result = await read(ctx, worker, ['scripts', worker, 'routes'], 'routes')
  return result === undefined ? undefined : patterns(asRecords(result), 'pattern')
}

/** `GET …/workers/domains?service={w}`: the hostnames of the Worker's Custom Domains. */
export async function listCustomDomains(ctx: ApiCallContext, worker: string): Promise<string[]> {
  const result = await callApi(ctx, {
    method: 'GET',
    path: accountPath(ctx.accountId, 'domains'),
    query: { service: worker },
    what: `List the Custom Domains of Worker ${JSON.stringify(worker)}`,
    worker,
    idempotent: true,
  })
  // The filter is the API's; a domain of another Worker is left out here too, whatever it answered.
  return patterns(
    asRecords(result).filter((d) => d.service === worker),
    'hostname',
  )
}

/** `GET …/scripts/{w}/schedules`: the Worker's cron expressions. */
export async function listSchedules(
  ctx: ApiCallContext,
  worker: string,
): Promise<string[] | undefined> {
  const result = await read(ctx, worker, ['scripts', worker, 'schedules'], 'cron schedules')
  if (result === undefined) return undefined
  return patterns(asRecords(isRecord(result) ? result.schedules : result), 'cron')
}

/** `GET …/scripts/{w}/subdomain`: the workers.dev and Preview URLs switches. */
export async function getWorkersDev(
  ctx: ApiCallContext,
  worker: string,
): Promise<{ enabled: boolean; previews_enabled?: boolean } | undefined> {
  const result = await read(ctx, worker, ['scripts', worker, 'subdomain'], 'workers.dev switch')
  if (!isRecord(result) || typeof result.enabled !== 'boolean') return undefined
  return {
    enabled: result.enabled,
    ...(typeof result.previews_enabled === 'boolean' && {
      previews_enabled: result.previews_enabled,
    }),
  }
}

/** `GET …/scripts/{w}/script-settings`: the settings a deploy patches (observability, logpush, tail consumers). */
export async function getScriptSettings(
  ctx: ApiCallContext,
  worker: string,
): Promise<Record<string, unknown> | undefined> {
  const result = await read(ctx, worker, ['scripts', worker, 'script-settings'], 'script settings')
  return isRecord(result) ? result : undefined
}

function read(ctx: ApiCallContext, worker: string, path: string[], what: string): Promise<unknown> {
  return callApi(ctx, {
    method: 'GET',
    path: accountPath(ctx.accountId, ...path),
    what: `Read the ${what} of Worker ${JSON.stringify(worker)}`,
    worker,
    idempotent: true,
    absentIsUndefined: true,
  })
}

function patterns(records: Record<string, unknown>[], field: string): string[] {
  return records.flatMap((r) => (typeof r[field] === 'string' ? [r[field]] : [])).sort()
}
