import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'

/** Statuses whose response has no body; `new Response` refuses one. */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/**
 * The `fetch` services get in the one-process shape: a request to `origin` (the one listener every
 * service shares) goes through `app.inject` and never touches a socket, so it works before `listen`
 * and in tests; anything else (an upstream LLM, a webhook) goes out through the real `fetch`.
 * Responses stream (`payloadAsStream`), so server-sent events arrive as they are written.
 */
export function createInProcessFetch(
  app: Pick<FastifyInstance, 'inject'>,
  origin: () => string,
): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    if (url.origin !== origin()) return fetch(request)
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
    const empty = NULL_BODY.has(response.statusCode) || request.method === 'HEAD'
    if (empty) stream.resume()
    return new Response(empty ? null : (Readable.toWeb(stream) as ReadableStream<Uint8Array>), {
      status: response.statusCode,
      statusText: response.statusMessage,
      headers,
    })
  }
}
