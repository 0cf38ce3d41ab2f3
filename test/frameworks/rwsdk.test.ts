/**
 * RedwoodSDK 1.7 (its minimal starter's shape), built by `vite build`, which builds the `worker`
 * environment twice (the second build links the first with the client's manifest): deployed from the
 * finished output by `unplugin-workers-version deploy`, opened through the version's preview, and
 * checked against what `wrangler deploy` 4.164 sends for the same build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emulatorEnv, runCli } from '../helpers/deploy-command.js'
import { useEmulator } from '../helpers/emulator.js'
import { createWorkerOn } from '../helpers/wrangler.js'
import { copyFrameworkFixture, expectSameAsWrangler, expectServed, fixtureInstall, removeCopy, runFrameworkBin, titled, wranglerDeploy } from './fixture.js'

const WORKER = 'framework-rwsdk'
const install = fixtureInstall(WORKER)

describe.skipIf(!install.installed)(titled('RedwoodSDK 1.7.3 through the deploy command', install), () => {
  const emulator = useEmulator()
  let root: string
  beforeAll(async () => {
    root = await copyFrameworkFixture(WORKER, { nodeModules: 'files' })
    await runFrameworkBin(root, 'vite', ['build'])
    await createWorkerOn(emulator(), WORKER)
  }, 240_000)
  afterAll(() => removeCopy(root))

  it('deploys the finished build: the server component reads its binding, the client code, the public file, the API route and a 404 are served', async () => {
    const run = await runCli(['deploy'], root, emulatorEnv(emulator()))
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0)
    const [ours] = emulator().versions(WORKER)
    // One Worker module: the linked build, not the two builds of the environment side by side.
    expect(ours!.modules.map((m) => m.name)).toEqual(['index.js'])
    const preview = ours!.urls[0]!

    const home = await expectServed(preview, '', { status: 200, type: 'text/html', contains: [/Welcome: (<!-- -->)?Hello from a binding/] })
    const scripts = [...new Set([...home.matchAll(/href="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]!))]
    expect(scripts.length).toBeGreaterThan(0)
    for (const script of scripts) await expectServed(preview, script, { status: 200, type: 'javascript' })
    await expectServed(preview, 'about', { status: 200, type: 'text/html', contains: ['About this app'] })
    await expectServed(preview, 'robots.txt', { status: 200, type: 'text/plain', contains: ['User-agent: *'] })
    expect(JSON.parse(await expectServed(preview, 'api/hello', { status: 200, type: 'application/json' }))).toEqual({ hello: 'from rwsdk', greeting: 'Hello from a binding' })
    await expectServed(preview, 'no/such/page', { status: 404, type: 'text/plain' })
  })

  it('sends what wrangler deploy 4.164 sends for the same build, apart from the documented differences', async () => {
    const [ours] = emulator().versions(WORKER)
    const theirs = await wranglerDeploy(emulator(), root, ours!)
    expectSameAsWrangler(emulator(), WORKER, ours!, theirs)
    expect(ours!.bindings.map((b) => `${b.type}:${b.name}`).sort()).toEqual(['assets:ASSETS', 'plain_text:GREETING'])
  })
})
