#!/usr/bin/env node
/** `workers-version-emulator [--port N] [--token T] [--account A] [--auto-create-workers] [--new-account] [--no-preview]`: runs the emulator until SIGINT/SIGTERM. */
import { parseArgs } from 'node:util'
import { startEmulator } from './index.js'

const USAGE = `Usage: workers-version-emulator [--port N] [--token T] [--account ID] [--auto-create-workers] [--new-account] [--no-preview]

Runs a local Cloudflare Workers Versions API on 127.0.0.1.`

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      token: { type: 'string' },
      account: { type: 'string' },
      'auto-create-workers': { type: 'boolean', default: false },
      'new-account': { type: 'boolean', default: false },
      preview: { type: 'boolean', default: true },
      'no-preview': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  if (values.help) {
    console.log(USAGE)
    return
  }
  const port = values.port === undefined ? 0 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0–65535, got ${values.port}`)

  const emulator = await startEmulator({
    port,
    ...(values.token === undefined ? {} : { token: values.token }),
    ...(values.account === undefined ? {} : { accountId: values.account }),
    preview: values.preview && !values['no-preview'],
    autoCreateWorkers: values['auto-create-workers'],
    newAccount: values['new-account'],
    log: (line) => console.log(`${new Date().toISOString()} ${line}`),
  })
  console.log(`Cloudflare API emulator listening on ${emulator.url}\n`)
  console.log('Use it with:')
  console.log(`  CLOUDFLARE_API_BASE_URL=${emulator.url}`)
  // The token is printed on purpose: it is a local, user-chosen value the caller needs to copy.
  console.log(`  CLOUDFLARE_API_TOKEN=${emulator.token}`)
  console.log(`  CLOUDFLARE_ACCOUNT_ID=${emulator.accountId}\n`)

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`\n${signal}: stopping`)
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  console.error(USAGE)
  process.exit(1)
})
