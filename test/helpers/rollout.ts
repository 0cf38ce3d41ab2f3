// What the gated-rollout tests share: an emulator whose traffic split is deterministic, the Workers
// they roll out, their traffic, and their builds.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, vi } from 'vitest'
import type { Emulator } from '../../src/emulator/index.js'
import { startEmulator } from './emulator.js'
import { tempDir } from './fixture.js'
import { rollupUpload } from './rollup-upload.js'

export const OLD = `export default { fetch() { return new Response('old') } }\n`
/** Every third request this isolate serves throws: a third of its traffic fails. */
export const flaky = (text: string) => `let served = 0
export default { fetch() { if (++served % 3 === 0) throw new Error('boom'); return new Response('${text}') } }\n`

export interface RolloutEmulator {
  (): Emulator
  /** `count` requests to the Worker as its users reach it, each answer counted by its text ('error' for a 5xx). */
  sendTraffic(
    worker: string,
    count: number,
    headers?: Record<string, string>,
  ): Promise<Record<string, number>>
  /** Builds `source` in a directory of its own and uploads it as `worker` with `options`. */
  deploy(
    worker: string,
    source: string,
    options: Record<string, unknown>,
  ): Promise<{ dir: string; build: ReturnType<typeof rollupUpload> }>
  /** Deploys OLD at 100% and returns its version id. */
  deployOld(worker: string): Promise<string>
  /** The bodies of the deployments made for `worker`, in order. */
  deploymentBodies(worker: string): Record<string, unknown>[]
}

/**
 * One emulator for the file, with the console quiet. Its traffic walks 0.00 … 0.99 and around from
 * each `sendTraffic`: 100 requests of one split give each version exactly its share.
 */
export function useRolloutEmulator(): RolloutEmulator {
  let emu: Emulator | undefined
  let bucket = 0
  beforeAll(async () => {
    emu = await startEmulator({ trafficRandom: () => (bucket++ % 100) / 100 })
    vi.spyOn(console, 'log').mockImplementation(() => undefined)
    vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  })
  afterAll(async () => {
    vi.restoreAllMocks()
    await emu?.close()
  })
  const current = () => {
    if (!emu) throw new Error('the emulator is started in beforeAll')
    return emu
  }
  const deploy: RolloutEmulator['deploy'] = async (worker, source, options) => {
    const dir = await tempDir(`rollout-${worker}`)
    const input = join(dir, 'worker.js')
    await writeFile(input, source)
    return { dir, build: rollupUpload(current(), dir, worker, options, { input }) }
  }
  return Object.assign(current, {
    async sendTraffic(worker: string, count: number, headers: Record<string, string> = {}) {
      bucket = 0
      const answers: Record<string, number> = {}
      for (let i = 0; i < count; i++) {
        const response = await fetch(`${current().origin}/workers/${worker}/`, { headers })
        const text = response.status >= 500 ? 'error' : await response.text()
        answers[text] = (answers[text] ?? 0) + 1
      }
      return answers
    },
    deploy,
    async deployOld(worker: string) {
      await (
        await deploy(worker, OLD, { promote: true })
      ).build
      return current().versions(worker)[0]!.id
    },
    deploymentBodies: (worker: string) =>
      current()
        .requests.filter(
          (r) => r.method === 'POST' && r.path.endsWith(`/scripts/${worker}/deployments`),
        )
        .map((r) => r.body as Record<string, unknown>),
  })
}
