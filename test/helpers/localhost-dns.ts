/**
 * Previews live on `*.localhost` origins, which browsers resolve to loopback and Node's resolver
 * does not. Every test's global `fetch` answers those names with loopback, as a browser would
 * (the same lookup the plugin's own API connections use); other names resolve as before.
 */
import { Agent, setGlobalDispatcher } from 'undici'
import { loopbackLookup } from '../../src/api/loopback-lookup.js'

setGlobalDispatcher(new Agent({ connect: { lookup: loopbackLookup } }))
