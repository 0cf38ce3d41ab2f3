import { defineConfig } from 'vite'
import workersVersion from 'unplugin-workers-version/vite'
import { version, worker } from './shared.js'

// `vite build` writes the request body; `vite build --mode deploy` also creates the version.
export default defineConfig({
  build: { ssr: 'src/index.js', outDir: 'dist/vite', sourcemap: true },
  plugins: [workersVersion({ worker, version, outputDir: '.workers-version/vite' })],
})
