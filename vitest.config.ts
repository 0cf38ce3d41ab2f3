import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real bundler builds and workerd start-ups: generous but bounded.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // `fetch` reaches previews' `*.localhost` origins, as a browser does.
    setupFiles: ['test/helpers/localhost-dns.ts'],
  },
})
