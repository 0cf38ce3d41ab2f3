import webpack from 'webpack'
import workersVersion from '../../src/webpack.js'
import { webpackLikeSuite } from '../helpers/webpack-like-suite.js'

webpackLikeSuite({
  name: 'webpack',
  create: (config) => webpack(config as webpack.Configuration) as never,
  plugin: (options) => workersVersion(options),
})
