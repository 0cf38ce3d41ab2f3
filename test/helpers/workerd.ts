import { expect } from 'vitest'
import type { VersionRequestBody } from '../../src/core/body.js'
import { EXPECTED_RESPONSE } from './fixture.js'

/** Runs the body in workerd and checks the fixture's route that touches every chunk and module. */
export async function expectWorkerResponds(
  body: VersionRequestBody,
  expected: unknown = EXPECTED_RESPONSE,
): Promise<void> {
  const { runVersion } = await import('../../src/workerd/workerd.js')
  const { main_module: main, modules } = body
  if (main === undefined || modules === undefined)
    throw new Error('the body has no code to run (an assets-only Worker)')
  const worker = await runVersion({ ...body, main_module: main, modules })
  try {
    const response = await worker.fetch('/')
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual(expected)
  } finally {
    await worker.dispose()
  }
}
