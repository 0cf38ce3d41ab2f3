import { cloudflare } from '@cloudflare/vite-plugin'
import { defineConfig } from 'vite'
import workersVersion from 'unplugin-workers-version/vite'

// A full-stack app: @cloudflare/vite-plugin builds the client and the Worker from wrangler.jsonc.
// `vite build` writes the request body and the assets manifest; `vite build --mode deploy` uploads
// the assets, creates the version and promotes it to 100%.
export default defineConfig({
  build: { outDir: 'dist/vite', sourcemap: true },
  plugins: [
    cloudflare({ inspectorPort: false, persistState: false }),
    workersVersion({ outputDir: '.workers-version/vite', promote: true }),
  ],
})
