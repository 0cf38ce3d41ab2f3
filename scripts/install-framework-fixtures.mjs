// `node scripts/install-framework-fixtures.mjs`: installs each framework fixture
// (test/fixtures/framework-*) from its own lockfile with `npm ci`, so the frameworks, their Vite and
// their wrangler stay out of the root lockfile. A fixture whose node_modules was installed from the
// same lockfile (a stamp holding the lockfile's hash) is skipped, so a warm run costs nothing; npm's
// cache (`--prefer-offline`) makes a cold one mostly a copy. Prints each fixture's time; exits
// non-zero when an install fails. The tests in test/frameworks/ skip a fixture that is not installed.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../test/fixtures')
/** Where an install records the lockfile it came from; test/frameworks/fixture.ts reads the same file. */
const STAMP = join('node_modules', '.installed-from-lockfile')

const lockHash = (dir) =>
  createHash('sha256')
    .update(readFileSync(join(dir, 'package-lock.json')))
    .digest('hex')

const fixtures = readdirSync(FIXTURES)
  .filter(
    (name) =>
      name.startsWith('framework-') && existsSync(join(FIXTURES, name, 'package-lock.json')),
  )
  .sort()
const started = performance.now()
for (const name of fixtures) {
  const dir = join(FIXTURES, name)
  const hash = lockHash(dir)
  const stamp = join(dir, STAMP)
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash) {
    console.log(`== ${name}: installed from this lockfile, skipped`)
    continue
  }
  const begin = performance.now()
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const result = spawnSync(
    npm,
    ['ci', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
    { cwd: dir, stdio: 'inherit' },
  )
  if (result.status !== 0) {
    console.error(`== ${name}: npm ci failed (${result.error?.message ?? `exit ${result.status}`})`)
    process.exit(1)
  }
  writeFileSync(stamp, `${hash}\n`)
  console.log(`== ${name}: installed in ${((performance.now() - begin) / 1000).toFixed(1)} s`)
}
console.log(
  `== framework fixtures: ${fixtures.length} checked in ${((performance.now() - started) / 1000).toFixed(1)} s`,
)
