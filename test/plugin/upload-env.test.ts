import { join } from 'node:path'
import { build } from 'vite'
import { afterEach, describe, expect, it, vi } from 'vitest'
import vitePlugin from '../../src/vite.js'
import { TEST_ROOT, tempDir } from '../helpers/fixture.js'
import { posts, uploadOptions, useEmulator } from '../helpers/emulator.js'

// A framework whose build command has no `--mode` (`waku build`) uploads through WORKERS_VERSION_UPLOAD.
const emulator = useEmulator({ autoCreateWorkers: true })
const FIXTURE = join(TEST_ROOT, 'fixtures/vite-query-imports')

afterEach(() => {
  vi.unstubAllEnvs()
})

async function buildWithoutMode(worker: string): Promise<void> {
  const dir = await tempDir('upload-env')
  await build({
    root: FIXTURE,
    configFile: false,
    logLevel: 'silent',
    build: { ssr: 'src/index.js', outDir: join(dir, 'dist') },
    plugins: [
      vitePlugin(
        uploadOptions(emulator(), worker, { upload: undefined, outputDir: join(dir, 'out') }),
      ),
    ],
  })
}

describe('WORKERS_VERSION_UPLOAD', () => {
  it('=1 uploads a build run without --mode; unset, the same build stays a dry run', async () => {
    await buildWithoutMode('env-dry-run')
    expect(posts(emulator(), 'env-dry-run')).toHaveLength(0)

    vi.stubEnv('WORKERS_VERSION_UPLOAD', '1')
    await buildWithoutMode('env-upload')
    expect(posts(emulator(), 'env-upload')).toHaveLength(1)
  })

  it('with a value it does not know, fails the build before it starts', async () => {
    vi.stubEnv('WORKERS_VERSION_UPLOAD', 'deploy-please')
    await expect(buildWithoutMode('env-bad')).rejects.toThrow(
      'WORKERS_VERSION_UPLOAD is "deploy-please"',
    )
    expect(posts(emulator(), 'env-bad')).toHaveLength(0)
  })
})
