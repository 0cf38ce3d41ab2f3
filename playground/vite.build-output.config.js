import { cloudflare } from '@cloudflare/vite-plugin'
import { defineConfig } from 'vite'
import workersVersion from 'unplugin-workers-version/vite'

// The full-stack app again, with the Cloudflare plugin writing Build Output from cloudflare.config.ts
// (its 2.0 default; an experiment in 1.64). The plugin reads each Worker's config, modules and assets
// from that tree. `vite build -c vite.build-output.config.js --mode deploy` uploads and promotes.
export default defineConfig({
  build: { outDir: 'dist/vite-build-output', sourcemap: true },
  plugins: [
    cloudflare({
      experimental: { newConfig: { cfBuildOutput: true, types: { generate: false } } },
      inspectorPort: false,
      persistState: false,
    }),
    workersVersion({ outputDir: '.workers-version/vite-build-output', promote: true }),
  ],
})
