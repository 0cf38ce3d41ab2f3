// What src/deploy/ uses of the API client; everything else in src/api is internal.
export { readBaselineEarly } from './baseline.js'
export { createVersion } from './create-version.js'
export { ApiError } from './errors.js'
export { createAgent, resolveTimeouts } from './transport.js'
export { describePointer } from './pointers.js'
export { formatVersionResult } from './result.js'
export { identityOfPayload } from './versions.js'
export {
  getWorker,
  createWorker,
  currentMigrationTag,
  listSecrets,
  type ApiCallContext,
} from './workers.js'
export {
  currentDeployment,
  createDeployment,
  deployRollout,
  planTraffic,
  type Deployment,
  type TrafficShare,
} from './deployments.js'
export { DeployedButUnread, uploadScript } from './script-upload.js'
export { readUserWorker, uploadUserWorker } from './dispatch.js'
export {
  createPreview,
  createPreviewDeployment,
  deletePreview,
  deletePreviewNamed,
  getPreview,
  latestPreviewDeployment,
  listPreviews,
  type Preview,
  type PreviewDeployment,
} from './previews.js'
export { quoteServerValue } from './server-values.js'
