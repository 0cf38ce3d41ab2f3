/**
 * Each preview has an origin of its own, as on Cloudflare (`<version-id-prefix>-<worker>.<subdomain>.workers.dev`):
 * here `http://<label>-<worker>.localhost:<port>`. Browsers resolve every `*.localhost` name to
 * loopback, so a page, its absolute asset URLs (`/assets/…`), its redirects and its client-side
 * routes all stay inside the preview, which a path prefix (`/preview/<id>/`) could not offer.
 */

/** What a preview host serves: one version, one deployment's traffic split, or a Worker Preview (alias). */
export type PreviewKind = 'version' | 'deployment' | 'preview'

/** How many characters of a version or deployment id name its host, as in Cloudflare's preview URLs. */
const ID_PREFIX_LENGTH = 8
const SUFFIX = '.localhost'

/** The origin (no trailing slash) that serves `id` of `worker` on the emulator listening on `port` (https when it serves TLS). */
export function previewOrigin(
  kind: PreviewKind,
  id: string,
  worker: string,
  port: number,
  protocol: 'http:' | 'https:' = 'http:',
): string {
  const label = kind === 'preview' ? id : id.slice(0, ID_PREFIX_LENGTH)
  return `${protocol}//${label}-${worker}.localhost:${port}`
}

/**
 * The `<label>-<worker>` part of a `Host` header naming a preview (`ab12cd34-my-worker` of
 * `ab12cd34-my-worker.localhost:8787`), or undefined for any other host (`127.0.0.1:…`, the API's).
 */
export function previewHostLabel(host: string | undefined): string | undefined {
  if (host === undefined) return undefined
  const name = host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '')
  if (!name.endsWith(SUFFIX)) return undefined
  const label = name.slice(0, -SUFFIX.length)
  return label === '' || label.includes('.') ? undefined : label
}

/** Every reading of `<id>-<worker>`: Worker names may hold hyphens, so the split is not unique. */
export function splitPreviewLabel(label: string): Array<{ id: string; worker: string }> {
  const readings: Array<{ id: string; worker: string }> = []
  for (let i = label.indexOf('-'); i > 0 && i < label.length - 1; i = label.indexOf('-', i + 1)) {
    readings.push({ id: label.slice(0, i), worker: label.slice(i + 1) })
  }
  return readings
}

/** Whether `fullId` is the one a host's id part names (its first characters, for versions and deployments). */
export function idMatches(kind: PreviewKind, fullId: string, named: string): boolean {
  return kind === 'preview'
    ? fullId === named
    : named.length === ID_PREFIX_LENGTH && fullId.toLowerCase().startsWith(named)
}
