/**
 * `unplugin-workers-version deploy` on what `vite build` with @cloudflare/vite-plugin leaves on disk:
 * `.wrangler/deploy/config.json` pointing at generated `wrangler.json` files (`no_bundle`) with their
 * modules beside them. The built dist/cli.js runs as a child process against the emulator.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { StoredVersion } from '../../src/emulator/index.js'
import { readRequest } from '../helpers/fixture.js'
import { previewUrlOn, useEmulator } from '../helpers/emulator.js'
import {
  builtFullstack,
  builtModulesWorker,
  emulatorEnv,
  runCli,
} from '../helpers/deploy-command.js'
import { expectClientServed } from '../helpers/vite-app.js'
import { runWrangler } from '../helpers/wrangler.js'

const emulator = useEmulator()

type Module = { name: string; content_type: string; content_base64: string }
const shape = (modules: readonly Module[]) =>
  modules
    .map(({ name, content_type, content_base64 }) => ({ name, content_type, content_base64 }))
    .sort((a, b) => a.name.localeCompare(b.name))

describe('deploy: the redirected config of a Vite build', () => {
  it('deploys an entry Worker and its auxiliary Worker with --promote, the bound Worker first, and the pages answer', async () => {
    const root = await builtFullstack()
    expect(
      JSON.parse(await readFile(join(root, '.wrangler/deploy/config.json'), 'utf8')),
    ).toMatchObject({
      configPath: expect.any(String),
      auxiliaryWorkers: [{ configPath: expect.any(String) }],
    })

    const run = await runCli(['deploy', '--promote'], root, emulatorEnv(emulator()))
    expect(run.stderr).not.toContain('deploy failed')
    expect(run.code).toBe(0)

    // fullstack binds fullstack-aux (a service binding): the auxiliary Worker is created first.
    const created = emulator()
      .requests.filter(
        (r) => r.method === 'POST' && /\/workers\/workers\/[^/]+\/versions$/.test(r.path),
      )
      .map((r) => r.path.split('/').at(-2))
    expect(created).toEqual(['fullstack-aux', 'fullstack'])
    const [aux] = emulator().versions('fullstack-aux')
    const [entry] = emulator().versions('fullstack')
    expect(emulator().deployments('fullstack')[0]!.versions).toEqual([
      { version_id: entry!.id, percentage: 100 },
    ])
    expect(emulator().deployments('fullstack-aux')[0]!.versions).toEqual([
      { version_id: aux!.id, percentage: 100 },
    ])
    expect(entry!.bindings).toEqual(
      expect.arrayContaining([
        { type: 'service', name: 'AUX', service: 'fullstack-aux' },
        { type: 'plain_text', name: 'GREETING', text: 'hello' },
      ]),
    )

    // The version's preview: the client's page, the API, and the auxiliary Worker through the binding.
    const preview = entry!.urls[0]!
    await expectClientServed(preview)
    expect(await (await fetch(new URL('api/hello', preview))).json()).toEqual({
      hello: 'from the api',
      greeting: 'hello',
    })
    // The emulator's previews do not route service bindings; the auxiliary Worker answers on its own preview.
    expect(await (await fetch(aux!.urls[0]!)).json()).toEqual({ aux: 'auxiliary' })
    expect((await fetch(new URL('robots.txt', preview))).status).toBe(200)

    // result.json for each Worker, the auxiliary one under workers/.
    const result = JSON.parse(await readFile(join(root, '.workers-version/result.json'), 'utf8'))
    expect(result).toMatchObject({
      worker: 'fullstack',
      result: { id: entry!.id },
      deployment: { versions: [{ version_id: entry!.id, percentage: 100 }] },
    })
    expect(
      JSON.parse(
        await readFile(join(root, '.workers-version/workers/fullstack-aux/result.json'), 'utf8'),
      ),
    ).toMatchObject({ worker: 'fullstack-aux', result: { id: aux!.id } })

    // wrangler deploy 4.164 on the same build follows the same redirected config (to the entry Worker only).
    await runWrangler(emulator(), ['deploy'], root)
    const versions = emulator().versions('fullstack')
    expect(versions).toHaveLength(2)
    // Newest first: wrangler's came last.
    const [theirs, ours] = versions as [StoredVersion, StoredVersion]
    // wrangler 4.164 sends `_headers` and `_redirects` as strings in `assets.config`, the plugin as text
    // modules of those names (the API takes both): every other module is the same, byte for byte.
    const configModules = new Set(['_headers', '_redirects'])
    expect(shape(ours.modules.filter((m) => !configModules.has(m.name)))).toEqual(
      shape(theirs.modules),
    )
    expect(theirs.modules.map((m) => m.name)).toContain('index.js.map')
    const theirConfig = (theirs.request.assets as { config: Record<string, unknown> }).config
    for (const name of configModules)
      expect(
        Buffer.from(ours.modules.find((m) => m.name === name)!.content_base64, 'base64').toString(),
      ).toBe(theirConfig[name])
    const { _headers: _h, _redirects: _r, ...otherConfig } = theirConfig
    expect((ours.request.assets as { config: unknown }).config).toEqual(otherConfig)
    expect(ours.bindings).toEqual(theirs.bindings)
    const sessions = emulator().assets.sessions.filter((s) => s.scriptName === 'fullstack')
    expect(sessions).toHaveLength(2)
    expect(sessions[0]!.manifest).toEqual(sessions[1]!.manifest)
  })

  it('sends the modules wrangler deploy sends (wasm, text, data, a lazy chunk, source maps) and makes a Preview with --preview NAME', async () => {
    const root = await builtModulesWorker()
    const run = await runCli(['deploy', '--preview', 'feature-x'], root, emulatorEnv(emulator()))
    expect(run.stderr).not.toContain('deploy failed')
    expect(run.code).toBe(0)
    const [preview] = emulator().previews('cf-worker')
    expect(preview).toMatchObject({ name: 'feature-x' })
    const [deployment] = emulator().previewDeployments(preview!.id)
    expect(deployment).toBeDefined()
    expect(
      JSON.parse(await readFile(join(root, '.workers-version/result.json'), 'utf8')),
    ).toMatchObject({
      kind: 'preview',
      preview: { name: 'feature-x' },
      deployment: { id: deployment!.id },
    })
    const answer = await fetch(previewUrlOn(emulator(), 'deployment', deployment!.id, 'cf-worker'))
    expect(await answer.json()).toEqual({
      lazy: 'loaded lazily',
      sum: 5,
      page: '<H1>HELLO FROM A TEXT MODULE</H1>',
      blob: '010203ff',
      entrypoint: 'function',
    })

    // The version as wrangler deploy 4.164 sends it from the same build, and ours as a version.
    await runWrangler(emulator(), ['deploy'], root)
    const promoted = await runCli(['deploy', '--promote'], root, emulatorEnv(emulator()))
    expect(promoted.code).toBe(0)
    const versions = emulator().versions('cf-worker')
    expect(versions).toHaveLength(2)
    // Newest first: ours came last.
    const [ours, theirs] = versions as [StoredVersion, StoredVersion]
    expect(ours.modules.map((m) => m.content_type).sort()).toEqual(
      expect.arrayContaining([
        'application/wasm',
        'text/plain',
        'application/octet-stream',
        'application/source-map',
      ]),
    )
    expect(shape(ours.modules)).toEqual(shape(theirs.modules))
    expect(ours.bindings).toEqual(theirs.bindings)
    expect([ours.main_module, ours.compatibility_date, ours.compatibility_flags]).toEqual([
      theirs.main_module,
      theirs.compatibility_date,
      theirs.compatibility_flags,
    ])
  })

  it('--dry-run sends nothing and writes request.json for each Worker', async () => {
    const root = await builtFullstack()
    const before = emulator().requests.length
    const run = await runCli(['deploy', '--dry-run'], root, emulatorEnv(emulator()))
    expect(run.code).toBe(0)
    expect(emulator().requests.length).toBe(before)
    const body = await readRequest(join(root, '.workers-version'))
    expect(body.main_module).toBe('index.js')
    expect(body.bindings).toEqual(
      expect.arrayContaining([{ type: 'service', name: 'AUX', service: 'fullstack-aux' }]),
    )
    expect(
      (await readRequest(join(root, '.workers-version/workers/fullstack-aux'))).main_module,
    ).toBe('index.js')
    expect(existsSync(join(root, '.workers-version/result.json'))).toBe(false)
    expect(run.stdout).toContain('dry run')
  })
})
