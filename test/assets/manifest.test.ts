import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import {
  assertAssetsDirectoryPlacement,
  manifestBody,
  manifestRequestJson,
  readAssetsDirectory,
} from '../../src/assets/manifest.js'
import { AssetHasher } from '../../src/assets/hash.js'

const dirs: string[] = []
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })))
})

async function tree(files: Record<string, string | Buffer>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'assets-manifest-'))
  dirs.push(root)
  for (const [name, contents] of Object.entries(files)) {
    await mkdir(dirname(join(root, name)), { recursive: true })
    await writeFile(join(root, name), contents)
  }
  return root
}

// Reference values computed with blake3-wasm (the implementation wrangler 4.164 uses) over
// base64(contents) + extension.
const KNOWN = {
  helloTxt: 'f0b3413d4cabb000327fad369003d6a5',
  h1Html: 'e5e943f01929441dfbb0d4956a759fda',
  emptyCss: '9e7a27539226d700e116522ee435029d',
  bodyNoExt: 'fe9a96f6377e843950f9dd1ea368f73e',
}

describe('readAssetsDirectory', () => {
  it('keys every file by "/" + posix path with wrangler\'s hash and the size', async () => {
    const root = await tree({
      'hello.txt': 'hello',
      'index.html': '<h1>hi</h1>',
      'assets/empty.css': '',
      'deep/er/LICENSE': 'body{}',
      'odd "name" é.txt': 'q',
    })
    const manifest = await readAssetsDirectory(root)
    expect(manifestBody(manifest)).toEqual({
      '/hello.txt': { hash: KNOWN.helloTxt, size: 5 },
      '/index.html': { hash: KNOWN.h1Html, size: 11 },
      '/assets/empty.css': { hash: KNOWN.emptyCss, size: 0 },
      '/deep/er/LICENSE': { hash: KNOWN.bodyNoExt, size: 6 },
      '/odd "name" é.txt': { hash: expect.stringMatching(/^[0-9a-f]{32}$/), size: 1 },
    })
    expect(
      JSON.parse(manifestRequestJson(manifest).toString('utf8')).manifest['/odd "name" é.txt'].size,
    ).toBe(1)
    expect(manifest.files.map((f) => f.key)).toEqual([
      '/assets/empty.css',
      '/deep/er/LICENSE',
      '/hello.txt',
      '/index.html',
      '/odd "name" é.txt',
    ])
    expect(manifest.files[0]?.path).toBe(join(root, 'assets/empty.css'))
    expect(manifest.directory).toBe(root)
    expect(manifest.headers).toBeUndefined()
  })

  it('streams large files to the same hash as hashing them whole', async () => {
    // 3 MiB + 1 byte of varied bytes: more than one chunk and a remainder that is not a multiple of 3.
    const big = Buffer.alloc(3 * 1024 * 1024 + 1)
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 8)) & 0xff
    const root = await tree({ 'big.bin': big })
    const manifest = await readAssetsDirectory(root)
    const whole = (await AssetHasher.create()).hashBytes(big, 'big.bin')
    expect(manifest.files[0]).toMatchObject({ key: '/big.bin', size: big.length, hash: whole })
  })

  it('skips .assetsignore patterns, .assetsignore, _headers and _redirects, and returns the last two', async () => {
    const root = await tree({
      '.assetsignore': '*.map\nprivate/\n!keep.map\n',
      _headers: '/*\n  X-Test: 1\n',
      _redirects: '/old /new 301\n',
      'index.html': 'x',
      'app.js.map': '{}',
      'keep.map': '{}',
      'private/secret.txt': 's',
      'nested/_headers': 'only the top-level one is special',
    })
    const manifest = await readAssetsDirectory(root)
    expect(manifest.files.map((f) => f.key)).toEqual([
      '/index.html',
      '/keep.map',
      '/nested/_headers',
    ])
    expect(manifest.headers).toBe('/*\n  X-Test: 1\n')
    expect(manifest.redirects).toBe('/old /new 301\n')
  })

  it('skips symlinks to files and to directories', async () => {
    const root = await tree({ 'real.txt': 'r', 'dir/inner.txt': 'i' })
    await symlink(join(root, 'real.txt'), join(root, 'link.txt'))
    await symlink(join(root, 'dir'), join(root, 'linked-dir'))
    const manifest = await readAssetsDirectory(root)
    expect(manifest.files.map((f) => f.key)).toEqual(['/dir/inner.txt', '/real.txt'])
  })

  it('refuses a missing directory and a file given as the directory', async () => {
    const root = await tree({ 'file.txt': 'x' })
    await expect(readAssetsDirectory(join(root, 'nope'))).rejects.toMatchObject({
      code: 'ASSETS_DIRECTORY_MISSING',
      message: expect.stringContaining('nope'),
    })
    await expect(readAssetsDirectory(join(root, 'file.txt'))).rejects.toMatchObject({
      code: 'ASSETS_NOT_A_DIRECTORY',
    })
  })

  it('refuses a 26 MiB file, naming it and its size', async () => {
    const root = await tree({ 'ok.txt': 'fine' })
    await mkdir(join(root, 'media'))
    await writeFile(join(root, 'media/video.mp4'), '')
    await truncate(join(root, 'media/video.mp4'), 26 * 1024 * 1024)
    const error = await readAssetsDirectory(root).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ASSETS_FILE_TOO_LARGE' })
    expect((error as Error).message).toContain('media/video.mp4')
    expect((error as Error).message).toContain('26.0 MiB')
    expect((error as Error).message).toContain('25.0 MiB')
  })

  it('a tree 2,100 levels deep (4,200 characters, past the 4,096 Linux allows): an error naming the assets directory and the depth, not a bare ENAMETOOLONG', async () => {
    const root = await tree({ 'index.html': '<h1>hi</h1>' })
    // Made by a child that descends as it creates: no single path it uses is too long.
    execFileSync(
      process.execPath,
      [
        '-e',
        "const fs = require('fs'); for (let i = 0; i < 2100; i++) { fs.mkdirSync('d'); process.chdir('d') } fs.writeFileSync('deep.txt', 'x')",
      ],
      { cwd: root },
    )
    // GNU rm walks a deep tree relative to each directory; Node's rm would hit the same limit.
    dirs.splice(dirs.indexOf(root), 1)
    onTestFinished(() => void execFileSync('rm', ['-rf', root]))
    const error = await readAssetsDirectory(root).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ASSETS_PATH_TOO_LONG' })
    expect((error as Error).message).toMatch(
      new RegExp(
        `^The assets directory ${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds a path too long for the file system to open: 2,0\\d\\d directories deep`,
      ),
    )
    expect((error as Error).message).toContain('(it starts "d/d/d/d/')
    expect((error as Error).message).toContain('.assetsignore')
  })

  it('refuses more files than the maxFiles limit', async () => {
    const root = await tree(
      Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}.txt`, String(i)])),
    )
    await expect(readAssetsDirectory(root, { maxFiles: 6 })).resolves.toMatchObject({
      files: expect.any(Array),
    })
    const error = await readAssetsDirectory(root, { maxFiles: 5 }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ASSETS_TOO_MANY_FILES' })
    expect((error as Error).message).toContain('more than 5 files')
    expect((error as Error).message).toContain('`assets.maxFiles` limit')
  })

  it('hashes many files with any concurrency to the same manifest', async () => {
    const root = await tree(
      Object.fromEntries(
        Array.from({ length: 200 }, (_, i) => [`d${i % 7}/file-${i}.js`, `export default ${i}`]),
      ),
    )
    const one = await readAssetsDirectory(root, { concurrency: 1 })
    const many = await readAssetsDirectory(root, { concurrency: 16 })
    expect(one.files).toHaveLength(200)
    expect(manifestBody(many)).toEqual(manifestBody(one))
    // The session request body is written piece by piece; it must be exactly the JSON of the manifest.
    expect(JSON.parse(manifestRequestJson(one).toString('utf8'))).toEqual({
      manifest: manifestBody(one),
    })
  })
})

describe('assertAssetsDirectoryPlacement', () => {
  it('refuses the project root and a directory holding the Worker output, accepts a sibling', () => {
    expect(() => assertAssetsDirectoryPlacement('/p', { projectRoot: '/p' })).toThrow(
      expect.objectContaining({ code: 'ASSETS_DIRECTORY_IS_ROOT' }),
    )
    expect(() =>
      assertAssetsDirectoryPlacement('/p/dist', {
        projectRoot: '/p',
        workerOutputDir: '/p/dist/worker',
      }),
    ).toThrow(expect.objectContaining({ code: 'ASSETS_CONTAIN_WORKER_OUTPUT' }))
    expect(() =>
      assertAssetsDirectoryPlacement('/p/dist', { projectRoot: '/p', workerOutputDir: '/p/dist' }),
    ).toThrow(expect.objectContaining({ code: 'ASSETS_CONTAIN_WORKER_OUTPUT' }))
    expect(() =>
      assertAssetsDirectoryPlacement('/p/dist/client', {
        projectRoot: '/p',
        workerOutputDir: '/p/dist/worker',
      }),
    ).not.toThrow()
    expect(() =>
      assertAssetsDirectoryPlacement('/p/dist/client', {
        projectRoot: '/p',
        workerOutputDir: '/p/dist/client-worker',
      }),
    ).not.toThrow()
  })
})
