// `node scripts/install-order.mjs` (after `npm run build`): a new user's first hour, from the npm registry.
// In a fresh project it installs @cloudflare/vite-plugin 1.64 (with vite), then wrangler 4.164, then this
// package's tarball (`npm pack`), in that order, with no other install step, and deploys the first version
// with `vite build --mode deploy` to the local emulator: preflight must run (through whichever miniflare
// npm left in the tree, which it names) and the version's preview must answer. Needs the registry and takes
// about a minute; it prints each step's time. Exits non-zero on any failure.
import { execFileSync, spawn } from 'node:child_process'
import dns from 'node:dns'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { Agent, request } from 'undici'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
const INSTALLS = [['vite@8.4.0', '@cloudflare/vite-plugin@1.64.0'], ['wrangler@4.164.0']]

const timings = []
async function step(name, run) {
  const started = performance.now()
  const result = await run()
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  timings.push(`${name}: ${seconds} s`)
  console.log(`== ${name} (${seconds} s)`)
  return result
}

/** Runs a command in `cwd`, echoing its output, and resolves with it; rejects on a non-zero exit. */
function run(command, args, cwd, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const echo = (chunk) => {
      output += chunk
      process.stdout.write(chunk)
    }
    child.stdout.on('data', echo)
    child.stderr.on('data', echo)
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`)),
    )
  })
}

const project = await mkdtemp(join(tmpdir(), 'wv-install-order-'))
const packDir = await mkdtemp(join(tmpdir(), 'wv-pack-'))
// The emulator of this checkout, as `npx unplugin-workers-version emulator` would start it.
const { startEmulator } = await import(join(REPO, 'dist/emulator/index.js'))
const emulator = await startEmulator()
try {
  const tarball = await step('npm pack', async () => {
    execFileSync('npm', ['pack', '--pack-destination', packDir, '--silent'], {
      cwd: REPO,
      stdio: 'ignore',
    })
    return join(
      packDir,
      (await readdir(packDir)).find((name) => name.endsWith('.tgz')),
    )
  })

  await writeFile(
    join(project, 'package.json'),
    JSON.stringify({ name: 'first-worker', private: true, type: 'module' }, null, 2),
  )
  await writeFile(
    join(project, 'wrangler.jsonc'),
    '{ "name": "first-worker", "main": "./src/index.js", "compatibility_date": "2025-06-01" }\n',
  )
  await writeFile(
    join(project, 'vite.config.js'),
    `import { cloudflare } from '@cloudflare/vite-plugin'
import { defineConfig } from 'vite'
import workersVersion from 'unplugin-workers-version/vite'

export default defineConfig({ plugins: [cloudflare({ inspectorPort: false, persistState: false }), workersVersion({ promote: true })] })
`,
  )
  await run('mkdir', ['-p', 'src'], project)
  await writeFile(
    join(project, 'src/index.js'),
    "export default { fetch: () => new Response('hello from the first version') }\n",
  )

  for (const packages of INSTALLS)
    await step(`npm install -D ${packages.join(' ')}`, () =>
      run('npm', ['install', '-D', '--no-audit', '--no-fund', ...packages], project),
    )
  const installOutput = await step('npm install -D <tarball>', () =>
    run('npm', ['install', '-D', '--no-audit', '--no-fund', tarball], project),
  )
  if (/ERESOLVE|invalid|peer dep/i.test(installOutput))
    throw new Error('npm complained about a peer dependency (above)')
  console.log(execFileSync('npm', ['ls', 'miniflare', '--all'], { cwd: project, encoding: 'utf8' }))

  const build = await step('vite build --mode deploy', () =>
    run('npx', ['vite', 'build', '--mode', 'deploy'], project, {
      CLOUDFLARE_API_BASE_URL: emulator.url,
      CLOUDFLARE_API_TOKEN: emulator.token,
      CLOUDFLARE_ACCOUNT_ID: emulator.accountId,
    }),
  )
  const used = /preflight runs workerd through (miniflare \S+ \([^)]*\))/.exec(build)
  if (!used || !/preflight: the version starts in workerd/.test(build))
    throw new Error('preflight did not run')
  const [version] = emulator.versions('first-worker')
  if (!version) throw new Error('no version reached the emulator')
  // The preview is on its own *.localhost origin, which Node's resolver does not know: answer loopback.
  const dispatcher = new Agent({
    connect: {
      lookup: (host, options, callback) =>
        host.endsWith('.localhost')
          ? options.all
            ? callback(null, [{ address: '127.0.0.1', family: 4 }])
            : callback(null, '127.0.0.1', 4)
          : dns.lookup(host, options, callback),
    },
  })
  const answer = await request(version.urls[0], { dispatcher })
  const text = await answer.body.text()
  if (answer.statusCode !== 200 || text !== 'hello from the first version')
    throw new Error(`the preview answered ${answer.statusCode}: ${text}`)
  console.log(
    `\nOK: preflight ran through ${used[1]}; version ${version.id} answers at ${version.urls[0]}`,
  )
  console.log(timings.map((line) => `  ${line}`).join('\n'))
} finally {
  await emulator.close()
  await rm(project, { recursive: true, force: true })
  await rm(packDir, { recursive: true, force: true })
}
