/**
 * A dry run asked to compare (`diff: true`, `deploy --dry-run --diff`) against the emulator: with
 * credentials it names a removed binding and an added route, sends GET requests only (no Worker,
 * version or deployment is made) and writes diff.json and the job summary; strict mode fails it on the
 * change it would refuse; without credentials it says what it could not compare and why; a read that
 * fails is reported and the dry run succeeds. Without `diff` a dry run stays offline.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { parseDeployArgs } from '../../src/command/args.js'
import type { Emulator } from '../../src/emulator/index.js'
import { emulatorEnv, runCli } from '../helpers/deploy-command.js'
import { startEmulator } from '../helpers/emulator.js'
import { tempDir } from '../helpers/fixture.js'
import { rejection } from '../helpers/rejection.js'
import { rollupUpload } from '../helpers/rollup-upload.js'

let emu: Emulator
beforeAll(async () => {
  emu = await startEmulator({
    preview: false,
    zones: [{ name: 'example.com', id: 'zone-example' }],
  })
})
afterAll(() => emu?.close())
afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
})

interface DiffJson {
  worker: string
  compared: boolean
  against: string
  changes: Array<{ kind: string; op: string; subject: string; line: string; guard?: string }>
  notCompared: string[]
  strict?: { refused: string[]; acknowledged: string[] }
}

const BOTH = [
  { binding: 'KEEP', id: 'kv-keep' },
  { binding: 'CACHE', id: 'kv-cache' },
]

/** v2 of every Worker here: CACHE removed, a route added. */
function changed(worker: string): Record<string, unknown> {
  return {
    kv_namespaces: [{ binding: 'KEEP', id: 'kv-keep' }],
    routes: [{ pattern: `${worker}.example.com/*`, zone_name: 'example.com' }],
  }
}

async function writeConfig(dir: string, config: Record<string, unknown>): Promise<string> {
  const file = join(dir, 'wrangler.jsonc')
  await writeFile(file, JSON.stringify({ compatibility_date: '2025-01-01', ...config }))
  return file
}

async function readDiff(outputDir: string): Promise<DiffJson> {
  return JSON.parse(await readFile(join(outputDir, 'diff.json'), 'utf8')) as DiffJson
}

/** What reached the emulator since `from`, other than reads. */
function writesSince(from: number): string[] {
  return emu.requests
    .slice(from)
    .filter((r) => r.method !== 'GET')
    .map((r) => `${r.method} ${r.path}`)
}

function printed(log: { mock: { calls: unknown[][] } }): string {
  return log.mock.calls.map((c) => String(c[0])).join('\n')
}

/** The gap a dry run without a credential prints. */
const NO_CREDENTIAL =
  'not compared: the deployed Worker (bindings, compatibility, modules, migrations, triggers): not read, missing a credential: set the `apiToken` option or CLOUDFLARE_API_TOKEN'

