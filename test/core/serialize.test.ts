import { describe, expect, it } from 'vitest'
import {
  bodyByteLength,
  bodyChunks,
  toRequestBody,
  type VersionPayload,
} from '../../src/core/serialize.js'

const payload: VersionPayload = {
  mainModule: 'index.js',
  config: {
    compatibility_date: '2025-01-01',
    bindings: [{ type: 'plain_text', name: 'GREETING', text: 'héllo "world"' }],
  },
  modules: [
    {
      name: 'index.js',
      content_type: 'application/javascript+module',
      contents: Buffer.from('export default {}'),
    },
    {
      name: 'a/b "c".bin',
      content_type: 'application/octet-stream',
      contents: new Uint8Array([0, 1, 2, 3, 255]),
    },
    { name: 'empty.txt', content_type: 'text/plain', contents: new Uint8Array() },
  ],
}

const text = (pretty: boolean) => [...bodyChunks(payload, pretty)].join('')

describe('request body serialization', () => {
  it('streams exactly the body object, compact and pretty alike', () => {
    expect(JSON.parse(text(false))).toEqual(toRequestBody(payload))
    expect(JSON.parse(text(true))).toEqual(toRequestBody(payload))
    expect(Object.keys(JSON.parse(text(false)))).toEqual([
      'main_module',
      'compatibility_date',
      'bindings',
      'modules',
    ])
  })

  it('knows the compact length without encoding', () => {
    expect(bodyByteLength(payload)).toBe(Buffer.byteLength(text(false)))
    // The layout request.json and the upload share.
    expect(bodyByteLength(payload, true)).toBe(Buffer.byteLength(text(true)))
    expect(bodyByteLength({ ...payload, modules: [] }, true)).toBe(
      Buffer.byteLength([...bodyChunks({ ...payload, modules: [] }, true)].join('')),
    )
    const empty: VersionPayload = { mainModule: 'i.js', config: {}, modules: [] }
    expect(bodyByteLength(empty)).toBe(Buffer.byteLength([...bodyChunks(empty)].join('')))
    expect(JSON.parse([...bodyChunks(empty, true)].join(''))).toEqual({
      main_module: 'i.js',
      modules: [],
    })
  })
})
