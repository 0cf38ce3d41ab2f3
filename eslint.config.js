import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '**/dist/**',
      '**/.workers-version/**',
      'test/fixtures/**/out/**',
      'playground/**/dist/**',
      'coverage/**',
      'test/.tmp/**',
      '**/.wrangler/**',
      '**/.cloudflare/**',
      'bench/.work-*/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: [
      'test/fixtures/vite-app/**',
      'test/fixtures/vite-fullstack/src/**',
      'playground/client/**',
      'test/fixtures/template-assets-only/src/**',
    ],
    languageOptions: { globals: { document: 'readonly' } },
  },
  {
    files: ['playground/client/**'],
    languageOptions: {
      globals: {
        location: 'readonly',
        history: 'readonly',
        addEventListener: 'readonly',
        Element: 'readonly',
      },
    },
  },
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Response: 'readonly',
        Request: 'readonly',
        fetch: 'readonly',
        WebAssembly: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        AbortController: 'readonly',
        structuredClone: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Type-aware rules: a promise nobody awaits loses its error, and a mixed type import loads a module for nothing.
    files: ['src/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts', '*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // `typeof import('pkg')` stays allowed: it types a module that is loaded lazily, on purpose.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
    },
  },
)
