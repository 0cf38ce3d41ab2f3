/**
 * The emulator's command line, started as a user starts it: `npx unplugin-workers-version emulator`
 * in a project that has the package installed. It prints its URL (a free port by default) and
 * stops when the process that started it goes away, even one killed with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { childEnvironment } from '../../src/core/child-env.js'

const REPO = resolve(import.meta.dirname, '../..')
let project: string
const started: ChildProcess[] = []

beforeAll(async () => {
  // What `npm install unplugin-workers-version` leaves: the package, and its bins linked in node_modules/.bin.
  project = await mkdtemp(join(tmpdir(), 'wv-cli-'))
  await mkdir(join(project, 'node_modules/.bin'), { recursive: true })
  await symlink(REPO, join(project, 'node_modules/unplugin-workers-version'))
  // npm links each bin of package.json and makes its target executable.
  const { bin } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as {
    bin: Record<string, string>
  }
  for (const [name, target] of Object.entries(bin)) {
    await chmod(join(REPO, target), 0o755)
    await symlink(
      join('../unplugin-workers-version', target),
      join(project, 'node_modules/.bin', name),
    )
  }
})
afterAll(async () => {
  for (const child of started) child.kill('SIGKILL')
  await rm(project, { recursive: true, force: true })
})

/** Starts `command` in the project and resolves with the API URL the emulator prints. */
async function start(
  command: string,
  args: string[],
): Promise<{ parent: ChildProcess; url: string; output: () => string }> {
  const parent = spawn(command, args, {
    cwd: project,
    env: childEnvironment(process.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.push(parent)
  let output = ''
  parent.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  parent.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const url = await new Promise<string>((resolveUrl, reject) => {
    const check = () => {
      const match =
        /listening on (http:\/\/127\.0\.0\.1:\d+\/client\/v4)[^]*CLOUDFLARE_ACCOUNT_ID=/.exec(
          output,
        )
      if (match) resolveUrl(match[1]!)
    }
    parent.stdout!.on('data', check)
    parent.on('exit', (code) =>
      reject(new Error(`${command} exited (${code}) before listening:\n${output}`)),
    )
  })
  return { parent, url, output: () => output }
}

/** Whether anything still answers at `url`. */
const answers = (url: string) =>
  fetch(`${url}/user/tokens/verify`).then(
    () => true,
    () => false,
  )

describe('the emulator command line', () => {
  it("starts through the package's own name under npx, on a free port, and stops when npx is killed with SIGKILL", async () => {
    const { parent, url, output } = await start('npx', [
      '--offline',
      'unplugin-workers-version',
      'emulator',
      '--no-preview',
    ])
    expect(output()).toContain(`CLOUDFLARE_API_BASE_URL=${url}`)
    expect(await answers(url)).toBe(true)
    // npx cannot pass SIGKILL on: the emulator has to notice on its own.
    parent.kill('SIGKILL')
    await expect.poll(() => answers(url), { timeout: 10_000, interval: 200 }).toBe(false)
  })

  it('runs under its alias, listens where --port says, and stops on SIGTERM', async () => {
    const probe = await start('node', [join(REPO, 'dist/emulator/cli.js')])
    // With previews on, it says where they open and which miniflare runs them (here, the one beside the package).
    const origin = new URL(probe.url)
    await expect
      .poll(probe.output)
      .toContain(
        `Each version's preview opens at http://<first 8 characters of its id>-<worker>.localhost:${origin.port}/`,
      )
    await expect
      .poll(probe.output)
      .toMatch(/they run in workerd through miniflare 4\.\d+\.\d+ \(\S+\)/)
    const port = Number(origin.port)
    probe.parent.kill('SIGTERM')
    await expect.poll(() => answers(probe.url), { timeout: 10_000, interval: 200 }).toBe(false)
    // That port is free again: the alias takes it when asked to.
    const { parent, url, output } = await start('npx', [
      '--offline',
      'workers-version-emulator',
      '--port',
      String(port),
      '--no-preview',
    ])
    expect(url).toBe(`http://127.0.0.1:${port}/client/v4`)
    // npx passes SIGTERM on, or exits at once; either way the emulator stops.
    parent.kill('SIGTERM')
    await expect.poll(() => answers(url), { timeout: 10_000, interval: 200 }).toBe(false)
    expect(output()).toMatch(/(SIGTERM|the process that started it \(\d+\) exited): stopping/)
  })

  it('shares its bin with the deploy command: `npx unplugin-workers-version deploy --help` answers', async () => {
    const child = spawn('npx', ['--offline', 'unplugin-workers-version', 'deploy', '--help'], {
      cwd: project,
      env: childEnvironment(process.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    const code = await new Promise((resolveExit) => child.once('exit', resolveExit))
    expect(code).toBe(0)
    expect(stdout).toContain('Usage: npx unplugin-workers-version deploy')
  })

  it('refuses a command it does not have, naming the only one', async () => {
    const child = spawn('node', [join(REPO, 'dist/emulator/cli.js'), 'deploy'], {
      env: childEnvironment(process.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const code = await new Promise((resolveExit) => child.once('exit', resolveExit))
    expect(code).toBe(1)
    expect(stderr).toContain('unknown command: deploy (the only command is `emulator`)')
    expect(stderr).toContain('Usage: npx unplugin-workers-version emulator')
  })
})
