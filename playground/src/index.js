import add from './add.wasm'
import banner from './banner.txt'

export default {
  async fetch(request, env) {
    const url = new URL(request.url)
    if (url.pathname === '/api/hello')
      return Response.json({ hello: 'from the Worker', greeting: env.GREETING })
    // A dynamic import: its own chunk, loaded only on this route.
    if (url.pathname === '/lazy') {
      const { describe } = await import('./lazy.js')
      return new Response(describe(env))
    }
    // With static assets (the Vite build) the platform serves pages; built alone, the Worker answers.
    if (env.ASSETS) return env.ASSETS.fetch(request)
    const { exports } = await WebAssembly.instantiate(add)
    return new Response(
      `${banner.trim()}\n2 + 3 = ${exports.add(2, 3)} (computed in wasm)\ngreeting: ${env.GREETING}\n`,
    )
  },
}
