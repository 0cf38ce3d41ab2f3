/**
 * Astro 7 with @astrojs/cloudflare 14, built by `astro build`, which finishes the Worker after Vite
 * (manifest, prerendered pages, `_headers`): deployed from the finished output by
 * `unplugin-workers-version deploy`, opened through the version's preview, and checked against what
 * `wrangler deploy` 4.164 sends for the same build.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorkerOn } from '../helpers/wrangler.js'
import { emulatorEnv, runCli } from '../helpers/deploy-command.js'
import { useEmulator } from '../helpers/emulator.js'
import {
  copyFrameworkFixture,
  expectCommonRoutes,
  expectSameAsWrangler,
  expectServed,
  fixtureReady,
  removeCopy,
  runFrameworkBin,
  titled,
  wranglerDeploy,
} from './fixture.js'

const WORKER = 'framework-astro'
const ready = fixtureReady(WORKER, ['astro', '@astrojs/cloudflare'])

describe.skipIf(!ready.ready)(
  titled('Astro 7.4 (@astrojs/cloudflare 14.3) through the deploy command', ready),
  () => {
    const emulator = useEmulator()
    let root: string
    beforeAll(async () => {
      root = await copyFrameworkFixture(WORKER)
      await runFrameworkBin(root, 'astro', ['build'])
      await createWorkerOn(emulator(), WORKER)
    }, 240_000)
    afterAll(() => removeCopy(root))

    it('with the plugin in its config and an upload asked for, astro build is refused before anything is sent, naming the deploy command', async () => {
      const copy = await copyFrameworkFixture(WORKER)
      try {
        const failure = await runFrameworkBin(
          copy,
          'astro',
          ['build', '--config', 'astro.with-plugin.config.mjs'],
          { ...emulatorEnv(emulator()), WORKERS_VERSION_UPLOAD: '1' },
        ).then(
          () => new Error('astro build succeeded'),
          (error: Error) => error,
        )
        expect(failure.message).toContain('@@ASTRO_MANIFEST_REPLACE@@')
        expect(failure.message).toContain(
          'run `astro build` without uploading (no `--mode deploy`, no `upload` option), then `npx unplugin-workers-version deploy`',
        )
        expect(
          emulator().requests.filter((r) => /\/versions$|assets-upload-session$/.test(r.path)),
        ).toEqual([])
      } finally {
        await removeCopy(copy)
      }
    }, 240_000)

    it('a dry run of the finished build prints its summary, writes request.json and sends nothing', async () => {
      const run = await runCli(['deploy', '--dry-run'], root, emulatorEnv(emulator()))
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0)
      expect(`${run.stdout}${run.stderr}`).toContain('Workers version for framework-astro')
      const request = JSON.parse(
        await readFile(join(root, '.workers-version/request.json'), 'utf8'),
      ) as { main_module: string; modules: Array<{ name: string }> }
      expect(request.main_module).toBe('entry.mjs')
      expect(request.modules.map((m) => m.name)).toContain('_headers')
      expect(emulator().versions(WORKER)).toEqual([])
    })

    it('deploys the finished build: the SSR page reads its binding, the prerendered page, the public file, the API route and a 404 are served', async () => {
      const run = await runCli(['deploy'], root, emulatorEnv(emulator()))
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0)
      const [ours] = emulator().versions(WORKER)
      expect(ours!.main_module).toBe('entry.mjs')
      const preview = ours!.urls[0]!

      // Rendered by the Worker: the var binding, and Astro's stylesheet from the assets.
      const home = await expectServed(preview, '', {
        status: 200,
        type: 'text/html',
        contains: [/<h1[^>]*>Hello from a binding<\/h1>/, 'Rendered at request time for /'],
      })
      const stylesheet = /href="\/(_astro\/[^"]+\.css)"/.exec(home)?.[1]
      expect(stylesheet).toBeDefined()
      expect(await expectServed(preview, stylesheet!, { status: 200, type: 'text/css' })).toContain(
        '#2a4b6c',
      )
      // Prerendered at build time: a static asset, as is the public/ file.
      expect(ours!.assetsManifest).toHaveProperty(['/about/index.html'])
      await expectServed(preview, 'about/', {
        status: 200,
        type: 'text/html',
        contains: ['About this prerendered page'],
      })
      await expectCommonRoutes(preview, {
        api: { hello: 'from astro', path: '/api/hello' },
        notFound: { type: 'text/html' },
      })
      // The `_headers` Astro writes after Vite travels with the version.
      expect(ours!.modules.map((m) => m.name)).toContain('_headers')
    })

    it('sends what wrangler deploy 4.164 sends for the same build, apart from the documented differences', async () => {
      const [ours] = emulator().versions(WORKER)
      const theirs = await wranglerDeploy(emulator(), root, ours!)
      expectSameAsWrangler(emulator(), WORKER, ours!, theirs)
      // What the comparison covered: the SSR entry's chunks, the bindings Astro's adapter adds.
      expect(ours!.bindings.map((b) => `${b.type}:${b.name}`).sort()).toEqual([
        'assets:ASSETS',
        'images:IMAGES',
        'kv_namespace:SESSION',
        'plain_text:GREETING',
      ])
    })
  },
)
