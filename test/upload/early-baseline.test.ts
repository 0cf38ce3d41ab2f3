// The versions baseline (newest version number before the send, which proves a version found after a
// lost response is this build's) is read with the Worker's reads, not in a round trip of its own
// between them and Create Version; the send takes it, and a lost response is still recovered with it.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startUpload, uploadVersion } from '../../src/deploy/index.js'
import { redactorFor } from '../../src/core/redact.js'
import { resolveOptions } from '../../src/options/resolve.js'
import { createPlan } from '../../src/plan/index.js'
import { createLogger } from '../../src/report/logger.js'
import { versionAnswering } from '../helpers/built-version.js'
import { tempDir } from '../helpers/fixture.js'
import { uploadOptions, useEmulator } from '../helpers/emulator.js'

const emulator = useEmulator({ preview: false, autoCreateWorkers: true })

const listsVersions = (worker: string) => (r: { method: string; path: string }) =>
  r.method === 'GET' && r.path.endsWith(`/workers/workers/${worker}/versions`)

async function prepared(worker: string, promote: boolean) {
  const root = await tempDir(`early-baseline-${worker}`)
  await mkdir(join(root, 'dist'), { recursive: true })
  const options = resolveOptions(
    uploadOptions(emulator(), worker, {
      wrangler: false,
      preflight: false,
      gitAnnotations: false,
      outputDir: 'dist',
      ...(promote && { promote: true }),
    }) as never,
  )
  const logger = createLogger(() => 'silent')
  const plan = await createPlan(options, root, { bundler: 'rollup', root, watch: false }, {})
  if (!plan.upload) throw new Error('a plan that does not upload')
  const version = await versionAnswering(worker, plan, options, logger)
  const redactor = redactorFor({ credentials: { apiToken: emulator().token } })
  return { plan, options, logger, version, redactor }
}

describe('the versions baseline read with the Worker reads', () => {
  it('is read while the bundler works and taken by Create Version, which lists nothing more', async () => {
    const worker = 'baseline-early'
    const { plan, options, logger, version, redactor } = await prepared(worker, true)
    const session = startUpload(plan, options, logger, { readEarly: true, redactor })
    await session.early
    // The early reads have started the baseline's read for this Worker.
    expect(session.ctx.baselines?.has(worker)).toBe(true)
    await uploadVersion(version, plan, options, logger, { redactor, session })
    expect(session.ctx.baselines?.has(worker)).toBe(false)
    const requests = emulator().requests
    const lists = requests.filter(listsVersions(worker))
    const create = requests.findIndex(
      (r) => r.method === 'POST' && r.path.endsWith(`/${worker}/versions`),
    )
    expect(lists).toHaveLength(1)
    expect(requests.indexOf(lists[0]!)).toBeLessThan(create)
    expect(emulator().versions(worker)).toHaveLength(1)
    expect(emulator().deployments(worker)[0]?.versions).toEqual([
      { version_id: emulator().versions(worker)[0]!.id, percentage: 100 },
    ])
  })

  it('still proves and adopts the version of a lost Create Version response', async () => {
    const worker = 'baseline-lost'
    const { plan, options, logger, version, redactor } = await prepared(worker, false)
    const session = startUpload(plan, options, logger, { readEarly: true, redactor })
    await session.early
    emulator().injectFaults({
      kind: 'lose-response',
      match: { method: 'POST', path: new RegExp(`/${worker}/versions$`) },
    })
    const result = await uploadVersion(version, plan, options, logger, { redactor, session })
    if (!('id' in result)) throw new Error('a Preview instead of a version')
    // One version: the lost request's, found after the baseline read early and adopted, not sent again.
    expect(
      emulator()
        .versions(worker)
        .map((v) => v.id),
    ).toEqual([result.id])
    // The baseline was read once, early; the recovery lists the versions again to look for ours.
    const lists = emulator().requests.filter(listsVersions(worker))
    expect(lists).toHaveLength(2)
  })
})
