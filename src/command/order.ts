/** A Worker to deploy, by name, with the names of the Workers its bindings call. */
export interface Dependent {
  name: string
  /** Names of Workers it binds (services, Durable Objects of another Worker, tail consumers…). */
  needs: readonly string[]
}

/**
 * The Workers in deploy order: a Worker after every Worker of this deployment that it binds, so a
 * binding never names a Worker this deployment has not created yet. Otherwise the given order is
 * kept. A cycle cannot be ordered: its Workers keep their given order, and are returned as `cycle`
 * (the first of them is then deployed before a Worker it binds, which must already exist).
 */
export function deployOrder<T extends Dependent>(
  workers: readonly T[],
): { order: T[]; cycle: T[] } {
  const byName = new Map(workers.map((w) => [w.name, w]))
  const order: T[] = []
  const state = new Map<T, 'visiting' | 'done'>()
  const cycle = new Set<T>()
  const visit = (worker: T, path: T[]) => {
    const seen = state.get(worker)
    if (seen === 'done') return
    if (seen === 'visiting') {
      for (const member of path.slice(path.indexOf(worker))) cycle.add(member)
      return
    }
    state.set(worker, 'visiting')
    for (const name of worker.needs) {
      const target = byName.get(name)
      if (target && target !== worker) visit(target, [...path, worker])
    }
    state.set(worker, 'done')
    order.push(worker)
  }
  for (const worker of workers) visit(worker, [])
  return { order, cycle: workers.filter((w) => cycle.has(w)) }
}

/** The Worker names a version's bindings call: services, Durable Objects of another script, and Workflows of another script. */
export function boundWorkers(
  bindings: ReadonlyArray<{ type: string; [key: string]: unknown }> | undefined,
): string[] {
  const names = new Set<string>()
  for (const binding of bindings ?? []) {
    const target =
      binding.type === 'service'
        ? binding.service
        : binding.type === 'durable_object_namespace' || binding.type === 'workflow'
          ? binding.script_name
          : undefined
    if (typeof target === 'string' && target !== '') names.add(target)
  }
  return [...names]
}