describe('the plugin: a dry run with `diff: true`', () => {
  const WORKER = 'dry-diff'
  let dir: string
  let v1: string
  beforeAll(async () => {
    dir = await tempDir('dry-diff')
    // v1: KEEP and CACHE, deployed at 100%.
    await rollupUpload(emu, dir, WORKER, {
      promote: true,
      wrangler: await writeConfig(dir, { kv_namespaces: BOTH }),
      version: undefined,
      gitAnnotations: false,
    })
    v1 = emu.versions(WORKER)[0]!.id
  })

  it('names the removed binding and the added route, reading only; writes diff.json and the job summary', async () => {
    const wrangler = await writeConfig(dir, changed(WORKER))
    const summary = join(dir, 'summary.md')
    vi.stubEnv('GITHUB_STEP_SUMMARY', summary)
    const log = vi.spyOn(console, 'log')
    const from = emu.requests.length
    const deployments = emu.deployments(WORKER).length
    const outputDir = await rollupUpload(emu, dir, WORKER, {
      upload: false,
      diff: true,
      promote: true,
      wrangler,
      version: undefined,
    })
    // Reads reached the emulator (the deployed version among them), and nothing else did.
    const reads = emu.requests.slice(from).map((r) => `${r.method} ${r.path}`)
    expect(reads).toContain(
      `GET /client/v4/accounts/${emu.accountId}/workers/workers/${WORKER}/versions/${v1}`,
    )
    expect(writesSince(from)).toEqual([])
    expect(emu.versions(WORKER)).toHaveLength(1)
    expect(emu.deployments(WORKER)).toHaveLength(deployments)

    const text = printed(log)
    expect(text).toContain(`diff against deployed version ${v1}`)
    expect(text).toContain('- binding CACHE (kv_namespace)')
    expect(text).toContain(`+ route ${WORKER}.example.com/*`)
    expect(text).not.toContain('not compared: a dry run sends no request')
    const diff = await readDiff(outputDir)
    expect(diff).toMatchObject({ worker: WORKER, compared: true })
    expect(diff.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'binding', op: 'remove', subject: 'CACHE' }),
        expect.objectContaining({ kind: 'route', op: 'add', subject: `${WORKER}.example.com/*` }),
      ]),
    )
    // Still a dry run: request.json to inspect, no result.json.
    expect(existsSync(join(outputDir, 'request.json'))).toBe(true)
    expect(existsSync(join(outputDir, 'result.json'))).toBe(false)
    const markdown = await readFile(summary, 'utf8')
    expect(markdown).toContain(`What changes: ${WORKER}`)
    expect(markdown).toContain('- binding CACHE (kv_namespace)')
  })

  it('in strict mode fails on the change a deploy would refuse, having written nothing', async () => {
    const wrangler = await writeConfig(dir, changed(WORKER))
    const from = emu.requests.length
    const refused = await rejection(
      rollupUpload(emu, dir, WORKER, {
        upload: false,
        diff: true,
        promote: true,
        wrangler,
        version: undefined,
        strict: true,
      }),
    )
    expect((refused as unknown as { pluginCode: string }).pluginCode).toBe('UNACKNOWLEDGED_CHANGES')
    expect(refused.message).toContain(
      `a deploy of this build to Worker "${WORKER}" would be refused`,
    )
    expect(refused.message).toContain("'remove-binding:CACHE'")
    expect(writesSince(from)).toEqual([])
    expect(emu.versions(WORKER)).toHaveLength(1)
    const diff = await readDiff(join(dir, '.workers-version'))
    expect(diff.strict).toEqual({ refused: ['remove-binding:CACHE'], acknowledged: [] })
  })

  it('a read that fails is a "not compared" line and the dry run succeeds, strict mode included', async () => {
    const wrangler = await writeConfig(dir, changed(WORKER))
    emu.injectFaults({
      match: { method: 'GET', path: new RegExp(`/workers/scripts/${WORKER}/routes$`) },
      kind: 'status',
      status: 403,
    })
    const log = vi.spyOn(console, 'log')
    const outputDir = await rollupUpload(emu, dir, WORKER, {
      upload: false,
      diff: true,
      promote: true,
      wrangler,
      version: undefined,
      // The removal is acknowledged; the routes could not be checked, which fails an upload, not a dry run.
      strict: { allow: ['remove-binding:CACHE'] },
    })
    const diff = await readDiff(outputDir)
    expect(diff.compared).toBe(true)
    expect(diff.notCompared).toEqual([expect.stringMatching(/^routes: .*403/)])
    expect(diff.changes.map((c) => c.line)).toContain('- binding CACHE (kv_namespace)')
    expect(printed(log)).toMatch(/not compared: routes: /)
  })

  it('a token the API refuses: nothing is compared, the reason is given, the token is never shown', async () => {
    const token = 'REFUSED-dryrun-0123456789abcdef-TOKEN'
    const log = vi.spyOn(console, 'log')
    const warn = vi.spyOn(console, 'warn')
    const outputDir = await rollupUpload(emu, dir, WORKER, {
      upload: false,
      diff: true,
      apiToken: token,
      wrangler: await writeConfig(dir, changed(WORKER)),
      version: undefined,
    })
    const diff = await readDiff(outputDir)
    expect(diff.compared).toBe(false)
    expect(diff.notCompared).toEqual([
      expect.stringMatching(/^the deployed Worker \(.*\): not read: .*(?:401|403)/),
    ])
    const text = `${printed(log)}\n${printed(warn)}`
    expect(text).toContain('diff: not compared: the deployed Worker')
    expect(text).not.toContain(token)
    expect(JSON.stringify(diff)).not.toContain(token)
  })

  it('without a credential says what it could not compare and why, and sends nothing', async () => {
    vi.stubEnv('CLOUDFLARE_API_TOKEN', '')
    vi.stubEnv('CLOUDFLARE_API_KEY', '')
    const summary = join(dir, 'summary-no-credential.md')
    vi.stubEnv('GITHUB_STEP_SUMMARY', summary)
    const log = vi.spyOn(console, 'log')
    const from = emu.requests.length
    const outputDir = await rollupUpload(emu, dir, WORKER, {
      upload: false,
      diff: true,
      apiToken: undefined,
      wrangler: await writeConfig(dir, changed(WORKER)),
      version: undefined,
    })
    expect(emu.requests.length).toBe(from)
    expect(printed(log)).toContain(`diff: ${NO_CREDENTIAL}`)
    const diff = await readDiff(outputDir)
    expect(diff.compared).toBe(false)
    expect(`not compared: ${diff.notCompared[0]}`).toContain(NO_CREDENTIAL)
    expect(await readFile(summary, 'utf8')).toContain(`# ${NO_CREDENTIAL}`)
  })

  it('without `diff` a dry run stays offline, credentials or not, and says how to ask for the diff', async () => {
    const log = vi.spyOn(console, 'log')
    const from = emu.requests.length
    const outputDir = await rollupUpload(emu, dir, WORKER, {
      upload: false,
      wrangler: await writeConfig(dir, changed(WORKER)),
      version: undefined,
    })
    expect(emu.requests.length).toBe(from)
    expect(printed(log)).toContain('(`diff: true`, `deploy --dry-run --diff`)')
    expect((await readDiff(outputDir)).compared).toBe(false)
  })
})

