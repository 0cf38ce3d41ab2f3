// `npm run playground`: starts the local API emulator (as strict as the platform: the plugin
// creates the Worker on its first deploy), builds the full-stack playground with Vite and
// @cloudflare/vite-plugin (`vite build --mode deploy`: static assets uploaded, version created and
// promoted) twice, from its generated wrangler.json and from the Build Output it writes with
// cloudflare.config.ts, then the Worker alone with Rollup and esbuild (`upload: true`), and
// fetches pages, an SPA deep link and API routes from each preview. No Cloudflare account needed; nothing leaves
// 127.0.0.1.
import { spawn } from 'node:child_process'
import dns from 'node:dns'
import { readFile, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { Agent, setGlobalDispatcher } from 'undici'
import { startEmulator } from 'unplugin-workers-version/emulator'

// Each preview has its own origin, http://<id8>-<worker>.localhost:<port>/: browsers resolve
// *.localhost to loopback, Node's resolver does not, so this script's fetch is told to.
setGlobalDispatcher(
  new Agent({
    connect: {
      lookup: (hostname, options, callback) => {
        if (!hostname.endsWith('.localhost')) return dns.lookup(hostname, options, callback)
        return options.all
          ? callback(null, [{ address: '127.0.0.1', family: 4 }])
          : callback(null, '127.0.0.1', 4)
      },
    },
  }),
)

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const bin = (pkg, path) => join(dirname(require.resolve(`${pkg}/package.json`)), path)

const builds = [
  {
    name: 'vite',
    args: [bin('vite', 'bin/vite.js'), 'build', '--mode', 'deploy'],
    paths: ['/', '/settings/deep-link', '/api/hello'],
  },
  {
    name: 'vite-build-output',
    args: [
      bin('vite', 'bin/vite.js'),
      'build',
      '-c',
      'vite.build-output.config.js',
      '--mode',
      'deploy',
    ],
    paths: ['/', '/settings/deep-link', '/api/hello'],
  },
  {
    name: 'rollup',
    args: [bin('rollup', 'dist/bin/rollup'), '-c', 'rollup.config.js'],
    env: { UPLOAD: '1' },
    paths: ['/', '/lazy'],
  },
  { name: 'esbuild', args: ['esbuild.mjs'], env: { UPLOAD: '1' }, paths: ['/', '/lazy'] },
]

function run(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: here,
      env: { ...process.env, ...env },
      stdio: 'inherit',
    })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited with ${code}`)),
    )
  })
}

const emulator = await startEmulator()
console.log(`Local Cloudflare API emulator: ${emulator.url}\n`)
const env = {
  CLOUDFLARE_API_BASE_URL: emulator.url,
  CLOUDFLARE_API_TOKEN: emulator.token,
  CLOUDFLARE_ACCOUNT_ID: emulator.accountId,
}
let failed = false
try {
  await rm(join(here, '.workers-version'), { recursive: true, force: true })
  for (const build of builds) {
    console.log(`\n━━ ${build.name} ━━`)
    await run(build.args, { ...env, ...build.env })
    const { result } = JSON.parse(
      await readFile(join(here, '.workers-version', build.name, 'result.json'), 'utf8'),
    )
    for (const path of build.paths) {
      const response = await fetch(new URL(path.slice(1), result.urls[0]))
      const text = (await response.text()).trimEnd()
      console.log(
        `\nGET ${result.urls[0]}${path.slice(1)} → ${response.status}\n${text.replace(/^/gm, '  ')}`,
      )
      if (!response.ok) failed = true
    }
  }
  console.log(
    `\n${emulator.versions('playground').length} versions of "playground" and ${emulator.versions('playground-build-output').length} of "playground-build-output" on the emulator.`,
  )
} catch (error) {
  failed = true
  console.error(`\n${error instanceof Error ? error.message : error}`)
} finally {
  await emulator.close()
}
process.exitCode = failed ? 1 : 0
