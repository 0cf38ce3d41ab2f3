// The API client's public surface; everything else in src/api is internal.
export { createVersion, type ApiClientOptions, type CreateVersionOptions } from './client.js'
export type { ApiCredentials } from './auth.js'
export type { ApiMessage, Envelope } from './envelope.js'
export { ApiError } from './errors.js'
export { describePointer } from './pointers.js'
export { formatVersionResult, writeGithubOutput } from './result.js'
export { assertSafeBaseUrl } from './url.js'
export { identityOf, type VersionIdentity } from './versions.js'
