// Plans as the plugin makes them (resolveOptions, then createPlan), for the unit tests of the decisions
// taken on a plan: no bundler, no network, no wrangler config (`wrangler: false`), no git (`gitAnnotations: false`).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveOptions } from '../../src/options/resolve.js'
import { createPlan, type BuildPlan, type UploadPlan } from '../../src/plan/index.js'
import type { WorkersVersionOptions } from '../../src/options/types.js'

const ROOT = mkdtempSync(join(tmpdir(), 'unit-plan-'))
const ACCOUNT = 'a'.repeat(32)

export async function uploadPlan(
  options: WorkersVersionOptions = {},
  env: NodeJS.ProcessEnv = {},
): Promise<UploadPlan> {
  const plan = await createPlan(
    resolveOptions({
      worker: 'w',
      upload: true,
      wrangler: false,
      gitAnnotations: false,
      apiToken: 'unit-token',
      accountId: ACCOUNT,
      ...options,
    }),
    ROOT,
    { bundler: 'rollup', root: ROOT, watch: false },
    env,
  )
  if (!plan.upload) throw new Error('expected an upload plan')
  return plan
}

export async function dryRunPlan(options: WorkersVersionOptions = {}): Promise<BuildPlan> {
  return createPlan(
    resolveOptions({ worker: 'w', upload: false, wrangler: false, ...options }),
    ROOT,
    { bundler: 'rollup', root: ROOT, watch: false },
    {},
  )
}
