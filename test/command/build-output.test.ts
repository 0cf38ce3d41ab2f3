/**
 * `unplugin-workers-version deploy` on Build Output trees (`.cloudflare/output/v0|v1`): written by
 * this plugin's `buildOutput`, by `wrangler build` 4.164 and by @cloudflare/vite-plugin's
 * `cfBuildOutput`, and a tree of two Workers where one binds the other.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readRequest, tempDir } from '../helpers/fixture.js'
import { previewUrlOn, useEmulator } from '../helpers/emulator.js'
import {
  emulatorEnv,
  rollupBuildOutput,
  runCli,
  viteBuildOutput,
  wranglerBuildOutput,
} from '../helpers/deploy-command.js'
import { expectClientServed } from '../helpers/vite-app.js'

const emulator = useEmulator()

function versionPosts(): string[] {
  return emulator()
    .requests.filter(
      (r) => r.method === 'POST' && /\/workers\/workers\/[^/]+\/versions$/.test(r.path),
    )
    .map((r) => r.path.split('/').at(-2)!)
}

describe('deploy: Build Output', () => {
  it('deploys a v0 tree as a Preview with --preview NAME: code, a wasm module and static assets answer on the deployment', async () => {
    const root = await rollupBuildOutput()
    const run = await runCli(['deploy', '--preview', 'bo-feature'], root, emulatorEnv(emulator()))
    expect(run.stderr).not.toContain('deploy failed')
    expect(run.code).toBe(0)
    const [preview] = emulator().previews('bo-out')
    expect(preview).toMatchObject({ name: 'bo-feature' })
    const [deployment] = emulator().previewDeployments(preview!.id)
    const url = previewUrlOn(emulator(), 'deployment', deployment!.id, 'bo-out')
    expect(await (await fetch(new URL('api/add?a=20&b=22', url))).json()).toEqual({ sum: 42 })
    expect(await (await fetch(new URL('docs/readme.txt', url))).text()).toBe(
      'A nested static file.\n',
    )
    // A Preview takes the `previews` bindings only (none here) and the assets binding, and creates no version.
    expect(Object.keys(deployment!.env)).toEqual(['ASSETS'])
    expect(emulator().versions('bo-out')).toEqual([])
    expect(
      JSON.parse(await readFile(join(root, '.workers-version/result.json'), 'utf8')),
    ).toMatchObject({ kind: 'preview', worker: 'bo-out', deployment: { id: deployment!.id } })
  })

  it("deploys wrangler build's v1 tree with --promote: a var, a KV namespace and a wasm module answer on the preview", async () => {
    const root = await wranglerBuildOutput()
    expect(existsSync(join(root, '.cloudflare/output/v1'))).toBe(true)
    const run = await runCli(['deploy', '--promote'], root, emulatorEnv(emulator()))
    expect(run.stderr).not.toContain('deploy failed')
    expect(run.code).toBe(0)
    const [version] = emulator().versions('bo-wrangler')
    expect(emulator().deployments('bo-wrangler')[0]!.versions).toEqual([
      { version_id: version!.id, percentage: 100 },
    ])
    expect(await (await fetch(version!.urls[0]!)).json()).toEqual({
      greeting: 'hello from v1',
      kv: 'stored',
      sum: 5,
    })
    expect(
      JSON.parse(await readFile(join(root, '.workers-version/result.json'), 'utf8')),
    ).toMatchObject({ worker: 'bo-wrangler', result: { id: version!.id } })
  })

  it("--dry-run on the Cloudflare Vite plugin's tree sends nothing, then --promote deploys it and its client answers", async () => {
    const root = await viteBuildOutput()
    const before = emulator().requests.length
    const dry = await runCli(['deploy', '--dry-run'], root, emulatorEnv(emulator()))
    expect(dry.code).toBe(0)
    expect(emulator().requests.length).toBe(before)
    const body = await readRequest(join(root, '.workers-version'))
    // From worker.config.json, not from the stale wrangler.jsonc beside it (GREETING is only there).
    expect(body.bindings).toEqual([
      { type: 'plain_text', name: 'SOURCE', text: 'build-output' },
      { type: 'assets', name: 'ASSETS' },
    ])
    expect(dry.stdout).toContain('fullstack-bo')

    const run = await runCli(['deploy', '--promote'], root, emulatorEnv(emulator()))
    expect(run.code).toBe(0)
    const [version] = emulator().versions('fullstack-bo')
    await expectClientServed(version!.urls[0]!)
    expect(await (await fetch(new URL('api/hello', version!.urls[0]!))).json()).toEqual({
      hello: 'from the api',
    })
  })

  it('deploys every Worker of a tree, the Worker a service binding names before the Worker that binds it', async () => {
    const root = await rollupBuildOutput()
    const tree = join(root, '.cloudflare/output/v0/workers')
    // A second Worker directory: the entry Worker (`default`) comes first in the tree, the binding puts it last.
    await mkdir(join(tree, 'aux/bundle'), { recursive: true })
    await writeFile(
      join(tree, 'aux/bundle/index.js'),
      'export default { fetch: () => Response.json({ aux: true }) }\n',
    )
    await writeFile(
      join(tree, 'aux/worker.config.json'),
      JSON.stringify({
        name: 'bo-out-aux',
        compatibilityDate: '2025-01-01',
        manifest: { type: 'partial', mainModule: 'index.js', modules: {} },
      }),
    )
    const configFile = join(tree, 'default/worker.config.json')
    const config = JSON.parse(await readFile(configFile, 'utf8'))
    config.env.AUX = { type: 'worker', worker: 'bo-out-aux' }
    await writeFile(configFile, JSON.stringify(config))

    const before = versionPosts().length
    const run = await runCli(['deploy', '--promote'], root, emulatorEnv(emulator()))
    expect(run.stderr).not.toContain('deploy failed')
    expect(run.code).toBe(0)
    expect(versionPosts().slice(before)).toEqual(['bo-out-aux', 'bo-out'])
    expect(run.stdout).toContain('Deploy order: bo-out-aux → bo-out')
    const [aux] = emulator().versions('bo-out-aux')
    expect(await (await fetch(aux!.urls[0]!)).json()).toEqual({ aux: true })
    const [entry] = emulator().versions('bo-out')
    expect(emulator().deployments('bo-out')[0]!.versions).toEqual([
      { version_id: entry!.id, percentage: 100 },
    ])
    expect(await (await fetch(new URL('api/info?who=deploy', entry!.urls[0]!))).json()).toEqual({
      greeting: 'hello from a var',
      kv: 'deploy',
      lazy: 'loaded lazily',
    })
    expect(emulator().versions('bo-out').at(-1)!.request.bindings).toContainEqual({
      type: 'service',
      name: 'AUX',
      service: 'bo-out-aux',
    })
    expect(
      JSON.parse(
        await readFile(join(root, '.workers-version/workers/bo-out-aux/result.json'), 'utf8'),
      ),
    ).toMatchObject({ worker: 'bo-out-aux' })
  })

  it('rolls out gradually with --promote PERCENT, reports to GITHUB_OUTPUT, and names a Preview after the CI branch with --preview', async () => {
    const root = await rollupBuildOutput()
    // A Worker of its own for this test: bo-out is deployed by the others.
    const file = join(root, '.cloudflare/output/v0/workers/default/worker.config.json')
    await writeFile(
      file,
      JSON.stringify({ ...JSON.parse(await readFile(file, 'utf8')), name: 'bo-rollout' }),
    )
    expect((await runCli(['deploy', '--promote'], root, emulatorEnv(emulator()))).code).toBe(0)
    const outputs = join(await tempDir('deploy-outputs'), 'github-output')
    await writeFile(outputs, '')
    const run = await runCli(
      ['deploy', '--promote', '30'],
      root,
      emulatorEnv(emulator(), { GITHUB_OUTPUT: outputs }),
    )
    expect(run.code, run.stderr).toBe(0)
    const [second, first] = emulator().versions('bo-rollout')
    expect(emulator().deployments('bo-rollout')[0]!.versions).toEqual(
      expect.arrayContaining([
        { version_id: second!.id, percentage: 30 },
        { version_id: first!.id, percentage: 70 },
      ]),
    )
    const written = await readFile(outputs, 'utf8')
    expect(written).toContain(`version-id=${second!.id}\n`)
    expect(written).toMatch(/^traffic=.*:30/m)

    // A push of the branch: a pull request from a repository the CI does not name would be refused as a possible fork.
    const branch = await runCli(
      ['deploy', '--preview'],
      root,
      emulatorEnv(emulator(), {
        GITHUB_EVENT_NAME: 'push',
        GITHUB_REF: 'refs/heads/feature/from-ci',
        GITHUB_REF_NAME: 'feature/from-ci',
      }),
    )
    expect(branch.code, branch.stderr).toBe(0)
    expect(
      emulator()
        .previews('bo-rollout')
        .map((p) => p.name),
    ).toEqual(['feature/from-ci'])
  })
})
