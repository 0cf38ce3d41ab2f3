// A user's build in a process of its own, so tests can read its real stdout, stderr and exit code.
// Uses the published entry point (dist), as a user's rollup.config.js would.
import { rollup } from 'rollup'
import workersVersion from '../../dist/rollup.js'

const { input, outDir, options, failBuild } = JSON.parse(process.env.BUILD_SPEC)
// failBuild: the bundler fails after the plugin has planned the build (and may have started reading the Worker).
const breaker = {
  name: 'breaker',
  renderChunk() {
    throw new Error('the build broke on purpose')
  },
}
try {
  const bundle = await rollup({
    input,
    plugins: [workersVersion(options), ...(failBuild ? [breaker] : [])],
  })
  try {
    await bundle.write({ dir: outDir, format: 'es', sourcemap: true })
  } finally {
    await bundle.close()
  }
} catch (error) {
  // As a programmatic user's script would: report and let the process end by itself, so
  // anything the plugin leaves running would keep it alive (and the tests would see that).
  console.error(error)
  process.exitCode = 1
}
