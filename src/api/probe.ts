/**
 * Sends a gated rollout's checks to one version of a Worker: a GET of the Worker's public URL with
 * `Cloudflare-Workers-Version-Overrides: <worker>="<version id>"` (an RFC 8941 dictionary whose
 * value is a string), which the platform honours for any version of the current deployment, one at
 * 0% included. No Cloudflare credential is sent: this is the Worker's own traffic.
 */
import { Agent, request } from './undici.js'

export interface ProbeAnswer {
  status: number
  /** The first 64 KiB of the body, as text. */
  text: string
}

const PROBE_TIMEOUT_MS = 30_000
const MAX_PROBE_TEXT = 64 * 1024

/** The header value: the Worker's name as a dictionary key must be a token, the version id a quoted string. */
function versionOverride(worker: string, versionId: string): string {
  return `${worker}="${versionId}"`
}

export async function probeVersion(
  url: string,
  worker: string,
  versionId: string,
): Promise<ProbeAnswer> {
  const agent = new Agent({ connections: 1 })
  try {
    const response = await request(new URL(url), {
      method: 'GET',
      headers: {
        'cloudflare-workers-version-overrides': versionOverride(worker, versionId),
        'user-agent': 'unplugin-workers-version (rollout check)',
      },
      dispatcher: agent,
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    })
    let text = ''
    for await (const chunk of response.body) {
      if (text.length < MAX_PROBE_TEXT) text += Buffer.from(chunk as Uint8Array).toString('utf8')
    }
    return { status: response.statusCode, text: text.slice(0, MAX_PROBE_TEXT) }
  } finally {
    await agent.destroy().catch(() => undefined)
  }
}
