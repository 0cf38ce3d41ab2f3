import { rspack, type RspackOptions } from '@rspack/core'
import workersVersion from '../../src/rspack.js'
import { webpackLikeSuite } from '../helpers/webpack-like-suite.js'

webpackLikeSuite({
  name: 'rspack',
  create: (config) => rspack(config as RspackOptions) as never,
  plugin: (options) => workersVersion(options),
})
