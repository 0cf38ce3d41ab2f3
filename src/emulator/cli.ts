#!/usr/bin/env node
/**
 * `unplugin-workers-version emulator [options]` (or the alias `workers-version-emulator [options]`):
 * runs the emulator until a signal arrives or the process that started it goes away.
 */
import { parseArgs } from 'node:util'
import { startEmulator, type Emulator } from './index.js'
import { findMiniflare } from '../workerd/miniflare.js'
import { watchParent } from './parent-watch.js'

const USAGE = `Usage: npx unplugin-workers-version emulator [--port N] [--token T] [--tls] [--account ID] [--auto-create-workers] [--new-account] [--no-preview]

Runs a local Cloudflare Workers Versions API on 127.0.0.1, on a free port unless --port is given.
Its API token is random for each run unless --token is given. With --tls it serves HTTPS with a
certificate authority made for the run: trust it through NODE_EXTRA_CA_CERTS (the path is printed).
It stops on Ctrl+C, SIGTERM or SIGHUP, and when the process that started it exits.`

/** How often the processes above are checked (see parent-watch.ts). */
const PARENT_CHECK_MS = 500

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      port: { type: 'string' },
      token: { type: 'string' },
      tls: { type: 'boolean', default: false },
      account: { type: 'string' },
      'auto-create-workers': { type: 'boolean', default: false },
      'new-account': { type: 'boolean', default: false },
      preview: { type: 'boolean', default: true },
      'no-preview': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
    strict: true,
  })
  if (values.help) {
    console.log(USAGE)
    return
  }
  // `emulator` is the only command; the alias binary runs it without naming it.
  if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== 'emulator')) {
    throw new Error(`unknown command: ${positionals.join(' ')} (the only command is \`emulator\`)`)
  }
  const port = values.port === undefined ? 0 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0–65535, got ${values.port}`)

  // Watched from the start, before the URL is printed: whoever reads it may stop the launcher at once.
  let emulator: Emulator | undefined = undefined
  let stopping = false
  const stop = (reason: string) => {
    if (stopping) return
    stopping = true
    console.log(`\n${reason}: stopping`)
    // Still starting: nothing of it outlives this process yet.
    if (!emulator) process.exit(0)
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => stop(signal))
  // Killing `npx` (even with SIGKILL, which it cannot pass on) must not leave the emulator running.
  watchParent((pid) => stop(`the process that started it (${pid}) exited`), PARENT_CHECK_MS)

  emulator = await startEmulator({
    port,
    ...(values.token === undefined ? {} : { token: values.token }),
    tls: values.tls,
    ...(values.account === undefined ? {} : { accountId: values.account }),
    preview: values.preview && !values['no-preview'],
    autoCreateWorkers: values['auto-create-workers'],
    newAccount: values['new-account'],
    log: (line) => console.log(`${new Date().toISOString()} ${line}`),
  })
  console.log(`Cloudflare API emulator listening on ${emulator.url}\n`)
  console.log('Use it with:')
  console.log(`  CLOUDFLARE_API_BASE_URL=${emulator.url}`)
  // The token is printed on purpose: it only opens this local emulator (random for this run, or
  // the user's own --token), and the caller needs to copy it.
  console.log(`  CLOUDFLARE_API_TOKEN=${emulator.token}`)
  console.log(`  CLOUDFLARE_ACCOUNT_ID=${emulator.accountId}`)
  // NODE_EXTRA_CA_CERTS is read when a Node process starts: it goes on the command that uploads.
  if (emulator.tls)
    console.log(
      `  NODE_EXTRA_CA_CERTS=${emulator.tls.caFile}  (the CA of this run; it may sign only localhost names and 127.0.0.1/::1)`,
    )
  console.log('')
  if (values.preview && !values['no-preview']) {
    console.log(
      `Each version's preview opens at ${new URL(emulator.origin).protocol}//<first 8 characters of its id>-<worker>.localhost:${new URL(emulator.origin).port}/`,
    )
    // Looked up again for each version, so installing miniflare now needs no restart.
    const runner = await findMiniflare().then(
      (found) => `they run in workerd through miniflare ${found.version} (${found.from})`,
      (error: unknown) =>
        `they cannot run yet: ${error instanceof Error ? error.message : String(error)}`,
    )
    console.log(`  ${runner}\n`)
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  console.error(USAGE)
  process.exit(1)
})
