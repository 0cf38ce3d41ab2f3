// Two uploads that one session serves (two plans of one Worker) share its connection pool: the
// first to end must not destroy the pool under the other.
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

describe('one session, two uploads', () => {
  it('the first upload to end leaves the pool to the other, and the last one closes it', async () => {
    const root = await tempDir('shared-pool')
    await mkdir(join(root, 'dist'), { recursive: true })
    const options = resolveOptions(
      uploadOptions(emulator(), 'pool-shared', {
        wrangler: false,
        preflight: false,
        gitAnnotations: false,
        outputDir: 'dist',
      }) as never,
    )
    const info = { bundler: 'rollup' as const, root, watch: false }
    const logger = createLogger(() => 'silent')
    const [planA, planB] = [
      await createPlan(options, root, info, {}),
      await createPlan(options, root, info, {}),
    ]
    if (!planA.upload || !planB.upload) throw new Error('plans that do not upload')
    const [versionA, versionB] = [
      await versionAnswering('A', planA, options, logger),
      await versionAnswering('B', planB, options, logger),
    ]
    const redactor = redactorFor({ credentials: { apiToken: emulator().token } })
    const session = startUpload(planA, options, logger, { readEarly: false, redactor })

    // The first Create Version is held back: the other upload ends while it is still in flight.
    emulator().injectFaults({
      kind: 'slow',
      delayMs: 1_500,
      match: { method: 'POST', path: /\/pool-shared\/versions$/ },
    })
    const outcomes = await Promise.allSettled([
      uploadVersion(versionA, planA, options, logger, { redactor, session }),
      uploadVersion(versionB, planB, options, logger, { redactor, session }),
    ])

    expect(outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok'))).toEqual([
      'ok',
      'ok',
    ])
    expect(emulator().versions('pool-shared')).toHaveLength(2)
    // The owner's close (the build's own, at its end) was the last: the pool is gone now, and a late upload gets its own.
    await session.close()
    expect(session.share()).toBeUndefined()
  })
})
