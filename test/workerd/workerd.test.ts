import { describe, expect, it } from 'vitest'
import { supportedCompatibilityDate } from 'miniflare'
import {
  miniflareOptionsFor,
  runVersion,
  VersionStartupError,
  type RunnableVersionBody,
} from '../../src/workerd/workerd.js'
import { b64 } from '../emulator/helpers.js'

/** A hand-assembled wasm module: `(func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)`. */
const ADD_WASM = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // magic, version 1
  0x01,
  0x07,
  0x01,
  0x60,
  0x02,
  0x7f,
  0x7f,
  0x01,
  0x7f, // type section: (i32, i32) -> i32
  0x03,
  0x02,
  0x01,
  0x00, // function section: one function of type 0
  0x07,
  0x07,
  0x01,
  0x03,
  0x61,
  0x64,
  0x64,
  0x00,
  0x00, // export section: "add" = function 0
  0x0a,
  0x09,
  0x01,
  0x07,
  0x00,
  0x20,
  0x00,
  0x20,
  0x01,
  0x6a,
  0x0b, // code: local.get 0, local.get 1, i32.add
])

function everyKindBody(): RunnableVersionBody {
  return {
    main_module: 'index.js',
    modules: [
      // The main module is deliberately not first: runVersion must move it to the front.
      {
        name: 'lib/greet.cjs',
        content_type: 'application/javascript',
        content_base64: b64("module.exports = { greet: (name) => 'hi ' + name }"),
      },
      { name: 'data/message.txt', content_type: 'text/plain', content_base64: b64('text module') },
      {
        name: 'data/bytes.bin',
        content_type: 'application/octet-stream',
        content_base64: b64(new Uint8Array([1, 2, 255])),
      },
      { name: 'add.wasm', content_type: 'application/wasm', content_base64: b64(ADD_WASM) },
      {
        name: 'index.js.map',
        content_type: 'application/source-map',
        content_base64: b64('{"version":3}'),
      },
      {
        name: 'index.js',
        content_type: 'application/javascript+module',
        content_base64: b64(`import message from './data/message.txt'
import bytes from './data/bytes.bin'
import addModule from './add.wasm'
import cjs from './lib/greet.cjs'
export default {
  async fetch(request, env) {
    const instance = await WebAssembly.instantiate(addModule)
    return Response.json({
      message,
      bytes: [...new Uint8Array(bytes)],
      sum: instance.exports.add(2, 40),
      greeting: cjs.greet('workerd'),
      json: env.CONFIG,
      text: env.TEXT,
      kv: await env.KV.get('missing'),
      version: typeof env.VERSION.id,
    })
  }
}
`),
      },
    ],
    compatibility_date: '2999-12-31',
    compatibility_flags: [],
    bindings: [
      { type: 'json', name: 'CONFIG', json: { nested: [1, 2] } },
      { type: 'plain_text', name: 'TEXT', text: 'plain' },
      { type: 'kv_namespace', name: 'KV', namespace_id: 'kv-id' },
      { type: 'version_metadata', name: 'VERSION' },
      { type: 'ai', name: 'AI' },
    ],
  }
}

describe('runVersion', () => {
  it('runs ESM + CommonJS + text + data + wasm modules in workerd', async () => {
    const worker = await runVersion(everyKindBody())
    try {
      const response = await worker.fetch('/anything')
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({
        message: 'text module',
        bytes: [1, 2, 255],
        sum: 42,
        greeting: 'hi workerd',
        json: { nested: [1, 2] },
        text: 'plain',
        kv: null,
        version: 'string',
      })
    } finally {
      await worker.dispose()
    }
  })

  it('rejects with workerd’s own error text when the Worker throws at startup', async () => {
    const body: RunnableVersionBody = {
      main_module: 'index.js',
      modules: [
        {
          name: 'index.js',
          content_type: 'application/javascript+module',
          content_base64: b64('null.boom\nexport default {}'),
        },
      ],
    }
    const error = await runVersion(body).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(VersionStartupError)
    expect((error as Error).message).toMatch(
      /Uncaught TypeError: Cannot read properties of null[\s\S]*index\.js:1[\s\S]*at worker startup/,
    )
    expect((error as Error).message).not.toContain('core:user')
  })

  it('rejects a ES module labelled CommonJS, as the real runtime does', async () => {
    const body: RunnableVersionBody = {
      main_module: 'index.js',
      modules: [
        {
          name: 'index.js',
          content_type: 'application/javascript+module',
          content_base64: b64("import './x.js'\nexport default {}"),
        },
        {
          name: 'x.js',
          content_type: 'application/javascript',
          content_base64: b64('export const x = 1'),
        },
      ],
    }
    await expect(runVersion(body)).rejects.toThrow(/SyntaxError/)
  })
})

