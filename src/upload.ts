import { relative } from 'node:path'
import { Readable } from 'node:stream'
import pc from 'picocolors'
import { createVersion, describePointer, formatVersionResult, identityOf, writeGithubOutput } from './api/index.js'
import type { VersionResult } from './core/body.js'
import { bodyByteLength, bodyChunks, toRequestBody, type VersionPayload } from './core/serialize.js'
import type { ResolvedOptions } from './options/resolve.js'
import type { BuildPlan } from './plan.js'
import { writeResultJson } from './report/files.js'
import type { Logger } from './report/logger.js'

/**
 * Creates the version from a built body and reports it. Loaded only when a build uploads,
 * so a dry run never loads the HTTP client. The body is streamed from the modules for
 * every attempt (never held whole). A failure throws and leaves `request.json` and the
 * bundle as they are.
 */
export async function uploadVersion(built: VersionPayload, plan: BuildPlan, options: ResolvedOptions, logger: Logger): Promise<VersionResult> {
  const target = plan.target!
  const payload: VersionPayload = { ...built, config: plan.uploadVersion! }
  const outline = toRequestBody(payload, false)
  logger.info(`${pc.cyan('↑')} creating a version of ${pc.bold(target.worker)} …`)
  const started = performance.now()
  const result = await createVersion({
    baseUrl: target.baseUrl,
    credentials: target.credentials,
    accountId: target.accountId,
    worker: target.worker,
    body: () => Readable.from(bodyChunks(payload)),
    contentLength: bodyByteLength(payload),
    identity: { ...identityOf(outline), modules: undefined },
    describe: (pointer) => describePointer(outline, pointer),
    timeouts: options.network.timeouts,
    retries: options.network.retries,
    log: (line) => logger.warn(pc.yellow(`  ${line}`)),
  })
  const elapsed = performance.now() - started
  logger.info(`${pc.green('✓')} created version ${pc.bold(String(result.number))} of ${pc.bold(target.worker)}`)
  for (const line of formatVersionResult(result, elapsed)) logger.info(`  ${line}`)
  const resultFile = await writeResultJson(plan.outputDir, target, result)
  logger.info(`  result: ${relative(plan.root, resultFile) || resultFile}`)
  if (process.env.GITHUB_OUTPUT) await writeGithubOutput(process.env.GITHUB_OUTPUT, result)
  await options.onVersion?.(result)
  return result
}
