/**
 * A local stand-in for the Cloudflare Workers Versions API, for tests and the playground.
 * Miniflare is only loaded once a version has to run (preview on), never by this module itself.
 */
import { startServer } from './server.js'
import type { Emulator, EmulatorOptions } from './types.js'

export type {
  DeploymentVersion,
  Emulator,
  EmulatorAttachments,
  EmulatorCustomDomain,
  EmulatorQueue,
  EmulatorQueueConsumer,
  EmulatorRoute,
  EmulatorWorkflow,
  EmulatorZone,
  EmulatorOptions,
  Fault,
  FaultMatch,
  RecordedRequest,
  StoredDeployment,
  StoredPreview,
  StoredPreviewDeployment,
  StoredVersion,
  StoredWorker,
  RunnableVersionBody,
  VersionBinding,
  VersionModule,
} from './types.js'

/** Starts the emulator on 127.0.0.1 and resolves once it accepts connections. */
export function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startServer(options)
}
