import type { WorkerOutput } from '../core/stage-types.js'
import { readBuildOutput } from './read.js'

/** One version per Worker directory of the project's Build Output, each planned from its `worker.config.json`. */
export function buildOutputWorkers(projectRoot: string): WorkerOutput[] {
  return readBuildOutput(projectRoot).workers.map((worker, index) => ({
    files: worker.files,
    outDir: worker.bundleDir,
    generated: { configFile: worker.configFile, entry: index === 0, buildOutput: true },
  }))
}
