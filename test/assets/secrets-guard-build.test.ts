// An assets directory cannot publish secrets, through a real Rollup build: the plugin from dist/ runs in a child process whose HOME
// is a fake home directory holding keys, as a CI machine's would. Nothing may reach the manifest.
import { execFile } from 'node:child_process'
import {
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TEST_ROOT } from '../helpers/fixture.js'

const PLUGIN = pathToFileURL(join(TEST_ROOT, '../dist/rollup.js')).href
const ROLLUP = import.meta.resolve('rollup')

/** Builds `<project>/src/index.js` with Rollup and the plugin's options, then prints the outcome as JSON. */
const BUILD = `
const [rollupUrl, pluginUrl, root, options] = process.argv.slice(1)
const { rollup } = await import(rollupUrl)
const { default: workersVersion } = await import(pluginUrl)
try {
  const bundle = await rollup({ input: root + '/src/index.js', plugins: [workersVersion({ root, logLevel: 'silent', ...JSON.parse(options) })] })
  await bundle.write({ dir: root + '/dist/worker', format: 'es' })
  console.log(JSON.stringify({ ok: true }))
} catch (error) {
  console.log(JSON.stringify({ ok: false, code: error.pluginCode ?? error.code, message: error.message }))
}
`

let world: string
let home: string
let project: string
beforeEach(async () => {
  world = await realpath(await mkdtemp(join(tmpdir(), 'assets-guard-build-')))
  home = join(world, 'home')
  project = join(world, 'project')
  await plant(home, {
    '.ssh/id_ed25519': '-----BEGIN OPENSSH PRIVATE KEY-----\ncanary-ssh\n',
    '.aws/credentials': '[default]\naws_secret_access_key = canary-aws\n',
    '.npmrc': '//registry.npmjs.org/:_authToken=canary-npm\n',
  })
  await plant(project, {
    'src/index.js': "export default { fetch: () => new Response('ok') }\n",
    'dist/client/index.html': '<h1>hi</h1>',
  })
})
afterEach(async () => {
  await rm(world, { recursive: true, force: true })
})

async function plant(base: string, files: Record<string, string>): Promise<void> {
  for (const [name, contents] of Object.entries(files)) {
    await mkdir(dirname(join(base, name)), { recursive: true })
    await writeFile(join(base, name), contents)
  }
}

async function build(
  options: Record<string, unknown>,
  env: { HOME: string },
): Promise<{ ok: boolean; code?: string; message?: string }> {
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        BUILD,
        ROLLUP,
        PLUGIN,
        project,
        JSON.stringify({ version: { compatibility_date: '2026-01-01' }, ...options }),
      ],
      { env: { ...process.env, ...env }, cwd: project },
      (error, out) => (error ? reject(error) : resolve(out)),
    ),
  )
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}')
}

/** Whatever the dry run wrote: request.json, assets-manifest.json. */
async function written(): Promise<string> {
  const dir = join(project, '.workers-version')
  const names = await readdir(dir).catch(() => [])
  return (await Promise.all(names.map((name) => readFile(join(dir, name), 'utf8')))).join('\n')
}

describe('a Rollup build with a fake home directory', () => {
  it('refuses `public` linked to home, and home named by the option', async () => {
    await symlink(home, join(project, 'public'), 'dir')
    const linked = await build({ assets: { directory: 'public' } }, { HOME: home })
    expect(linked).toMatchObject({
      ok: false,
      code: 'ASSETS_DIRECTORY_OUTSIDE_ROOT',
      message: expect.stringContaining('`assets.directory`'),
    })
    const named = await build({ assets: { directory: home } }, { HOME: home })
    expect(named).toMatchObject({ ok: false, code: 'ASSETS_DIRECTORY_OUTSIDE_ROOT' })
    expect(await written()).not.toMatch(/id_ed25519|credentials|npmrc|canary/)
  })

  it('refuses a directory holding HOME when the project contains it (a project at /)', async () => {
    const inside = join(project, 'site/home/ci')
    await plant(inside, { '.ssh/id_ed25519': 'canary-ssh', '.npmrc': 'canary-npm' })
    const result = await build({ assets: { directory: 'site' } }, { HOME: inside })
    expect(result).toMatchObject({
      ok: false,
      code: 'ASSETS_DIRECTORY_HOLDS_HOME',
      message: expect.stringContaining(inside),
    })
    expect(await written()).not.toMatch(/canary|id_ed25519/)
  })

  it('refuses dotfiles in the client build until .assetsignore or assets.allowDotfiles says what to do with them', async () => {
    await plant(join(project, 'dist/client'), {
      '.env': 'TOKEN=canary-env',
      '.git/config': '[core]',
      'node_modules/x/index.js': '1',
      'tls/site.pem': 'pem',
    })
    const refused = await build({ assets: { directory: 'dist/client' } }, { HOME: home })
    expect(refused).toMatchObject({ ok: false, code: 'ASSETS_PRIVATE_FILES' })
    expect(refused.message).toContain('.env, .git/, node_modules/, tls/site.pem')
    expect(await written()).not.toContain('assets')

    await writeFile(join(project, 'dist/client/.assetsignore'), '.env\n.git\nnode_modules\n')
    const allowed = await build(
      { assets: { directory: 'dist/client', allowDotfiles: ['tls/site.pem'] } },
      { HOME: home },
    )
    expect(allowed).toEqual({ ok: true })
    const manifest = JSON.parse(
      await readFile(join(project, '.workers-version/assets-manifest.json'), 'utf8'),
    )
    expect(Object.keys(manifest)).toEqual(['/index.html', '/tls/site.pem'])
  })
})
