/** How stored Workers and versions look in API responses. */
import type { StoredVersion, VersionBinding } from './types.js'

/** Fields of the body the emulator models itself; everything else is echoed back as uploaded. */
const MODELLED = new Set([
  'modules',
  'bindings',
  'annotations',
  'main_module',
  'compatibility_date',
  'compatibility_flags',
])

/** Secret values are write-only, as on the real API. */
export function redactBindings(bindings: VersionBinding[]): VersionBinding[] {
  return bindings.map((b) => (b.type === 'secret_text' ? { type: b.type, name: b.name } : b))
}

export function versionResult(
  version: StoredVersion,
  withModules: boolean,
): Record<string, unknown> {
  const echoed = Object.fromEntries(
    Object.entries(version.request).filter(([key]) => !MODELLED.has(key)),
  )
  return {
    ...echoed,
    id: version.id,
    number: version.number,
    created_on: version.created_on,
    urls: version.urls,
    startup_time_ms: version.startup_time_ms,
    annotations: version.annotations,
    main_module: version.main_module,
    bindings: redactBindings(version.bindings),
    ...(version.compatibility_date === undefined
      ? {}
      : { compatibility_date: version.compatibility_date }),
    ...(version.compatibility_flags === undefined
      ? {}
      : { compatibility_flags: version.compatibility_flags }),
    source: 'api',
    ...(withModules ? { modules: version.modules } : {}),
  }
}
