import { workersVersion } from './index.js'

export default workersVersion.webpack
