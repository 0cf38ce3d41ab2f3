import { setFlagsFromString } from 'node:v8'

// Why this file exists (issue 11, measured with bench/exit-stall.mjs): undici parses HTTP/1.1
// with llhttp compiled to WebAssembly, once per process, when its first socket connects. V8
// then optimises that module with TurboFan on background threads, and Node waits for those
// jobs before the process can exit: on a 2-core machine a one-request process exited about
// 400-500 ms after its response (median), against about 100 ms with tier-up off. The baseline
// (Liftoff) code parses a Create Version response just as well: the tier-up only pays off
// for long-running servers.
//
// V8 decides whether a wasm function can tier up when it first compiles it, which is on its
// first call (lazy compilation). So the flags are off only while undici's first request
// connects, compiles llhttp and parses the response head, and are put back as soon as that
// request settles. The llhttp code compiled then stays on baseline code for the rest of the
// process (measured: 200 further requests caused no stall), and any WebAssembly the user
// compiles afterwards tiers up as usual (test/api/wasm-tier-up.test.ts). A user's wasm
// function first called inside that window would only stay on baseline code: slower, never
// different. The user's own process flags are never overridden: when they name a wasm
// tiering flag themselves (in execArgv or NODE_OPTIONS), this does nothing.

const TIERING_FLAGS = ['wasm-tier-up', 'wasm-dynamic-tiering']
const USER_SETS_TIERING = /--(?:no-)?(?:wasm-tier-up|wasm-dynamic-tiering|liftoff|liftoff-only|wasm-lazy-compilation)\b/

let firstRequestStarted = false

function userSetsTiering(): boolean {
  return [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((argument) => USER_SETS_TIERING.test(argument.replace(/_/g, '-')))
}

/**
 * Runs `send` (an undici request) with WebAssembly tier-up off if it is the process's first
 * request through this transport, restoring the flags once it settles. Later calls just run
 * `send`: llhttp is compiled by then.
 */
export async function withoutWasmTierUp<T>(send: () => Promise<T>): Promise<T> {
  if (firstRequestStarted) return send()
  firstRequestStarted = true
  if (userSetsTiering()) return send()
  for (const flag of TIERING_FLAGS) setFlagsFromString(`--no-${flag}`)
  try {
    return await send()
  } finally {
    for (const flag of TIERING_FLAGS) setFlagsFromString(`--${flag}`)
  }
}
