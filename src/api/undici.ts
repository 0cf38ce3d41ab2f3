import { createRequire } from 'node:module'
import type {
  Agent as UndiciAgent,
  Dispatcher,
  EnvHttpProxyAgent as UndiciEnvHttpProxyAgent,
  FormData as UndiciFormData,
  Pool as UndiciPool,
} from 'undici'

// The parts of undici the API client uses: an Agent and its `request`. undici's index also loads
// fetch, WebSocket, EventSource, the cache and the mocks: about 3 times the import time of these
// two modules on Node 22–26 with undici 8 (bench/README.md, `undici-import.mjs`). undici is pinned
// to an exact version in package.json, and every network test goes through these paths.
const require = createRequire(import.meta.url)

export const Agent = require('undici/lib/dispatcher/agent') as typeof UndiciAgent
export type Agent = UndiciAgent

const dispatchRequest = require('undici/lib/api/api-request') as (
  this: Dispatcher,
  options: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>

/** undici's `request(url, { dispatcher, … })`, on an Agent of ours. */
export function request(
  url: URL,
  options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Dispatcher },
): Promise<Dispatcher.ResponseData> {
  const { dispatcher, ...rest } = options
  return dispatchRequest.call(dispatcher, {
    ...rest,
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
  })
}

export type FormData = UndiciFormData
export type { Dispatcher }

/**
 * A form for a multipart body. undici 8 refuses the built-in FormData (it must come from the same
 * undici), and its module is loaded only here: by an upload with static assets.
 */
export function createFormData(): FormData {
  const { FormData: FormDataClass } = require('undici/lib/web/fetch/formdata') as {
    FormData: typeof UndiciFormData
  }
  return new FormDataClass()
}

/**
 * undici's agent that sends each request through the proxy for its scheme, or directly when
 * `NO_PROXY` names the host (read on every request, as undici does). Loaded only when a proxy is
 * set: it brings undici's proxy and SOCKS modules. The pool options apply to every pool, also the
 * one to the proxy itself that forwards plain-http requests (undici gives that one its defaults).
 */
export function createEnvProxyAgent(
  options: UndiciEnvHttpProxyAgent.Options & UndiciPool.Options,
): Dispatcher {
  const EnvHttpProxyAgent =
    require('undici/lib/dispatcher/env-http-proxy-agent') as typeof UndiciEnvHttpProxyAgent
  const Pool = require('undici/lib/dispatcher/pool') as typeof UndiciPool
  const { httpProxy, httpsProxy, ...pool } = options
  // '' rather than undefined: undici would read the variables again, and this module decides them.
  return new EnvHttpProxyAgent({
    ...pool,
    httpProxy: httpProxy ?? '',
    httpsProxy: httpsProxy ?? '',
    factory: (origin: string | URL, opts: object) => new Pool(origin, { ...pool, ...opts }),
    clientFactory: (origin: URL, opts: object) =>
      withConnect(new Pool(origin, { ...pool, ...opts })),
  } as UndiciEnvHttpProxyAgent.Options)
}

/**
 * The pool to the proxy opens each https tunnel with `pool.connect()` (a CONNECT request), a
 * method undici's index adds to every dispatcher's prototype; the modules loaded here skip the
 * index, so this pool gets it as its own property (undici's prototypes stay as they are).
 */
function withConnect(pool: UndiciPool): UndiciPool {
  const connect = require('undici/lib/api/api-connect') as UndiciPool['connect']
  return Object.defineProperty(pool, 'connect', { value: connect, enumerable: false })
}