describe('miniflareOptionsFor', () => {
  it('puts the main module first, skips source maps, joins paths onto the root and clamps the date', async () => {
    const options = (await miniflareOptionsFor(everyKindBody(), {
      modulesRoot: '/virtual',
    })) as Record<string, any>
    expect(options.modulesRoot).toBe('/virtual')
    expect(options.modules.map((m: { type: string; path: string }) => [m.type, m.path])).toEqual([
      ['ESModule', '/virtual/index.js'],
      ['CommonJS', '/virtual/lib/greet.cjs'],
      ['Text', '/virtual/data/message.txt'],
      ['Data', '/virtual/data/bytes.bin'],
      ['CompiledWasm', '/virtual/add.wasm'],
    ])
    expect(options.modules[2].contents).toBe('text module')
    expect(options.modules[3].contents).toEqual(new Uint8Array([1, 2, 255]))
    expect(options.compatibilityDate).toBe(supportedCompatibilityDate)
    expect(options.host).toBe('127.0.0.1')
  })

  it('keeps an older date and maps every supported binding kind', async () => {
    const body: RunnableVersionBody = {
      main_module: 'index.js',
      modules: [
        {
          name: 'index.js',
          content_type: 'text/javascript+module',
          content_base64: b64('export default {}'),
        },
        { name: 'main.py', content_type: 'text/x-python', content_base64: b64('x = 1') },
        {
          name: 'requirements.txt',
          content_type: 'text/x-python-requirement',
          content_base64: b64('numpy'),
        },
      ],
      compatibility_date: '2024-01-02',
      compatibility_flags: ['nodejs_compat'],
      bindings: [
        { type: 'plain_text', name: 'P', text: 'p' },
        { type: 'secret_text', name: 'S', text: 's' },
        { type: 'json', name: 'J', json: [1] },
        { type: 'kv_namespace', name: 'KV', namespace_id: 'kv1' },
        { type: 'r2_bucket', name: 'R2', bucket_name: 'b1' },
        { type: 'd1', name: 'DB', id: 'd1-old' },
        { type: 'd1', name: 'DB2', database_id: 'd1-new' },
        { type: 'durable_object_namespace', name: 'DO', class_name: 'Counter' },
        {
          type: 'durable_object_namespace',
          name: 'REMOTE_DO',
          class_name: 'Other',
          script_name: 'another-worker',
        },
        { type: 'service', name: 'SVC', service: 'elsewhere' },
        { type: 'queue', name: 'Q', queue_name: 'jobs', delivery_delay: 5 },
        { type: 'version_metadata', name: 'META' },
        { type: 'vectorize', name: 'IGNORED', index_name: 'x' },
      ],
    }
    const options = (await miniflareOptionsFor(body)) as Record<string, any>
    expect(options.modules.map((m: { type: string }) => m.type)).toEqual([
      'ESModule',
      'PythonModule',
      'PythonRequirement',
    ])
    expect(options.modules[0].path).toBe('/worker/index.js')
    expect(options.compatibilityDate).toBe('2024-01-02')
    expect(options.compatibilityFlags).toEqual(['nodejs_compat'])
    expect(options.bindings).toEqual({ P: 'p', S: 's', J: [1] })
    expect(options.kvNamespaces).toEqual({ KV: 'kv1' })
    expect(options.r2Buckets).toEqual({ R2: 'b1' })
    expect(options.d1Databases).toEqual({ DB: 'd1-old', DB2: 'd1-new' })
    expect(options.durableObjects).toEqual({ DO: { className: 'Counter' } })
    expect(typeof options.serviceBindings.SVC).toBe('function')
    expect(options.queueProducers).toEqual({ Q: { queueName: 'jobs', deliveryDelay: 5 } })
    expect(options.versionMetadata).toBe('META')
    expect(JSON.stringify(options)).not.toContain('IGNORED')
  })
})
