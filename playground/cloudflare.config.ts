// The same Worker in @cloudflare/vite-plugin's new config, for `vite build -c vite.build-output.config.js`:
// the Cloudflare plugin then writes Build Output (.cloudflare/output/), and each Worker's version comes
// from that tree. wrangler.jsonc stays beside it for the other builds and is not read in that mode
// (its GREETING differs, so the API route shows which config was used).
export default {
  worker: {
    name: 'playground-build-output',
    compatibilityDate: '2025-06-01',
    entrypoint: './src/index.js',
    assets: { notFoundHandling: 'single-page-application', runWorkerFirst: ['/api/*', '/lazy'] },
    env: {
      ASSETS: { type: 'assets' },
      GREETING: { type: 'text', value: 'hi from the Build Output config' },
    },
  },
}
