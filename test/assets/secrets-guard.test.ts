// An assets directory cannot publish secrets. A fake home directory with keys and
// credentials, planted on disk, reached through an option, a symlink or `..`; and private files
// left inside an otherwise good assets directory.
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { assertAssetsDirectoryPlacement, readAssetsDirectory } from '../../src/assets/manifest.js'
import { isPrivateName } from '../../src/assets/private-files.js'

let world: string
beforeEach(async () => {
  world = await realpath(await mkdtemp(join(tmpdir(), 'assets-guard-')))
})
afterEach(async () => {
  await rm(world, { recursive: true, force: true })
})

async function plant(base: string, files: Record<string, string>): Promise<string> {
  for (const [name, contents] of Object.entries(files)) {
    await mkdir(dirname(join(base, name)), { recursive: true })
    await writeFile(join(base, name), contents)
  }
  return base
}

const HOME_FILES = {
  '.ssh/id_ed25519': '-----BEGIN OPENSSH PRIVATE KEY-----\ncanary\n',
  '.aws/credentials': '[default]\naws_secret_access_key = canary\n',
  '.npmrc': '//registry.npmjs.org/:_authToken=canary\n',
  'notes.txt': 'hello',
}

function placementError(
  directory: string,
  places: Parameters<typeof assertAssetsDirectoryPlacement>[1],
): Error & { code?: string } {
  try {
    assertAssetsDirectoryPlacement(directory, places)
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error(`expected ${directory} to be refused`)
}

describe('where the assets directory may be', () => {
  it('refuses a home directory named by the option, and a `public` symlinked to it', async () => {
    const home = await plant(join(world, 'home/user'), HOME_FILES)
    const project = await plant(join(world, 'project'), { 'src/index.js': 'export default {}' })
    const homes = [home]

    const direct = placementError(home, { projectRoot: project, homes })
    expect(direct.code).toBe('ASSETS_DIRECTORY_OUTSIDE_ROOT')
    expect(direct.message).toContain('`assets.directory`')
    expect(direct.message).toContain(project)

    await symlink(home, join(project, 'public'), 'dir')
    const linked = placementError(join(project, 'public'), { projectRoot: project, homes })
    expect(linked.code).toBe('ASSETS_DIRECTORY_OUTSIDE_ROOT')
    expect(linked.message).toContain(`a link to ${home}`)

    // `..` from the Worker's output folder: the project's `.env` and its sources.
    await plant(project, { '.env': 'TOKEN=canary', 'dist/worker/index.js': '' })
    expect(
      placementError(join(project, 'dist/worker/..', '..', '..'), { projectRoot: project, homes })
        .code,
    ).toBe('ASSETS_DIRECTORY_OUTSIDE_ROOT')
  })

  it('refuses a directory that holds the home directory even inside the project root (a project at /)', async () => {
    const home = await plant(join(world, 'site/home/user'), HOME_FILES)
    for (const directory of [join(world, 'site'), join(world, 'site/home'), home]) {
      const error = placementError(directory, { projectRoot: world, homes: [home] })
      expect(error.code).toBe('ASSETS_DIRECTORY_HOLDS_HOME')
      expect(error.message).toContain(home)
      expect(error.message).toContain('`assets.directory`')
    }
    // A symlink to home inside the project is judged by where it leads.
    await symlink(home, join(world, 'public'), 'dir')
    expect(placementError(join(world, 'public'), { projectRoot: world, homes: [home] }).code).toBe(
      'ASSETS_DIRECTORY_HOLDS_HOME',
    )
    // Beside home, not above it: fine.
    await mkdir(join(world, 'site/home-page'))
    expect(() =>
      assertAssetsDirectoryPlacement(join(world, 'site/home-page'), {
        projectRoot: world,
        homes: [home],
      }),
    ).not.toThrow()
  })

  it('takes the home directories from os.homedir() and HOME by default', async () => {
    const home = process.env.HOME
    if (!home) return
    // The parent of the real home holds it: refused without being told where home is.
    const error = placementError(dirname(home), { projectRoot: '/' })
    expect(error.code).toBe(
      dirname(home) === '/' ? 'ASSETS_DIRECTORY_IS_ROOT' : 'ASSETS_DIRECTORY_HOLDS_HOME',
    )
  })

  it('accepts a build folder inside the project, also through a symlink that stays inside', async () => {
    const project = await plant(join(world, 'project'), { 'dist/client/index.html': '<h1>hi</h1>' })
    expect(() =>
      assertAssetsDirectoryPlacement(join(project, 'dist/client'), {
        projectRoot: project,
        homes: [join(world, 'home')],
      }),
    ).not.toThrow()
    await symlink(join(project, 'dist/client'), join(project, 'public'), 'dir')
    expect(() =>
      assertAssetsDirectoryPlacement(join(project, 'public'), {
        projectRoot: project,
        homes: [join(world, 'home')],
      }),
    ).not.toThrow()
  })
})

describe('private files inside the assets directory', () => {
  const PRIVATE = {
    '.env': 'TOKEN=canary',
    '.env.production': 'TOKEN=canary',
    '.dev.vars': 'SECRET=canary',
    '.npmrc': '//registry.npmjs.org/:_authToken=canary',
    '.git/config': '[core]',
    '.git/HEAD': 'ref: refs/heads/main',
    'certs/server.pem': '-----BEGIN PRIVATE KEY-----',
    'keys/id_rsa': '-----BEGIN OPENSSH PRIVATE KEY-----',
    '.ssh/id_ed25519': 'key',
    '.aws/credentials': '[default]',
    'node_modules/left-pad/index.js': 'module.exports = 1',
    'nested/deeper/.env.local': 'TOKEN=canary',
  }
  const PUBLIC = {
    'index.html': '<h1>hi</h1>',
    '.well-known/security.txt': 'Contact: mailto:security@example.com',
    'keys/id_rsa.pub': 'ssh-rsa AAAA',
    'id_card.png': 'png',
    'environment.json': '{}',
  }

  it('refuses them before hashing anything, listing every path and naming what to do', async () => {
    const root = await plant(join(world, 'client'), { ...PRIVATE, ...PUBLIC })
    const error = await readAssetsDirectory(root).catch(
      (e: unknown) => e as Error & { code?: string },
    )
    expect(error).toMatchObject({ code: 'ASSETS_PRIVATE_FILES' })
    const listed = /becomes a public URL: (.*)\. Remove/
      .exec((error as Error).message)?.[1]
      ?.split(', ')
    expect(listed).toEqual([
      '.aws/',
      '.dev.vars',
      '.env',
      '.env.production',
      '.git/',
      '.npmrc',
      '.ssh/',
      'certs/server.pem',
      'keys/id_rsa',
      'nested/deeper/.env.local',
      'node_modules/',
    ])
    expect((error as Error).message).toContain('.assetsignore')
    expect((error as Error).message).toContain('`assets.allowDotfiles`')
    expect((error as Error).message).not.toContain('canary')
  })

  it('publishes them only when .assetsignore leaves them out or assets.allowDotfiles names them', async () => {
    const root = await plant(join(world, 'client'), {
      ...PRIVATE,
      ...PUBLIC,
      '.assetsignore': [
        '.env*',
        '.dev.vars',
        '.npmrc',
        '.git/',
        '.ssh/',
        '.aws/',
        'node_modules',
        'nested/',
      ].join('\n'),
    })
    // What is left: a certificate and a key, refused until they are named.
    await expect(readAssetsDirectory(root)).rejects.toMatchObject({
      code: 'ASSETS_PRIVATE_FILES',
      message: expect.stringContaining('certs/server.pem, keys/id_rsa.'),
    })
    await expect(
      readAssetsDirectory(root, { allowDotfiles: ['certs/server.pem'] }),
    ).rejects.toMatchObject({ message: expect.stringContaining(': keys/id_rsa.') })
    const manifest = await readAssetsDirectory(root, { allowDotfiles: ['certs/*.pem', 'keys/'] })
    expect(manifest.files.map((f) => f.key)).toEqual([
      '/.well-known/security.txt',
      '/certs/server.pem',
      '/environment.json',
      '/id_card.png',
      '/index.html',
      '/keys/id_rsa',
      '/keys/id_rsa.pub',
    ])
  })

  it('a directory named in assets.allowDotfiles is published whole', async () => {
    const root = await plant(join(world, 'client'), {
      'index.html': 'x',
      'node_modules/pkg/index.js': '1',
      'node_modules/pkg/.env': 'x',
    })
    await expect(
      readAssetsDirectory(root, { allowDotfiles: ['node_modules'] }),
    ).resolves.toMatchObject({
      files: [
        { key: '/index.html' },
        { key: '/node_modules/pkg/.env' },
        { key: '/node_modules/pkg/index.js' },
      ],
    })
  })

  it('skips symlinks that leave the directory, private or not', async () => {
    const home = await plant(join(world, 'home'), HOME_FILES)
    const root = await plant(join(world, 'client'), { 'index.html': 'x' })
    await symlink(join(home, '.ssh'), join(root, 'ssh'), 'dir')
    await symlink(join(home, '.npmrc'), join(root, 'npmrc.txt'))
    await symlink(home, join(root, 'home'), 'dir')
    expect((await readAssetsDirectory(root)).files.map((f) => f.key)).toEqual(['/index.html'])
  })

  it('knows private names by their shape, case-insensitively', () => {
    for (const name of [
      '.env',
      '.ENV',
      '.envrc',
      '.env.local',
      '.dev.vars',
      '.npmrc',
      '.netrc',
      '.git-credentials',
      '.pypirc',
      '.git',
      'key.pem',
      'ID_RSA',
      'id_ecdsa_sk',
      'id_ed25519',
    ]) {
      expect(isPrivateName(name, 'file'), name).toBe(true)
    }
    for (const name of [
      'index.html',
      'id_rsa.pub',
      'id_card',
      'pem.txt',
      'env.js',
      '.well-known',
      '.htaccess',
    ])
      expect(isPrivateName(name, 'file'), name).toBe(false)
    for (const name of [
      '.git',
      '.ssh',
      '.aws',
      '.gnupg',
      '.wrangler',
      'node_modules',
      'Node_Modules',
    ])
      expect(isPrivateName(name, 'directory'), name).toBe(true)
    for (const name of ['.well-known', 'assets', 'modules', '.github'])
      expect(isPrivateName(name, 'directory'), name).toBe(false)
  })
})
