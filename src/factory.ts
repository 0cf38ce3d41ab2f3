import type { UnpluginFactory, UnpluginOptions } from 'unplugin'
import { esbuildAdapter } from './bundlers/esbuild.js'
import { rollupAdapter } from './bundlers/rollup.js'
import { viteAdapter } from './bundlers/vite.js'
import { webpackAdapter } from './bundlers/webpack.js'
import { createPluginContext } from './plugin-context.js'
import { resolveOptions, type WorkersVersionOptions } from './options/index.js'

const PLUGIN_NAME = 'unplugin-workers-version'

/** Wires one adapter per bundler to the plugin's context; the options are checked here, at creation. */
export const unpluginFactory: UnpluginFactory<WorkersVersionOptions | undefined, true> = (
  rawOptions,
  meta,
) => {
  const context = createPluginContext(resolveOptions(rawOptions))
  const vite = viteAdapter(context)
  const main: UnpluginOptions = {
    name: PLUGIN_NAME,
    enforce: 'pre',
    rollup: rollupAdapter(context, 'rollup'),
    rolldown: rollupAdapter(context, 'rolldown'),
    vite: vite.main,
    esbuild: esbuildAdapter(context),
    webpack: webpackAdapter('webpack', context),
    rspack: webpackAdapter('rspack', context),
  }
  if (meta.framework !== 'vite') return [main]
  return [main, { name: `${PLUGIN_NAME}:app`, vite: vite.app }]
}
