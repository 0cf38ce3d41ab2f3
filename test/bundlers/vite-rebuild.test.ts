import { join } from 'node:path'
import { createBuilder, type Plugin } from 'vite'
import { describe, expect, it, vi } from 'vitest'
import workersVersion from '../../src/vite.js'
import { TEST_ROOT, readRequest, tempDir } from '../helpers/fixture.js'
import { expectWorkerResponds } from '../helpers/workerd.js'

const FIXTURE = join(TEST_ROOT, 'fixtures/vite-query-imports')

/** Stamps each build of the Worker's entry with its number, so the output tells which build it is. */
function stampBuilds(): Plugin {
  let builds = 0
  return {
    name: 'stamp-builds',
    buildStart() {
      builds += 1
    },
    transform(code, id) {
      return id.endsWith('/src/index.js')
        ? code.replace('Response.json({', `Response.json({ build: ${builds},`)
        : undefined
    },
  }
}

describe('an environment built twice in one app build', () => {
  it('is one version, of its last build (as RedwoodSDK builds its worker environment twice)', async () => {
    const dir = await tempDir('vite-rebuild')
    const outputDir = join(dir, '.workers-version')
    const summaries = vi.spyOn(console, 'log')
    const builder = await createBuilder({
      root: FIXTURE,
      configFile: false,
      logLevel: 'silent',
      environments: {
        worker: {
          consumer: 'server',
          build: { outDir: join(dir, 'worker'), rollupOptions: { input: 'src/index.js' } },
        },
      },
      builder: {
        async buildApp(builder) {
          await builder.build(builder.environments.worker!)
          await builder.build(builder.environments.worker!)
        },
      },
      plugins: [
        stampBuilds(),
        workersVersion({
          outputDir,
          worker: 'rebuilt',
          version: { compatibility_date: '2025-01-01' },
          logLevel: 'info',
        }),
      ],
    })
    await builder.buildApp()

    expect(
      summaries.mock.calls.filter(([line]) => String(line).includes('Workers version')),
    ).toHaveLength(1)
    const body = await readRequest(outputDir)
    expect(body.main_module).toBe('index.js')
    expect(body.modules.map((m) => m.name)).toEqual(['index.js'])
    await expectWorkerResponds(body, expect.objectContaining({ build: 2 }))
  })
})
