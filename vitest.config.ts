import { configDefaults, defineConfig } from 'vitest/config'

/**
 * The decisions, tested without building dist and without a bundler or the emulator:
 * `npm run test:unit` runs them alone, in seconds. Everything else needs dist (`npm test` builds it).
 */
const UNIT = [
  'test/unit/**/*.test.ts',
  'test/core/**/*.test.ts',
  'test/modules/**/*.test.ts',
  'test/options/**/*.test.ts',
  'test/plan/**/*.test.ts',
  'test/version/**/*.test.ts',
  'test/report/**/*.test.ts',
  'test/api/{identifiers,pointers,policy,result,url}.test.ts',
]

export default defineConfig({
  test: {
    // Real bundler builds and workerd start-ups: generous but bounded.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // `fetch` reaches previews' `*.localhost` origins, as a browser does.
    setupFiles: ['test/helpers/localhost-dns.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT } },
      {
        extends: true,
        // The defaults keep node_modules out: the framework fixtures install theirs under test/fixtures/.
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [
            ...configDefaults.exclude,
            ...UNIT,
            // .ci/run runs the framework builds on Node 24 only (vitest's --exclude does not reach projects).
            ...(process.env.SKIP_FRAMEWORK_TESTS === '1' ? ['test/frameworks/**'] : []),
          ],
        },
      },
    ],
  },
})
