import { getCACertificates, setDefaultCACertificates } from 'node:tls'
import { afterAll, beforeAll } from 'vitest'
import {
  startEmulator as startServer,
  type Emulator,
  type EmulatorOptions,
  type RecordedRequest,
} from '../../src/emulator/index.js'
import { previewOrigin, type PreviewKind } from '../../src/emulator/preview-origin.js'

/** `EMULATOR_TLS=1`: every emulator a test starts serves HTTPS (CI runs the emulator-facing tests once so). */
export const EMULATOR_TLS = process.env.EMULATOR_TLS === '1'

/**
 * The emulator as tests start it: over HTTPS when `EMULATOR_TLS=1` (unless the test sets `tls`), its
 * CA trusted by this test process as `NODE_EXTRA_CA_CERTS` would make it trusted. Nothing in the
 * plugin turns certificate checks off: its connections verify the emulator's certificate.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = await startServer({ tls: EMULATOR_TLS, ...options })
  if (emulator.tls) trustCertificate(emulator.tls.ca)
  return emulator
}

/** Adds a CA to the ones this process's TLS clients trust (undici's included), as NODE_EXTRA_CA_CERTS does at start-up. */
export function trustCertificate(pem: string): void {
  const trusted = getCACertificates('default')
  if (!trusted.includes(pem)) setDefaultCACertificates([...trusted, pem])
}

/** The variables a child process needs to trust the emulator's CA (none without TLS). */
export function caEnvironment(emulator: Emulator): Record<string, string> {
  return emulator.tls ? { NODE_EXTRA_CA_CERTS: emulator.tls.caFile } : {}
}

/**
 * One emulator for a test file, with previews on (versions really run in workerd). Like the
 * platform it refuses versions for Workers that do not exist, unless `autoCreateWorkers`. Over
 * HTTPS when `EMULATOR_TLS=1`, unless `tls` says.
 */
export function useEmulator(
  options: {
    preview?: boolean
    autoCreateWorkers?: boolean
    newAccount?: boolean
    tls?: boolean
  } = {},
): () => Emulator {
  let emulator: Emulator | undefined
  beforeAll(async () => {
    emulator = await startEmulator({
      preview: options.preview ?? true,
      autoCreateWorkers: options.autoCreateWorkers ?? false,
      newAccount: options.newAccount ?? false,
      ...(options.tls !== undefined && { tls: options.tls }),
    })
  })
  afterAll(async () => {
    await emulator?.close()
  })
  return () => {
    if (!emulator) throw new Error('emulator not started')
    return emulator
  }
}

/** Plugin options that upload to the emulator, with tight network limits so failures are quick. */
export function uploadOptions(
  emulator: Emulator,
  worker: string,
  extra: Record<string, unknown> = {},
) {
  return {
    worker,
    upload: true,
    // The tests read the plugin's output although they keep the bundlers quiet.
    logLevel: 'info' as const,
    apiToken: emulator.token,
    accountId: emulator.accountId,
    apiBaseUrl: emulator.url,
    network: {
      retries: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200 },
      timeouts: { headersMs: 5_000, deadlineMs: 20_000 },
    },
    version: { compatibility_date: '2025-01-01', compatibility_flags: ['nodejs_compat'] },
    ...extra,
  }
}

export function posts(emulator: Emulator, worker: string) {
  return emulator.requests.filter(
    (r) => r.method === 'POST' && r.path.endsWith(`/workers/workers/${worker}/versions`),
  )
}

/**
 * Upload options for a project that configures itself, as a stock template does: the Worker's name
 * and version settings come from its wrangler config, and Vite uploads in `--mode deploy`.
 */
export function projectUploadOptions(emulator: Emulator, extra: Record<string, unknown> = {}) {
  return uploadOptions(emulator, 'unused', {
    worker: undefined,
    version: undefined,
    upload: undefined,
    gitAnnotations: false,
    ...extra,
  })
}

/** The `metadata` part of a recorded multipart request (a script upload), parsed. */
export async function metadataOf(request: RecordedRequest): Promise<Record<string, unknown>> {
  const raw = request.body as string
  const boundary = /^--([^\r\n]+)/.exec(raw)?.[1]
  const form = await new Response(raw, {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  }).formData()
  return JSON.parse(String(form.get('metadata'))) as Record<string, unknown>
}

/** The URL the emulator serves a Worker Preview (`'preview'`, by slug) or a Preview deployment (`'deployment'`, by id) on. */
export function previewUrlOn(
  emulator: Emulator,
  kind: PreviewKind,
  id: string,
  worker: string,
): string {
  const origin = new URL(emulator.origin)
  return `${previewOrigin(kind, id, worker, Number(origin.port), origin.protocol as 'http:' | 'https:')}/`
}
