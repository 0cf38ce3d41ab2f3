// Ctrl-C while Create Version is in flight: the server may create the version anyway. The build
// says so in one line, records it in result.json, ends as a SIGINT ends a process, and the next
// run reports the record. Runs the build in a process of its own (the published dist entry), so
// that the signal, the output and the exit are a user's.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEmulator, type Emulator } from '../../src/emulator/index.js'
import { spawnBuild, type BuildProcess } from '../helpers/build-process.js'
import { WORKER_FIXTURE, tempDir } from '../helpers/fixture.js'

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator({ preview: false, autoCreateWorkers: true })
})
afterAll(async () => {
  await emulator.close()
})

function startBuild(
  dir: string,
  worker: string,
  extra: Record<string, unknown> = {},
): BuildProcess {
  return spawnBuild(emulator, dir, worker, join(WORKER_FIXTURE, 'src/index.js'), {
    network: { retries: { attempts: 1, baseDelayMs: 10 } },
    ...extra,
  })
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 50))
}

describe('an upload interrupted by a signal', () => {
  it('SIGINT during Create Version: one line, a record in result.json, the usual exit; the next run reports it', async () => {
    const dir = await tempDir('interrupted')
    const worker = 'sigint-upload'
    // The server takes its time, and creates the version after the client has gone.
    emulator.injectFaults({
      kind: 'slow',
      delayMs: 1500,
      match: { method: 'POST', path: /\/versions$/ },
    })
    const build = startBuild(dir, worker)
    await build.printed(`creating a version of ${worker}`)
    // The server has the whole request: it goes on to create the version whatever the client does.
    await until(() =>
      emulator.requests.some(
        (r) =>
          r.method === 'POST' &&
          r.path.endsWith(`/workers/${worker}/versions`) &&
          r.body !== undefined,
      ),
    )
    build.kill('SIGINT')
    const exit = await build.exit

    expect(exit.signal).toBe('SIGINT')
    const lines = build
      .output()
      .split('\n')
      .filter((line) => line.includes('interrupted ('))
    expect(lines).toEqual([
      `✖ interrupted (SIGINT) during Create Version for Worker ${worker}: a version may have been created; recorded in result.json, and the next run reports it.`,
    ])
    const record = JSON.parse(await readFile(join(dir, '.workers-version/result.json'), 'utf8'))
    expect(record).toMatchObject({
      account_id: emulator.accountId,
      worker,
      interrupted: {
        signal: 'SIGINT',
        step: 'Create Version',
        may_exist: 'a version may have been created',
      },
    })
    expect(Date.parse(record.interrupted.interrupted_at)).toBeGreaterThanOrEqual(
      Date.parse(record.interrupted.started_at),
    )
    // It was: the server finished the request on its own.
    await until(() => emulator.versions(worker).length === 1)

    const next = startBuild(dir, worker)
    expect((await next.exit).code).toBe(0)
    expect(next.output()).toContain(
      `⚠ an earlier run was interrupted (SIGINT at ${record.interrupted.interrupted_at}) during Create Version for Worker ${worker}: a version may have been created.`,
    )
    // The record was read once: result.json is now this run's.
    const result = JSON.parse(await readFile(join(dir, '.workers-version/result.json'), 'utf8'))
    expect(result.interrupted).toBeUndefined()
    expect(result.result.number).toBe(2)
  })

  it('a signal while nothing is in flight ends the build as before: no line, no record', async () => {
    const dir = await tempDir('interrupted-idle')
    const worker = 'sigterm-idle'
    emulator.injectFaults({
      kind: 'slow',
      delayMs: 1500,
      match: { method: 'GET', path: new RegExp(`/workers/${worker}$`) },
    })
    const build = startBuild(dir, worker)
    await until(() =>
      emulator.requests.some((r) => r.method === 'GET' && r.path.endsWith(`/workers/${worker}`)),
    )
    build.kill('SIGTERM')
    expect((await build.exit).signal).toBe('SIGTERM')
    expect(build.output()).not.toContain('interrupted (')
    await expect(readFile(join(dir, '.workers-version/result.json'), 'utf8')).rejects.toMatchObject(
      { code: 'ENOENT' },
    )
  })
})
