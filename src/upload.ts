import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { Readable } from 'node:stream'
import pc from 'picocolors'
import { createVersion, describePointer, identityOf, formatVersionResult, writeGithubOutput } from './api/index.js'
import type { VersionRequestBody, VersionResult } from './core/body.js'
import type { BuiltVersion } from './core/pipeline.js'
import type { Logger } from './core/report.js'
import { bodyByteLength, bodyChunks, type VersionPayload } from './core/serialize.js'
import type { ResolvedOptions } from './options/index.js'
import type { UploadTarget } from './options/upload-target.js'

/** The body as error messages and the lost-response lookup see it: names and config, no module contents. */
function outline(payload: VersionPayload): VersionRequestBody {
  return {
    main_module: payload.mainModule,
    ...payload.config,
    modules: payload.modules.map((m) => ({ name: m.name, content_type: m.content_type, content_base64: '' })),
  }
}

async function writeResultJson(outputDir: string, target: UploadTarget, result: VersionResult): Promise<string> {
  await mkdir(outputDir, { recursive: true })
  const file = join(outputDir, 'result.json')
  const content = { account_id: target.accountId, worker: target.worker, result }
  await writeFile(`${file}.partial`, `${JSON.stringify(content, null, 2)}\n`)
  await rename(`${file}.partial`, file)
  return file
}

/**
 * Creates the version from a built body and reports it. The body is streamed from the
 * modules for every attempt (never held whole); secrets are read from the environment
 * only now. A failure throws and leaves `request.json` and the bundle as they are.
 */
export async function uploadVersion(
  built: BuiltVersion,
  target: UploadTarget,
  options: ResolvedOptions,
  io: { root: string; logger: Logger },
): Promise<VersionResult> {
  const payload: VersionPayload = { ...built.payload, config: options.uploadConfig() }
  const described = outline(payload)
  io.logger.info(`${pc.cyan('↑')} creating a version of ${pc.bold(target.worker)} …`)
  const started = performance.now()
  const result = await createVersion({
    baseUrl: target.baseUrl,
    credentials: target.credentials,
    accountId: target.accountId,
    worker: target.worker,
    body: () => Readable.from(bodyChunks(payload)),
    contentLength: bodyByteLength(payload),
    identity: { ...identityOf(described), modules: undefined },
    describe: (pointer) => describePointer(described, pointer),
    timeouts: options.raw.network?.timeouts,
    retries: options.raw.network?.retries,
    log: (line) => io.logger.warn(pc.yellow(`  ${line}`)),
  })
  const elapsed = performance.now() - started
  io.logger.info(`${pc.green('✓')} created version ${pc.bold(String(result.number))} of ${pc.bold(target.worker)}`)
  for (const line of formatVersionResult(result, elapsed)) io.logger.info(`  ${line}`)
  const resultFile = await writeResultJson(options.outputDirFor(io.root), target, result)
  io.logger.info(`  result: ${relative(io.root, resultFile) || resultFile}`)
  if (process.env.GITHUB_OUTPUT) await writeGithubOutput(process.env.GITHUB_OUTPUT, result)
  await options.onVersion?.(result)
  return result
}
