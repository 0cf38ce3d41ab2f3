import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { tempDir } from '../helpers/fixture.js'
import { posts, useEmulator } from '../helpers/emulator.js'
import { rollupUpload } from '../helpers/rollup-upload.js'

// Once a version is created and deployed, a local failure (a file that cannot be written) must not
// turn the build into a failure: a CI re-run would deploy again, and the result would be lost.
const emulator = useEmulator({ autoCreateWorkers: true, preview: false })

afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
  emulator().clearFaults()
})

function logged() {
  const log = vi.spyOn(console, 'log')
  const warn = vi.spyOn(console, 'warn')
  return {
    out: () => log.mock.calls.map((args) => args.join(' ')).join('\n'),
    warnings: () => warn.mock.calls.map((args) => args.join(' ')).join('\n'),
  }
}

function rollupBuild(dir: string, worker: string, extra: Record<string, unknown> = {}) {
  return rollupUpload(emulator(), dir, worker, extra)
}

describe('after a successful deploy, no local failure fails the build', () => {
  it('a directory in place of result.json and GITHUB_OUTPUT: warnings naming each file, the result printed and passed to onVersion', async () => {
    const dir = await tempDir('unwritable')
    await mkdir(join(dir, '.workers-version/result.json'), { recursive: true })
    const githubOutput = join(dir, 'github-output')
    await mkdir(githubOutput)
    vi.stubEnv('GITHUB_OUTPUT', githubOutput)
    const onVersion = vi.fn()
    const output = logged()

    await rollupBuild(dir, 'unwritable', { promote: true, onVersion })

    const [stored] = emulator().versions('unwritable')
    expect(emulator().versions('unwritable')).toHaveLength(1)
    expect(emulator().deployments('unwritable').at(-1)?.versions).toEqual([
      { version_id: stored!.id, percentage: 100 },
    ])
    expect(onVersion).toHaveBeenCalledTimes(1)
    expect(onVersion).toHaveBeenCalledWith(expect.objectContaining({ id: stored!.id, number: 1 }))
    expect(output.out()).toContain(`version id: ${stored!.id}`)
    expect(output.out()).toContain(`deployed: 100% → ${stored!.id} (new)`)
    const warnings = output.warnings()
    expect(warnings).toContain(`could not write ${join(dir, '.workers-version/result.json')} (`)
    expect(warnings).toContain(`could not write GITHUB_OUTPUT (${githubOutput}) (`)
    expect(warnings).toMatch(/EISDIR|illegal operation on a directory|ERR_FS_EISDIR/)
    // Each warning says what exists, so nobody re-runs the deploy to find out.
    expect(warnings).toContain(
      `version ${stored!.id} of unwritable was created and deployed (100% → ${stored!.id} (new))`,
    )
    // The directories are left as they were.
    expect((await stat(join(dir, '.workers-version/result.json'))).isDirectory()).toBe(true)
  })

  it('a deployment that fails after the version was created: the error says which version exists, and result.json and GITHUB_OUTPUT carry it', async () => {
    const dir = await tempDir('deploy-refused')
    const githubOutput = join(dir, 'github-output')
    vi.stubEnv('GITHUB_OUTPUT', githubOutput)
    emulator().injectFaults({
      kind: 'status',
      status: 400,
      match: { method: 'POST', path: /\/scripts\/deploy-refused\/deployments$/ },
    })

    const failure = await rollupBuild(dir, 'deploy-refused', { promote: true }).then(
      () => undefined,
      (error: unknown) => error as Error,
    )

    const [stored] = emulator().versions('deploy-refused')
    expect(emulator().versions('deploy-refused')).toHaveLength(1)
    expect(emulator().deployments('deploy-refused')).toHaveLength(0)
    expect(failure?.message).toContain(
      `Version ${stored!.id} (number 1) of deploy-refused WAS created; its deployment (100% → ${stored!.id} (new)) failed: `,
    )
    expect(failure?.message).toContain(
      `wrangler versions deploy ${stored!.id}@100% --name deploy-refused`,
    )
    const result = JSON.parse(await readFile(join(dir, '.workers-version/result.json'), 'utf8'))
    expect(result.result.id).toBe(stored!.id)
    expect(result.deployment).toBeUndefined()
    const outputs = await readFile(githubOutput, 'utf8')
    expect(outputs).toContain(`version-id=${stored!.id}\n`)
    expect(outputs).not.toContain('traffic=')
  })

  it('an onVersion that throws fails the build with an error naming the version that exists', async () => {
    const dir = await tempDir('on-version-throws')
    logged()
    const build = rollupBuild(dir, 'on-version-throws', {
      onVersion: () => {
        throw new Error('the hook broke')
      },
    })
    await expect(build).rejects.toThrow(
      /onVersion failed: the hook broke\. The upload itself succeeded: version [\w-]+ of on-version-throws was created\./,
    )
    expect(emulator().versions('on-version-throws')).toHaveLength(1)
    // result.json was written before the hook ran.
    const result = JSON.parse(await readFile(join(dir, '.workers-version/result.json'), 'utf8'))
    expect(result.result.id).toBe(emulator().versions('on-version-throws')[0]!.id)
  })
})

describe('a result from an earlier build', () => {
  it('is removed when an upload build starts, so a failed upload leaves none behind', async () => {
    const dir = await tempDir('stale-result')
    const outputDir = join(dir, '.workers-version')
    await mkdir(join(outputDir, 'workers/aux'), { recursive: true })
    const stale = JSON.stringify({ worker: 'stale-result', result: { id: 'an-earlier-version' } })
    await writeFile(join(outputDir, 'result.json'), stale)
    await writeFile(join(outputDir, 'workers/aux/result.json'), stale)
    const fault = {
      kind: 'status',
      status: 500,
      match: { method: 'POST', path: /\/versions$/ },
    } as const
    emulator().injectFaults(fault, fault, fault)
    logged()

    await expect(rollupBuild(dir, 'stale-result')).rejects.toThrow(/after 3 attempts/)

    expect(posts(emulator(), 'stale-result')).toHaveLength(3)
    await expect(stat(join(outputDir, 'result.json'))).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(stat(join(outputDir, 'workers/aux/result.json'))).rejects.toMatchObject({
      code: 'ENOENT',
    })
    // What was sent is still on disk.
    expect(JSON.parse(await readFile(join(outputDir, 'request.json'), 'utf8')).main_module).toBe(
      'index.js',
    )
  })

  it('is removed by a dry run after a deploy: the dry run uploads nothing, so no result.json is its own', async () => {
    const dir = await tempDir('stale-after-dry-run')
    logged()
    const outputDir = await rollupBuild(dir, 'stale-after-dry-run', { promote: true })
    expect(JSON.parse(await readFile(join(outputDir, 'result.json'), 'utf8')).result.id).toBe(
      emulator().versions('stale-after-dry-run')[0]!.id,
    )

    await rollupBuild(dir, 'stale-after-dry-run', { upload: false })

    await expect(stat(join(outputDir, 'result.json'))).rejects.toMatchObject({ code: 'ENOENT' })
    // The dry run wrote its own request.json, and sent nothing.
    expect(JSON.parse(await readFile(join(outputDir, 'request.json'), 'utf8')).main_module).toBe(
      'index.js',
    )
    expect(emulator().versions('stale-after-dry-run')).toHaveLength(1)
  })
})
