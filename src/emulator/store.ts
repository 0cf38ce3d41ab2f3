/** In-memory accounts → Workers → versions. Nothing is persisted: each emulator starts empty. */
import { randomUUID } from 'node:crypto'
import { PreviewStore } from './previews.js'
import { DispatchStore, isDispatchAccount } from './dispatch-namespaces.js'
import { splitsOf } from './cohort-deployments.js'
import type { StoredDeployment, StoredVersion, StoredWorker } from './types.js'

interface WorkerEntry {
  worker: StoredWorker
  versions: StoredVersion[] // oldest first
  deployments: StoredDeployment[] // oldest first
}

export class Store {
  /** Worker Previews and their deployments. */
  readonly previews = new PreviewStore()
  /** Workers for Platforms dispatch namespaces (their user Workers are Workers of their own account key). */
  readonly dispatch = new DispatchStore()
  #workers = new Map<string, WorkerEntry>() // key: `${account}\n${name}`

  /** A Worker by name or id. */
  worker(accountId: string, nameOrId: string): StoredWorker | undefined {
    return this.#entry(accountId, nameOrId)?.worker
  }

  workers(accountId: string): StoredWorker[] {
    const prefix = `${accountId}\n`
    return [...this.#workers]
      .filter(([key]) => key.startsWith(prefix))
      .map(([, entry]) => entry.worker)
  }

  createWorker(accountId: string, name: string): StoredWorker {
    const now = new Date().toISOString()
    const worker: StoredWorker = {
      id: randomUUID().replaceAll('-', ''),
      name,
      created_on: now,
      updated_on: now,
      subdomain: { enabled: false, previews_enabled: false },
    }
    this.#workers.set(`${accountId}\n${name}`, { worker, versions: [], deployments: [] })
    return worker
  }

  /** Forgets a Worker with its versions and deployments. */
  deleteWorker(accountId: string, name: string): boolean {
    return this.#workers.delete(`${accountId}\n${name}`)
  }

  /** Newest first, like the real list endpoint. */
  versions(accountId: string, nameOrId: string): StoredVersion[] {
    return [...(this.#entry(accountId, nameOrId)?.versions ?? [])].reverse()
  }

  version(accountId: string, nameOrId: string, versionId: string): StoredVersion | undefined {
    return this.#entry(accountId, nameOrId)?.versions.find((v) => v.id === versionId)
  }

  /** Stores a version, numbering it after the Worker's previous ones (1, 2, 3, …). */
  addVersion(
    accountId: string,
    workerName: string,
    version: Omit<StoredVersion, 'number'>,
  ): StoredVersion {
    const entry = this.#entry(accountId, workerName)
    if (!entry) throw new Error(`no Worker ${workerName}`)
    const stored: StoredVersion = { ...version, number: entry.versions.length + 1 }
    entry.versions.push(stored)
    entry.worker.updated_on = stored.created_on
    return stored
  }

  /** Newest first, like the real list endpoint: the first one is the deployment serving traffic. */
  deployments(accountId: string, nameOrId: string): StoredDeployment[] {
    return [...(this.#entry(accountId, nameOrId)?.deployments ?? [])].reverse()
  }

  currentDeployment(accountId: string, nameOrId: string): StoredDeployment | undefined {
    return this.#entry(accountId, nameOrId)?.deployments.at(-1)
  }

  addDeployment(
    accountId: string,
    workerName: string,
    deployment: StoredDeployment,
  ): StoredDeployment {
    const entry = this.#entry(accountId, workerName)
    if (!entry) throw new Error(`no Worker ${workerName}`)
    entry.deployments.push(deployment)
    entry.worker.updated_on = deployment.created_on
    return deployment
  }

  setMigrationTag(accountId: string, workerName: string, tag: string): void {
    const entry = this.#entry(accountId, workerName)
    if (entry) entry.worker.migration_tag = tag
  }

  /**
   * Every Worker's current deployment, for keeping their versions running. A namespace's user
   * Workers are left out: only a dispatcher reaches them, so they run on demand among the few most
   * recently used, and a platform's many user Workers do not each keep a workerd running.
   */
  deployedVersionIds(): Set<string> {
    const ids = new Set<string>()
    for (const [key, entry] of this.#workers)
      if (!isDispatchAccount(key.slice(0, key.indexOf('\n'))))
        for (const split of splitsOf(entry.deployments.at(-1)))
          for (const v of split) ids.add(v.version_id)
    return ids
  }

  /** Any account's version by id (preview URLs carry only the id). */
  findVersion(versionId: string): StoredVersion | undefined {
    for (const entry of this.#workers.values()) {
      const found = entry.versions.find((v) => v.id === versionId)
      if (found) return found
    }
    return undefined
  }

  #entry(accountId: string, nameOrId: string): WorkerEntry | undefined {
    const byName = this.#workers.get(`${accountId}\n${nameOrId}`)
    if (byName) return byName
    const prefix = `${accountId}\n`
    for (const [key, entry] of this.#workers)
      if (key.startsWith(prefix) && entry.worker.id === nameOrId) return entry
    return undefined
  }
}
