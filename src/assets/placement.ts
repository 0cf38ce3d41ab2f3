/**
 * Where an assets directory may be. Everything in it becomes a public URL, so it must be a folder
 * of the build: inside the project, never the project itself, never holding the home directory or
 * the Worker's own output. Paths are compared after resolving symlinks, so a `public` linked to
 * `~` is judged by where it leads.
 */
import { realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { relative, resolve, sep } from 'node:path'
import { WorkersVersionError } from '../core/errors.js'

export interface AssetsPlaces {
  projectRoot: string
  workerOutputDir?: string
  /** Home directories the assets must not contain. @default `os.homedir()` and `HOME` */
  homes?: readonly string[]
}

/** Call it before reading the directory; `directory` is named in errors as the user gave it. */
export function assertAssetsDirectoryPlacement(directory: string, places: AssetsPlaces): void {
  const assets = realPath(directory)
  const root = realPath(places.projectRoot)
  const shown = assets === resolve(directory) ? directory : `${directory} (a link to ${assets})`
  if (assets === root) {
    throw new WorkersVersionError(
      'ASSETS_DIRECTORY_IS_ROOT',
      `The assets directory ${shown} is the project root, which would publish the sources and every file in it. Point \`assets.directory\` at the client build's output folder (e.g. dist/client).`,
    )
  }
  if (!isInside(assets, root)) {
    throw new WorkersVersionError(
      'ASSETS_DIRECTORY_OUTSIDE_ROOT',
      `The assets directory ${shown} is outside the project root ${root}, so files that are not part of this build would be published. Point \`assets.directory\` at the client build's output folder inside the project (e.g. dist/client); if it is a symlink, build or copy the files there instead. When the project root is wrong (Vite's \`root: 'src'\` with \`outDir: '../dist'\`), set the plugin's \`root\` option to the project directory.`,
    )
  }
  for (const home of places.homes ?? defaultHomes()) {
    const real = realPath(home)
    if (real === assets || isInside(real, assets)) {
      throw new WorkersVersionError(
        'ASSETS_DIRECTORY_HOLDS_HOME',
        `The assets directory ${shown} contains the home directory ${real}, whose keys and credentials would be published. Point \`assets.directory\` at the client build's output folder (e.g. dist/client).`,
      )
    }
  }
  if (places.workerOutputDir !== undefined) {
    const output = realPath(places.workerOutputDir)
    if (output === assets || isInside(output, assets)) {
      throw new WorkersVersionError(
        'ASSETS_CONTAIN_WORKER_OUTPUT',
        `The assets directory ${shown} contains the Worker's own output (${places.workerOutputDir}), so the server code would be served as a public file. Build the Worker and the client into separate folders.`,
      )
    }
  }
}

function defaultHomes(): string[] {
  return [homedir(), process.env.HOME ?? ''].filter((home) => home !== '')
}

/** The path with every symlink resolved; as given (absolute) when it does not exist yet, so the read that follows reports it. */
function realPath(path: string): string {
  try {
    return realpathSync.native(path)
  } catch {
    return resolve(path)
  }
}

/** Whether `path` is strictly below `parent`. */
function isInside(path: string, parent: string): boolean {
  const rel = relative(parent, path)
  return (
    rel !== '' &&
    rel !== '..' &&
    !rel.startsWith(`..${sep}`) &&
    !rel.startsWith(sep) &&
    !/^[a-zA-Z]:/.test(rel)
  )
}
