/**
 * What `unplugin-workers-version deploy` refuses, each before anything is sent or written, and its
 * command line: usage errors exit 2, failures 1, and no message or file ever shows the API token.
 */
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/fixture.js'
import { useEmulator } from '../helpers/emulator.js'
import {
  builtFullstack,
  emulatorEnv,
  rollupBuildOutput,
  runCli,
  type CliRun,
} from '../helpers/deploy-command.js'

const emulator = useEmulator()

/** Runs `deploy …` on `root` and checks it failed with exit code 1 before any request or file. */
async function refused(
  root: string,
  args: string[],
  env: Record<string, string> = emulatorEnv(emulator()),
): Promise<CliRun> {
  const before = emulator().requests.length
  const run = await runCli(['deploy', ...args], root, env)
  expect(run.code, run.stdout + run.stderr).toBe(1)
  expect(run.stderr).toContain('deploy failed')
  expect(emulator().requests.length).toBe(before)
  expect(existsSync(join(root, '.workers-version'))).toBe(false)
  return run
}

async function withAuxWorker(root: string, config: Record<string, unknown>): Promise<void> {
  const dir = join(root, '.cloudflare/output/v0/workers/aux')
  await mkdir(join(dir, 'bundle'), { recursive: true })
  await writeFile(
    join(dir, 'bundle/index.js'),
    'export default { fetch: () => new Response("aux") }\n',
  )
  await writeFile(
    join(dir, 'worker.config.json'),
    JSON.stringify({
      compatibilityDate: '2025-01-01',
      manifest: { type: 'partial', mainModule: 'index.js', modules: {} },
      ...config,
    }),
  )
}

async function filesBelow(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return []
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return Promise.all(
    entries.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name), 'utf8')),
  )
}

describe('deploy: refusals before anything is sent or written', () => {
  it('refuses a Worker name the API would refuse, in a deploy and in a dry run', async () => {
    const root = await rollupBuildOutput()
    for (const args of [
      ['--promote', '--worker', 'My Worker'],
      ['--dry-run', '--worker', 'My Worker'],
    ]) {
      const run = await refused(root, args)
      expect(run.stderr).toContain('"My Worker"')
      expect(run.stderr).toMatch(/not a Worker name/)
    }
  })

  it('refuses a binding whose type no version can carry, naming it', async () => {
    const root = await rollupBuildOutput()
    const file = join(root, '.cloudflare/output/v0/workers/default/worker.config.json')
    const config = JSON.parse(await readFile(file, 'utf8'))
    config.env.DB = { type: 'future_database', id: 'x' }
    await writeFile(file, JSON.stringify(config))
    const run = await refused(root, ['--promote'])
    expect(run.stderr).toContain('env.DB')
    expect(run.stderr).toContain('future_database')
  })

  it('refuses two Workers with one name', async () => {
    const root = await rollupBuildOutput()
    await withAuxWorker(root, { name: 'bo-out' })
    const run = await refused(root, ['--promote'])
    // The Build Output reader refuses it, before the command plans any Worker.
    expect(run.stderr).toContain('workers/default and workers/aux both name Worker "bo-out"')
  })

  it('refuses a generated config outside the project, and a Worker whose module directory leaves it', async () => {
    const root = await builtFullstack()
    const pointer = join(root, '.wrangler/deploy/config.json')
    const outside = await tempDir('deploy-outside')
    await writeFile(
      join(outside, 'wrangler.json'),
      JSON.stringify({
        name: 'elsewhere',
        main: 'index.js',
        no_bundle: true,
        compatibility_date: '2025-01-01',
      }),
    )
    await writeFile(
      join(outside, 'index.js'),
      'export default { fetch: () => new Response("x") }\n',
    )
    await writeFile(
      pointer,
      JSON.stringify({
        configPath: join('../..', '..', outside.split('/').at(-1)!, 'wrangler.json'),
      }),
    )
    expect((await refused(root, ['--promote'])).stderr).toMatch(/outside the project/)

    // The generated config itself inside, but its `base_dir` (every module below it is uploaded) above the project.
    await writeFile(pointer, JSON.stringify({ configPath: '../../dist/fullstack/wrangler.json' }))
    const generated = join(root, 'dist/fullstack/wrangler.json')
    await writeFile(
      generated,
      JSON.stringify({
        ...JSON.parse(await readFile(generated, 'utf8')),
        base_dir: '../../..',
        main: 'index.js',
      }),
    )
    expect((await refused(root, ['--promote'])).stderr).toMatch(
      /module directory .* is outside the project/,
    )
  })

  it('refuses --env for Build Output, whose environment the build chose, and a directory with nothing to deploy', async () => {
    const root = await rollupBuildOutput()
    expect((await refused(root, ['--env', 'staging'])).stderr).toContain(
      '--env staging applies to a wrangler config',
    )
    const empty = await tempDir('deploy-empty')
    expect((await refused(empty, ['--dry-run'])).stderr).toContain('Nothing to deploy')
  })
})

