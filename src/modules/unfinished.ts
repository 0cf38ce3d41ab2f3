import type { OutputFile } from '../core/types.js'

/**
 * A framework that finishes the Worker after the bundler's last hook: the output a bundler plugin is
 * handed is not what the framework ships, and no later hook of the bundler sees the finished one.
 */
export interface LateFramework {
  name: string
  /** The framework's own build command, run before the `deploy` command. */
  build: string
  /** What it finishes after the bundler, for the message. */
  finishes: string
  /** Its bundler plugins' names. */
  plugin: RegExp
  /** A marker its unfinished output holds, replaced once the framework is done. */
  placeholder: string
}

export const LATE_FRAMEWORKS: readonly LateFramework[] = [
  // Astro injects its manifest and renders prerendered pages in a `buildApp` hook ordered after every
  // other plugin's, and its adapter's `astro:build:done` writes `_headers` once Vite has returned.
  {
    name: 'Astro',
    build: 'astro build',
    finishes: 'its manifest, prerendered pages and _headers',
    plugin: /^astro:/,
    placeholder: '@@ASTRO_MANIFEST_REPLACE@@',
  },
]

/** The framework among the build's plugins that finishes the output after the bundler, if any. */
export function lateFrameworkOf(pluginNames: readonly string[]): LateFramework | undefined {
  return LATE_FRAMEWORKS.find((framework) =>
    pluginNames.some((name) => framework.plugin.test(name)),
  )
}

/** A chunk that still holds a late framework's placeholder: the output is unfinished, whatever the bundler. */
export function placeholderLeft(
  files: readonly OutputFile[],
): { framework: LateFramework; file: string } | undefined {
  for (const file of files) {
    if (file.kind !== 'chunk') continue
    const contents = Buffer.from(
      file.contents.buffer,
      file.contents.byteOffset,
      file.contents.byteLength,
    )
    const framework = LATE_FRAMEWORKS.find((f) => contents.includes(f.placeholder))
    if (framework) return { framework, file: file.fileName }
  }
  return undefined
}

/** The command that uploads a build's finished output. */
const DEPLOY_COMMAND = 'npx unplugin-workers-version deploy'

/** Why the output is not the Worker to ship, and what to run instead; `upload`: an upload was asked for (and refused). */
export function unfinishedMessage(
  framework: LateFramework,
  file: string | undefined,
  upload: boolean,
): string {
  const why = `${framework.name} finishes the Worker after the bundler is done (${framework.finishes}), so the output this plugin is handed is unfinished${file ? ` (${file} still holds ${framework.placeholder})` : ''}`
  return upload
    ? `${why}; nothing was uploaded. Upload the finished output instead: run \`${framework.build}\` without uploading (no \`--mode deploy\`, no \`upload\` option), then \`${DEPLOY_COMMAND}\`.`
    : `${why}, and so is request.json. To upload, run \`${DEPLOY_COMMAND}\` after \`${framework.build}\`.`
}
