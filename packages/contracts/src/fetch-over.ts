import { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'

/** Statuses whose response has no body; `new Response` refuses one. */
const nullBodyStatuses = new Set([101, 103, 204, 205, 304])

/**
 * A `fetch` whose requests go through `dispatcher.request`, for clients that take a fetch (the
 * `openai` client). Not undici's own fetch with `{ dispatcher }`: that one streams even a string
 * body through an async iterator and its response through its own body machinery, which costs a
 * call in one process more than the call itself (bench figures in the commit that made this).
 * Redirects are not followed, as between services there are none.
 */
export function fetchOver(dispatcher: Dispatcher): typeof globalThis.fetch {
  return async (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url)
    const headers: Record<string, string> = {}
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value
    })
    const method = init?.method ?? 'GET'
    const res = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: method as Dispatcher.HttpMethod,
      headers,
      body: await bytesOf(init?.body),
      signal: init?.signal ?? null,
    })
    const received = new Headers()
    for (const [name, value] of Object.entries(res.headers)) {
      if (value === undefined) continue
      for (const one of Array.isArray(value) ? value : [value]) received.append(name, one)
    }
    const empty = nullBodyStatuses.has(res.statusCode) || method === 'HEAD'
    if (empty) res.body.resume()
    // Cancelling the web stream destroys the undici body, which aborts the call: the service sees
    // its caller leave, as it would a dropped connection.
    return new Response(empty ? null : (Readable.toWeb(res.body) as ReadableStream<Uint8Array>), {
      status: res.statusCode,
      headers: received,
    })
  }
}

/** A fetch body as the dispatcher takes it: strings and bytes as they are, anything else read whole. */
async function bytesOf(body: RequestInit['body']): Promise<string | Uint8Array | null> {
  if (body === undefined || body === null) return null
  if (typeof body === 'string' || body instanceof Uint8Array) return body
  return Buffer.from(await new Response(body).arrayBuffer())
}
