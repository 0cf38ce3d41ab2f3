import { setFlagsFromString } from 'node:v8'
import { describe, expect, it } from 'vitest'
import { withoutWasmTierUp } from '../../src/api/wasm-tier-up.js'

// V8's own test hooks, reachable from a Function compiled after natives syntax is allowed.
setFlagsFromString('--allow-natives-syntax')
const isLiftoff = new Function('f', 'return %IsLiftoffFunction(f)') as (f: unknown) => boolean
const isTurboFan = new Function('f', 'return %IsTurboFanFunction(f)') as (f: unknown) => boolean

// The project's TypeScript libs leave the WebAssembly global out; this is the part used here.
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly
interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object) => { exports: Record<string, unknown> }
}

/** `(a, b) => a + b + k` as a wasm module; `k` makes the bytes differ, since V8 caches modules by their bytes. */
function addFunction(k: number): (a: number, b: number) => number {
  const body = [0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x41, k, 0x6a, 0x0b]
  const bytes = new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...[0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f],
    ...[0x03, 0x02, 0x01, 0x00],
    ...[0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00],
    ...[0x0a, body.length + 2, 0x01, body.length, ...body],
  ])
  const { add } = new wasm.Instance(new wasm.Module(bytes)).exports
  return add as (a: number, b: number) => number
}

/** Calls `add` until V8 has optimised it (or gives up after `limit` rounds of calls); returns whether it did. */
async function heatUp(add: (a: number, b: number) => number, limit = 200): Promise<boolean> {
  for (let round = 0; round < limit; round++) {
    for (let i = 0; i < 100_000; i++) add(i, 1)
    if (isTurboFan(add)) return true
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return false
}

describe('withoutWasmTierUp', () => {
  it('keeps what the first request compiles on baseline code, and leaves later WebAssembly free to tier up', async () => {
    // What undici does on its first request: compile llhttp and run it, inside the scope.
    const compiledInside = await withoutWasmTierUp(async () => {
      const add = addFunction(1)
      expect(add(2, 3)).toBe(6)
      return add
    })
    expect(await heatUp(compiledInside, 20)).toBe(false)
    expect(isLiftoff(compiledInside)).toBe(true)

    // The flags are back: a module compiled afterwards (the user's, say) is optimised when hot.
    expect(await heatUp(addFunction(2))).toBe(true)

    // Only the first request is scoped: later calls leave the flags alone.
    const compiledInSecondCall = await withoutWasmTierUp(async () => addFunction(3))
    expect(await heatUp(compiledInSecondCall)).toBe(true)
  })

  it('passes the value and the failure of the request through', async () => {
    await expect(withoutWasmTierUp(() => Promise.resolve('response'))).resolves.toBe('response')
    await expect(withoutWasmTierUp(() => Promise.reject(new Error('ECONNREFUSED')))).rejects.toThrow('ECONNREFUSED')
  })
})
