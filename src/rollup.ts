import { workersVersion } from './index.js'

export default workersVersion.rollup
