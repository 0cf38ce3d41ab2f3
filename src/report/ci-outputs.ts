import { randomBytes } from 'node:crypto'
import { appendFile } from 'node:fs/promises'
import type { VersionResult } from '../core/body.js'
import type { Redactor } from '../core/redact.js'

/**
 * Appends the step outputs for GitHub Actions (`$GITHUB_OUTPUT`) in one write: version id,
 * number (when known), first preview URL and, after a deployment, the traffic split. Every value comes from
 * the server, so none may add an output of its own: see {@link outputEntry}. Values are redacted
 * first, so a secret split over lines is still found.
 */
export async function writeCiOutputs(
  file: string,
  result: Pick<VersionResult, 'id'> & Partial<VersionResult>,
  redactor: Redactor,
  traffic?: ReadonlyArray<{ version_id: string; percentage: number }>,
  /** A gated rollout's steps on one line, e.g. `0% checked; 10% passed (…); 100% deployed`. */
  rollout?: string,
): Promise<void> {
  // A version deployed and then not read back is known by its id: its number is left out, not guessed.
  const entries: Array<[string, string]> = [
    ['version-id', String(result.id)],
    ...(typeof result.number === 'number'
      ? [['version-number', String(result.number)] as [string, string]]
      : []),
  ]
  const preview = Array.isArray(result.urls)
    ? result.urls.find((url): url is string => typeof url === 'string')
    : undefined
  if (preview !== undefined) entries.push(['preview-url', preview])
  if (traffic)
    entries.push(['traffic', traffic.map((t) => `${t.version_id}:${t.percentage}`).join(',')])
  if (rollout !== undefined) entries.push(['rollout', rollout])
  await appendFile(
    file,
    entries.map(([name, value]) => outputEntry(name, redactor.redact(value))).join(''),
  )
}

const LINE_BREAK = /[\r\n]/

/**
 * One output in the file's documented syntax. A value on one line is `name=value`. A value with a
 * line break would end that line and start another output, so it is written as
 * `name<<DELIMITER`, its lines, then `DELIMITER`, with a random delimiter that does not occur in
 * the value: no line of the value can end it early. (A CR counts as a break too: the runner on
 * Windows splits lines at CRLF.)
 */
export function outputEntry(name: string, value: string): string {
  if (!LINE_BREAK.test(value)) return `${name}=${value}\n`
  let delimiter: string
  do delimiter = `workers_version_${randomBytes(12).toString('hex')}`
  while (value.includes(delimiter))
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`
}

/** What a Preview deployment reports; every value already checked by the API client (ids UUIDs, URLs https or loopback http). */
export interface PreviewOutputs {
  name: string
  previewId: string
  deploymentId: string
  /** The stable Preview URL: the latest deployment, this one until the next push. */
  previewUrl?: string
  /** This deployment's own URL, which keeps serving it. */
  deploymentUrl?: string
}

/**
 * Appends a Preview deployment's step outputs: `preview-name`, `preview-id`, `preview-deployment-id`,
 * `preview-url`, `preview-deployment-url` and `deployment-url` (the URL serving exactly this build),
 * each through {@link outputEntry}, redacted first.
 */
export async function writePreviewCiOutputs(
  file: string,
  preview: PreviewOutputs,
  redactor: Redactor,
): Promise<void> {
  const entries: Array<[string, string | undefined]> = [
    ['preview-name', preview.name],
    ['preview-id', preview.previewId],
    ['preview-deployment-id', preview.deploymentId],
    ['preview-url', preview.previewUrl],
    ['preview-deployment-url', preview.deploymentUrl],
    ['deployment-url', preview.deploymentUrl],
  ]
  await appendFile(
    file,
    entries
      .flatMap(([name, value]) =>
        value === undefined ? [] : [outputEntry(name, redactor.redact(value))],
      )
      .join(''),
  )
}
