// The integration tests talk to the project's local API emulator, preview off:
// these tests are about the HTTP exchange, not running the Worker.
import { startEmulator } from '../helpers/emulator.js'
import { type Emulator } from '../../src/emulator/index.js'

export type TestApi = Emulator

export function startApi(opts: { token: string; accountId: string }): Promise<TestApi> {
  return startEmulator({
    token: opts.token,
    accountId: opts.accountId,
    preview: false,
    autoCreateWorkers: true,
  })
}
