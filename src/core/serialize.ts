import type { VersionFields, VersionRequestBody } from './body.js'
import type { WorkerModule } from './types.js'

/** What a version is made of before it becomes JSON. */
export interface VersionPayload {
  /** None for an assets-only Worker: its body is the assets and a few fields, with no code. */
  mainModule?: string
  config: VersionFields
  modules: readonly WorkerModule[]
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}

/** A module's JSON around its base64 content: the one place the module envelope is spelled. */
function moduleEnvelope(mod: WorkerModule): [open: string, close: string] {
  return [
    `{"name":${JSON.stringify(mod.name)},"content_type":${JSON.stringify(mod.content_type)},"content_base64":"`,
    '"}',
  ]
}

/** The text around the modules: the compact body, or the one laid out for people. */
function layoutOf(pretty: boolean) {
  return pretty
    ? { modules: ',\n  "modules": [', indent: '\n    ', sep: ',\n    ', end: '\n  ]\n}\n' }
    : { modules: ',"modules":[', indent: '', sep: ',', end: ']}' }
}

/**
 * The request body as JSON text, in pieces: no module's whole base64 ever exists, so a
 * 60 MiB Worker never costs a full copy of its body in memory; the generator can be
 * restarted for a retry. The pieces are strings, written as UTF-8 (base64 is ASCII):
 * a piece then exists once, where a Buffer of each would double what awaits collection.
 * `pretty` lays the non-module fields out for people reading `request.json`.
 */
export function* bodyChunks(payload: VersionPayload, pretty = false): Generator<string> {
  // `main_module` first, then the configured fields in the user's order, the bulky modules last.
  const head = JSON.stringify(
    { main_module: payload.mainModule, ...payload.config },
    null,
    pretty ? 2 : 0,
  )
  if (isAssetsOnly(payload)) {
    // No code and no `_headers`/`_redirects`: no `modules` either, as wrangler sends it.
    yield pretty ? `${head}\n` : head
    return
  }
  const open = head.slice(0, head.lastIndexOf('}')).trimEnd()
  const { modules, sep, indent, end } = layoutOf(pretty)
  yield `${open}${modules}`
  let first = true
  for (const mod of payload.modules) {
    const [prefix, suffix] = moduleEnvelope(mod)
    yield `${first ? indent : sep}${prefix}`
    yield* base64Slices(mod.contents)
    yield suffix
    first = false
  }
  yield end
}

/** Bytes per base64 slice: a multiple of 3, so the slices' base64 joins into the whole's. */
const SLICE_BYTES = 48 * 1024

/** A module's base64 in slices: no string of the whole module's base64 ever exists. */
function* base64Slices(bytes: Uint8Array): Generator<string> {
  const whole = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let offset = 0; offset < whole.byteLength; offset += SLICE_BYTES) {
    yield whole.subarray(offset, offset + SLICE_BYTES).toString('base64')
  }
}

/** Exact byte length of the body `bodyChunks` streams in the same layout, computed without encoding any module. */
export function bodyByteLength(payload: VersionPayload, pretty = false): number {
  if (isAssetsOnly(payload)) return Buffer.byteLength([...bodyChunks(payload, pretty)].join(''))
  const [open] = bodyChunks({ ...payload, modules: [] }, pretty)
  const { sep, indent, end } = layoutOf(pretty)
  let total = Buffer.byteLength(open!)
  payload.modules.forEach((mod, i) => {
    total +=
      Buffer.byteLength(moduleEnvelope(mod).join('')) +
      4 * Math.ceil(mod.contents.byteLength / 3) +
      (i > 0 ? sep.length : indent.length)
  })
  return total + end.length
}

/**
 * The whole body as one object (tests and small tools; the plugin streams `bodyChunks`).
 * Without contents it is the body's outline that error messages and the lost-response
 * lookup read: names, types and config, every `content_base64` empty.
 */
export function toRequestBody(payload: VersionPayload, withContents = true): VersionRequestBody {
  if (isAssetsOnly(payload)) return { ...payload.config }
  return {
    main_module: payload.mainModule,
    ...payload.config,
    modules: payload.modules.map((mod) => ({
      name: mod.name,
      content_type: mod.content_type,
      content_base64: withContents ? base64(mod.contents) : '',
    })),
  }
}

/**
 * The script upload's `metadata` part (`PUT …/workers/scripts/{name}`, multipart): the same fields
 * as the Create Version body, with `main_module` first; the modules travel as parts of their own.
 */
export function scriptMetadata(payload: VersionPayload): Record<string, unknown> {
  return { main_module: payload.mainModule, ...payload.config }
}

/** A body with nothing in `modules`: an assets-only Worker without `_headers` or `_redirects`. */
function isAssetsOnly(payload: VersionPayload): boolean {
  return payload.mainModule === undefined && payload.modules.length === 0
}
