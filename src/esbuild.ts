import { createEsbuildPlugin } from 'unplugin'
import { unpluginFactory } from './factory.js'

// Only this bundler's adapter from unplugin: the entry then loads nothing the others need.
export default /* #__PURE__ */ createEsbuildPlugin(unpluginFactory)
