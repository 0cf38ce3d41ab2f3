#!/usr/bin/env node
/**
 * `unplugin-workers-version <command>`: `deploy` deploys a finished build, `emulator` runs the local
 * API emulator. Each command is loaded only when it runs.
 */

const USAGE = `Usage: npx unplugin-workers-version <command> [options]

Commands:
  deploy     deploy a finished build (Build Output, a generated wrangler config, or a wrangler config)
  emulator   run the local Cloudflare Workers API emulator

Run \`npx unplugin-workers-version <command> --help\` for a command's options.`

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2)
  if (command === 'deploy') {
    const { runDeploy } = await import('./command/index.js')
    return runDeploy(rest)
  }
  if (command === 'emulator') {
    // The emulator's own command line reads process.argv (with `emulator` as its command) and runs until stopped.
    await import('./emulator/cli.js')
    return -1
  }
  if (command === '--help' || command === '-h') {
    console.log(USAGE)
    return 0
  }
  if (command === undefined) {
    console.error(USAGE)
    return 2
  }
  console.error(`unknown command: ${command}\n\n${USAGE}`)
  return 2
}

main().then(
  (code) => {
    if (code >= 0) process.exitCode = code
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error))
    process.exitCode = 1
  },
)
