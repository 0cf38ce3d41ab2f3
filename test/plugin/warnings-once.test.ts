import { cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { TEST_ROOT, tempDir } from '../helpers/fixture.js'
import { deployViteApp } from '../helpers/vite-app.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('warnings of an app build', () => {
  it('print each distinct warning once, though the project config and the generated one both carry it', async () => {
    const root = await tempDir('warn-once')
    await cp(join(TEST_ROOT, 'fixtures/vite-fullstack'), root, {
      recursive: true,
      filter: (source) => !source.includes('/dist'),
    })
    const config = join(root, 'wrangler.jsonc')
    await writeFile(
      config,
      (await readFile(config, 'utf8')).replace(
        '"name": "fullstack",',
        '"name": "fullstack",\n  "observability": { "enabled": true },',
      ),
    )
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    vi.spyOn(console, 'log').mockImplementation(() => undefined)
    await deployViteApp(
      root,
      { auxiliaryWorkers: [{ configPath: join(root, 'aux/wrangler.jsonc') }] },
      { upload: false, logLevel: 'info' },
    )
    const lines = warn.mock.calls.map(([line]) => String(line))
    expect(lines.filter((line) => line.includes('observability'))).toHaveLength(1)
    expect(lines.filter((line) => line.includes('observability'))[0]).toMatch(
      /observability is applied only by `promote: true` \(100%\)/,
    )
  })
})
