import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/vite.ts',
    'src/rollup.ts',
    'src/rolldown.ts',
    'src/esbuild.ts',
    'src/webpack.ts',
    'src/rspack.ts',
    'src/emulator/index.ts',
    'src/emulator/cli.ts',
  ],
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  dts: true,
  fixedExtension: false,
  clean: true,
})
