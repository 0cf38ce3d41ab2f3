import { build } from 'esbuild'
import workersVersion from 'unplugin-workers-version/esbuild'
import { version, worker } from './shared.js'

await build({
  entryPoints: ['src/index.js'],
  outdir: 'dist/esbuild',
  bundle: true,
  splitting: true,
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [
    workersVersion({
      worker,
      version,
      wrangler: false,
      outputDir: '.workers-version/esbuild',
      upload: process.env.UPLOAD === '1',
    }),
  ],
})
