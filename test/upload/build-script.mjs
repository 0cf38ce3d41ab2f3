// A user's build in a process of its own, so tests can read its real stdout, stderr and exit code.
// Uses the published entry point (dist), as a user's rollup.config.js would.
import { rollup } from 'rollup'
import workersVersion from '../../dist/rollup.js'

const { input, outDir, options } = JSON.parse(process.env.BUILD_SPEC)
const bundle = await rollup({ input, plugins: [workersVersion(options)] })
try {
  await bundle.write({ dir: outDir, format: 'es', sourcemap: true })
} finally {
  await bundle.close()
}
