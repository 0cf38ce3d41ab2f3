// What src/upload.ts uses of the API client; everything else in src/api is internal.
export { createVersion } from './client.js'
export { createAgent, resolveTimeouts } from './transport.js'
export { describePointer } from './pointers.js'
export { formatVersionResult } from './result.js'
export { identityOfPayload } from './versions.js'
export { getWorker, createWorker, currentMigrationTag, listSecrets, type ApiCallContext } from './workers.js'
export { currentDeployment, createDeployment, planTraffic, type Deployment, type TrafficShare } from './deployments.js'
export { uploadScript } from './script-upload.js'
