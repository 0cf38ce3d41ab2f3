/**
 * A reverse proxy on 127.0.0.1 that puts a modelled network between a deploy tool and the local
 * emulator, and counts what crosses it. Localhost hides what users wait for against Cloudflare:
 * round trips and bytes on the wire. The model (its defaults: the goals' network):
 *
 * - every new connection costs one round trip for TCP and two for TLS before its first request
 *   is read (the tools speak plain HTTP to the proxy; the handshakes are modelled, not made);
 * - a request reaches the emulator half a round trip after its last byte left the uplink, and the
 *   response reaches the client half a round trip after its last byte left the downlink;
 * - one uplink (20 Mbit/s) and one downlink (100 Mbit/s) shared by every connection: transfers
 *   queue for the link in the order they are ready, so parallel uploads do not each get the full rate.
 *
 * Bodies are buffered whole on each side (the emulator reads them whole anyway), which is exact
 * for the link model above: a body's last byte cannot leave before the link has carried it.
 *
 * Counted per run (`stats()`, `reset()`): connections, requests, bytes up and down (request line,
 * headers and body; status line, headers and body), and the sequential requests on the critical
 * path: the longest chain of requests each of which started after the previous one ended, and the
 * same chain weighed in round trips, a request on a new connection counting 1 + 3.
 */
import { request as httpRequest, Agent, createServer } from 'node:http'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { gzipSync } from 'node:zlib'

export const DEFAULT_NETWORK = { rttMs: 100, upMbit: 20, downMbit: 100, handshakeRtts: 3 }

/** Starts the proxy in front of `upstream` (the emulator's URL, `http://127.0.0.1:PORT/client/v4`). */
export async function startNetProxy(upstream, network = DEFAULT_NETWORK) {
  const target = new URL(upstream)
  const half = network.rttMs / 2
  const upBytesPerMs = (network.upMbit * 1e6) / 8 / 1000
  const downBytesPerMs = (network.downMbit * 1e6) / 8 / 1000
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  let uplinkFreeAt = 0
  let downlinkFreeAt = 0
  let run = freshRun()

  /** When a transfer of `bytes` that is ready now has left the link (both links are FIFO queues). */
  const transmit = (link, bytes) => {
    const now = performance.now()
    if (link === 'up') return (uplinkFreeAt = Math.max(now, uplinkFreeAt) + bytes / upBytesPerMs)
    return (downlinkFreeAt = Math.max(now, downlinkFreeAt) + bytes / downBytesPerMs)
  }
  const until = (t) => sleep(Math.max(0, t - performance.now()))

  const server = createServer({ keepAliveTimeout: 30_000 }, async (req, res) => {
    const socket = req.socket
    const fresh = !socket.netProxyUsed
    socket.netProxyUsed = true
    const started = performance.now()
    // The handshakes: the first request of a connection is read only once they are done.
    await until(socket.netProxyReadyAt)
    const body = Buffer.concat(await req.toArray())
    const head = headBytes(`${req.method} ${req.url} HTTP/1.1`, req.rawHeaders)
    const upBytes = head + body.length
    await until(transmit('up', upBytes) + half)

    const path = req.url
    const headers = { ...req.headers, host: target.host }
    const upstreamResponse = await new Promise((resolve, reject) => {
      const forward = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path, headers, agent },
        resolve,
      )
      forward.on('error', reject)
      forward.end(body)
    }).catch((error) => ({ error }))
    if (upstreamResponse.error) {
      res.writeHead(502).end(String(upstreamResponse.error))
      return
    }
    const responseBody = Buffer.concat(await upstreamResponse.toArray())
    const responseHead = headBytes(
      `HTTP/1.1 ${upstreamResponse.statusCode} ${upstreamResponse.statusMessage}`,
      upstreamResponse.rawHeaders,
    )
    await until(transmit('down', responseHead + responseBody.length) + half)
    const outHeaders = { ...upstreamResponse.headers }
    // Hop-by-hop: the emulator's keep-alive terms are for the proxy's connection to it, not the client's.
    delete outHeaders['transfer-encoding']
    delete outHeaders.connection
    delete outHeaders['keep-alive']
    outHeaders['content-length'] = String(responseBody.length)
    res.writeHead(upstreamResponse.statusCode, outHeaders)
    res.end(responseBody)
    const record = {
      start: started,
      end: performance.now(),
      fresh,
      port: socket.remotePort,
      method: req.method,
      path: req.url,
      up: upBytes,
      down: responseHead + responseBody.length,
    }
    // What the version's body would weigh gzipped, had the API accepted it (measured after the
    // response, so the client never waits for it).
    if (req.method === 'POST' && /\/versions(\?|$)/.test(req.url))
      record.versionBody = { bytes: body.length, gzip: gzipSync(body).length }
    run.requests.push(record)
    run.bytesUp += upBytes
    run.bytesDown += responseHead + responseBody.length
  })
  server.on('connection', (socket) => {
    run.connections++
    socket.netProxyReadyAt = performance.now() + network.handshakeRtts * network.rttMs
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()

  return {
    /** The proxy's API base URL: the emulator's path on the proxy's port. */
    url: `http://127.0.0.1:${port}${target.pathname}`,
    network,
    reset() {
      run = freshRun()
    },
    stats() {
      return {
        connections: run.connections,
        requests: run.requests.length,
        bytesUp: run.bytesUp,
        bytesDown: run.bytesDown,
        ...criticalPath(run.requests, network.handshakeRtts),
        log: run.requests,
      }
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
        agent.destroy()
      }),
  }
}

function freshRun() {
  return { connections: 0, requests: [], bytesUp: 0, bytesDown: 0 }
}

/** An HTTP/1.1 head's size: the first line, each `name: value`, CRLFs. */
function headBytes(firstLine, rawHeaders) {
  let bytes = firstLine.length + 4
  for (let i = 0; i < rawHeaders.length; i += 2)
    bytes += Buffer.byteLength(rawHeaders[i]) + Buffer.byteLength(rawHeaders[i + 1]) + 4
  return bytes
}

/**
 * The longest chain of requests that ran one after another (each started after the previous one
 * ended): how many sequential requests a tool waited for. `roundTrips` weighs the chain by what
 * the network charges: 1 per request, plus the handshakes of a request on a new connection.
 */
export function criticalPath(requests, handshakeRtts) {
  const sorted = [...requests].sort((a, b) => a.end - b.end)
  const chain = []
  const trips = []
  for (let i = 0; i < sorted.length; i++) {
    let bestChain = 0
    let bestTrips = 0
    for (let j = 0; j < i; j++) {
      if (sorted[j].end > sorted[i].start) continue
      bestChain = Math.max(bestChain, chain[j])
      bestTrips = Math.max(bestTrips, trips[j])
    }
    chain.push(bestChain + 1)
    trips.push(bestTrips + 1 + (sorted[i].fresh ? handshakeRtts : 0))
  }
  return { sequential: Math.max(0, ...chain), roundTrips: Math.max(0, ...trips) }
}