describe('deploy: the command line', () => {
  it('exits 2 on a usage error, with the usage, and sends nothing', async () => {
    const root = await rollupBuildOutput()
    const before = emulator().requests.length
    for (const [args, message] of [
      [['--promot'], 'unknown option --promot'],
      [['--promote', '0'], '--promote takes a whole percentage from 1 to 100'],
      [['--promote', '12.5'], '--promote takes a whole percentage from 1 to 100'],
      [['--promote', '--preview', 'feature'], '--promote cannot be combined with --preview NAME'],
      [['--dry-run', 'now'], 'unexpected argument "now"'],
      [['--cwd'], '--cwd needs a value'],
    ] as const) {
      const run = await runCli(['deploy', ...args], root, emulatorEnv(emulator()))
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr).toContain(message)
      expect(run.stderr).toContain('Usage: npx unplugin-workers-version deploy')
    }
    expect(emulator().requests.length).toBe(before)
    expect(existsSync(join(root, '.workers-version'))).toBe(false)
    const unknown = await runCli(['depoly'], root)
    expect([unknown.code, unknown.stderr]).toEqual([
      2,
      expect.stringContaining('unknown command: depoly'),
    ])
  })

  it('prints its help with exit code 0', async () => {
    const help = await runCli(['deploy', '--help'], process.cwd())
    expect(help.code).toBe(0)
    for (const flag of [
      '--promote [PERCENT]',
      '--preview [NAME|auto]',
      '--dry-run',
      '--cwd DIR',
      '--config PATH',
      '--env NAME',
      '--worker NAME',
    ])
      expect(help.stdout).toContain(flag)
    const top = await runCli(['--help'], process.cwd())
    expect([top.code, top.stdout]).toEqual([0, expect.stringMatching(/deploy .*\n.*emulator/)])
  })

  it('never shows the API token: not in a refusal, not in an API failure, not in a file', async () => {
    const token = 'TOKEN-deploycmd-0123456789abcdef-SECRET'
    const root = await rollupBuildOutput()
    const runs: CliRun[] = []
    // The token pasted where a Worker name goes: the refusal quotes the name.
    runs.push(
      await refused(
        root,
        ['--dry-run', '--worker', token],
        emulatorEnv(emulator(), { CLOUDFLARE_API_TOKEN: token }),
      ),
    )
    // The token in the API address.
    runs.push(
      await refused(
        root,
        ['--promote'],
        emulatorEnv(emulator(), {
          CLOUDFLARE_API_TOKEN: token,
          CLOUDFLARE_API_BASE_URL: `${emulator().url}?key=${token}&x=%ZZ`,
        }),
      ),
    )
    // An API that refuses it (the emulator knows another token): the upload fails after the local work.
    const rejected = await runCli(
      ['deploy', '--promote'],
      root,
      emulatorEnv(emulator(), { CLOUDFLARE_API_TOKEN: token }),
    )
    expect(rejected.code).toBe(1)
    runs.push(rejected)
    for (const run of runs) {
      expect(run.stdout).not.toContain(token)
      expect(run.stderr).not.toContain(token)
      expect(run.stderr).not.toContain(token.slice(6, 26))
    }
    const written = await filesBelow(join(root, '.workers-version'))
    expect(written.length).toBeGreaterThan(0)
    for (const text of written) expect(text).not.toContain(token)
    await rm(join(root, '.workers-version'), { recursive: true })
  })
})