describe('the command: deploy --dry-run --diff', () => {
  const WORKER = 'dry-diff-cmd'
  let root: string
  beforeAll(async () => {
    root = await tempDir('dry-diff-cmd')
    await mkdir(join(root, 'src'))
    await writeFile(
      join(root, 'src/index.js'),
      "export default { fetch: () => new Response('hello') }\n",
    )
    await writeConfig(root, { name: WORKER, main: 'src/index.js', kv_namespaces: BOTH })
    const run = await runCli(['deploy', '--promote'], root, emulatorEnv(emu))
    expect(run.code, run.stderr).toBe(0)
    await writeConfig(root, { name: WORKER, main: 'src/index.js', ...changed(WORKER) })
  })

  it('prints the diff against the deployed version, reading only, and writes diff.json', async () => {
    const from = emu.requests.length
    // As `deploy --promote` would: the routes are applied by a promote to 100% only.
    const run = await runCli(['deploy', '--dry-run', '--diff', '--promote'], root, emulatorEnv(emu))
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain(`diff against deployed version ${emu.versions(WORKER)[0]!.id}`)
    expect(run.stdout).toContain('- binding CACHE (kv_namespace)')
    expect(run.stdout).toContain(`+ route ${WORKER}.example.com/*`)
    expect(run.stdout).toContain('dry run: the deployed Worker was read, nothing was written')
    expect(emu.requests.length).toBeGreaterThan(from)
    expect(writesSince(from)).toEqual([])
    expect(emu.versions(WORKER)).toHaveLength(1)
    expect((await readDiff(join(root, '.workers-version'))).compared).toBe(true)
  })

  it('with --strict exits 1 naming the change a deploy would refuse', async () => {
    const from = emu.requests.length
    const run = await runCli(['deploy', '--dry-run', '--diff', '--strict'], root, emulatorEnv(emu))
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('would be refused')
    expect(run.stderr).toContain("'remove-binding:CACHE'")
    expect(writesSince(from)).toEqual([])
  })

  it('without a credential says what it could not compare, and succeeds', async () => {
    const { CLOUDFLARE_API_TOKEN: _token, ...env } = emulatorEnv(emu)
    const from = emu.requests.length
    const run = await runCli(['deploy', '--dry-run', '--diff'], root, env)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain(NO_CREDENTIAL)
    expect(emu.requests.length).toBe(from)
  })

  it('--diff without --dry-run is a usage error', async () => {
    const run = await runCli(['deploy', '--diff'], root, emulatorEnv(emu))
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--diff compares a dry run')
    expect(parseDeployArgs(['--diff', '--dry-run'])).toMatchObject({ dryRun: true, diff: true })
    expect(() => parseDeployArgs(['--dry-run', '--diff=yes'])).toThrow('--diff takes no value')
  })
})
