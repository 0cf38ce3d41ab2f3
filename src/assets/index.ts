/** Static assets: read a directory into wrangler's manifest, upload it, show progress. */
export {
  assertAssetsDirectoryPlacement,
  DEFAULT_MAX_ASSET_FILES,
  manifestBody,
  MAX_ASSET_FILE_BYTES,
  readAssetsDirectory,
  type AssetFile,
  type AssetsManifest,
  type ReadAssetsOptions,
} from './manifest.js'
export { createAssetsProgress, progressLine, totalLine, type AssetsProgressOptions, type AssetsProgressReporter } from './progress.js'
export { partContentType, uploadAssets, type AssetsUploadProgress, type AssetsUploadResult, type UploadAssetsOptions } from '../api/assets.js'
