import workersVersion from 'unplugin-workers-version/rollup'
import { version, worker } from './shared.js'

export default {
  input: 'src/index.js',
  output: { dir: 'dist/rollup', format: 'es', sourcemap: true },
  plugins: [
    workersVersion({
      worker,
      version,
      wrangler: false,
      outputDir: '.workers-version/rollup',
      upload: process.env.UPLOAD === '1',
    }),
  ],
}
