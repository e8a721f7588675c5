import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'

/** Statuses whose response has no body; `new Response` refuses one. */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/** What the in-process fetch needs of a service's app. */
export type InProcessApp = Pick<FastifyInstance, 'inject'>

/**
 * The `fetch` services get in the one-process shape. Each service has an internal origin
 * (`http://chat.internal`); a request to one goes through that service's `app.inject` and never
 * touches a socket, so it works before `listen` and in tests. A request to the internal origin of
 * a service that does not run in this process fails as a refused connection would, so callers
 * treat it like a peer that is down. Anything else (an upstream LLM, a webhook) goes out through
 * the real `fetch`. Responses stream (`payloadAsStream`), so server-sent events arrive as they
 * are written.
 */
export function createInProcessFetch(
  /** The app serving a host (`chat.internal`); undefined for a host that is not in-process. */
  appFor: (host: string) => InProcessApp | undefined,
  /** Hosts that are internal origins but whose service does not run here. */
  isInternalHost: (host: string) => boolean,
): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    const app = appFor(url.host)
    if (app === undefined) {
      if (isInternalHost(url.host)) throw notRunning(url.host)
      return fetch(request)
    }
    const payload = request.body === null ? undefined : Buffer.from(await request.arrayBuffer())
    const response = await app.inject({
      method: request.method,
      url: `${url.pathname}${url.search}`,
      authority: url.host,
      headers: Object.fromEntries(request.headers),
      ...(payload === undefined ? {} : { payload }),
      signal: request.signal,
      payloadAsStream: true,
    })
    const headers = new Headers()
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined) continue
      for (const one of Array.isArray(value) ? value : [value]) headers.append(name, String(one))
    }
    const stream = response.stream()
    // A caller that stops reading (an SDK's stream cancelled, a client gone) must reach the service
    // as a closed connection would: light-my-request only does that for the abort signal, so a body
    // closed before its end closes the service's response too (its 'close' stops the generation).
    stream.once('close', () => {
      if (!stream.readableEnded) response.raw.res.destroy()
    })
    const empty = NULL_BODY.has(response.statusCode) || request.method === 'HEAD'
    if (empty) stream.resume()
    return new Response(empty ? null : (Readable.toWeb(stream) as ReadableStream<Uint8Array>), {
      status: response.statusCode,
      statusText: response.statusMessage,
      headers,
    })
  }
}

/** The error `fetch` rejects with when nothing listens: a TypeError whose cause is ECONNREFUSED. */
function notRunning(host: string): TypeError {
  const cause = Object.assign(
    new Error(`connect ECONNREFUSED ${host}: the service does not run in this process`),
    {
      code: 'ECONNREFUSED',
    },
  )
  return new TypeError('fetch failed', { cause })
}
