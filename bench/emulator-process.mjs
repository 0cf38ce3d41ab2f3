/**
 * The emulator in a process of its own, as `workers-version-emulator` runs for users: the API the
 * commands talk to then shares neither an event loop nor a heap with the benchmark harness.
 * Measured: in the harness's own process (whose heap holds the generated projects) the emulator
 * took 500 ms to read a 67 MB body that a process of its own read in 230 ms, and row 4 timed the
 * harness rather than the plugin.
 *
 * The parent asks for the few facts the checks need over IPC (version counts, the assets record)
 * and never receives a request body.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { assetsMark, assetsSince, makeSite, seed } from './assets-fixture.mjs'

const SELF = fileURLToPath(import.meta.url)

/** Starts the emulator in a child process; resolves once it listens on 127.0.0.1. */
export async function startEmulatorProcess(options) {
  const child = fork(SELF, ['--serve', JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const pending = new Map()
  let next = 0
  const ready = new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) =>
      reject(new Error(`the emulator process exited with ${code} before it was ready`)),
    )
    child.on('message', (message) => {
      if (message.ready) return resolve(message.ready)
      const waiting = pending.get(message.id)
      pending.delete(message.id)
      if (message.error) waiting?.reject(new Error(message.error))
      else waiting?.resolve(message.result)
    })
  })
  const call = (op, ...args) =>
    new Promise((resolve, reject) => {
      const id = next++
      pending.set(id, { resolve, reject })
      child.send({ id, op, args })
    })
  const { url, token, accountId } = await ready
  return {
    url,
    token,
    accountId,
    /** How many versions the Worker has. */
    versionCount: (worker) => call('versionCount', worker),
    /** Whether the Worker's latest version carries an `assets.jwt`. */
    latestHasAssetsJwt: (worker) => call('latestHasAssetsJwt', worker),
    /** Writes the assets site (bench/assets-fixture.mjs) and keeps the 90% to seed in the emulator's process. */
    makeSite: (dir, count) => call('makeSite', dir, count),
    seed: () => call('seed'),
    assetsMark: () => call('assetsMark'),
    assetsSince: (mark) => call('assetsSince', mark),
    close: async () => {
      await call('close').catch(() => undefined)
      child.disconnect()
    },
  }
}

if (process.argv[2] === '--serve') await serve(JSON.parse(process.argv[3]))

async function serve(options) {
  const { startEmulator } = await import('unplugin-workers-version/emulator')
  const emulator = await startEmulator(options)
  let site
  const ops = {
    versionCount: (worker) => emulator.versions(worker).length,
    latestHasAssetsJwt: (worker) =>
      typeof emulator.versions(worker).at(-1)?.request.assets?.jwt === 'string',
    makeSite: async (dir, count) => {
      site = await makeSite(dir, count)
      return { count: site.count, toUpload: site.toUpload }
    },
    seed: () => seed(emulator, site),
    assetsMark: () => assetsMark(emulator),
    assetsSince: (mark) => assetsSince(emulator, mark),
    close: () => emulator.close(),
  }
  process.on('message', async ({ id, op, args }) => {
    try {
      process.send({ id, result: (await ops[op](...args)) ?? null })
    } catch (error) {
      process.send({ id, error: error instanceof Error ? error.message : String(error) })
    }
  })
  process.send({
    ready: { url: emulator.url, token: emulator.token, accountId: emulator.accountId },
  })
}
