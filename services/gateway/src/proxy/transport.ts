import { Readable } from 'node:stream'
import { context, propagation } from '@opentelemetry/api'
import { Agent } from 'undici'

/** One request to a service: `origin` + `path` (with its query), as the caller sent it. */
export interface UpstreamRequest {
  origin: string
  path: string
  method: string
  headers: Record<string, string | string[]>
  /** A stream for bodies passed on as they arrive; a Buffer for the gateway's own calls. */
  body?: Readable | Buffer
  signal: AbortSignal
}

export interface UpstreamResponse {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  body: Readable
}

/** How the gateway reaches services: the one thing that differs between the two shapes. */
export interface Transport {
  request(request: UpstreamRequest): Promise<UpstreamResponse>
  /**
   * Adds the active trace context to outgoing headers when nothing else will. Undefined when the
   * transport's own instrumentation does it (undici's, while tracing is on).
   */
  injectTraceContext?(headers: Record<string, string | string[]>): void
  close(): Promise<void>
}

/**
 * Over the network: one undici Agent, a keep-alive pool per service origin, request and response
 * bodies streamed. undici's own timeouts are off: the gateway's deadline (none for a stream once
 * its headers came) is the only one.
 */
export function createUndiciTransport(options: { connectionsPerService: number }): Transport {
  const agent = new Agent({
    connections: options.connectionsPerService,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { timeout: 5_000 },
  })
  return {
    async request({ origin, path, method, headers, body, signal }) {
      const res = await agent.request({
        origin,
        path,
        method: method as 'GET',
        headers,
        body: body ?? null,
        signal,
      })
      return { statusCode: res.statusCode, headers: res.headers, body: res.body }
    },
    close: () => agent.close(),
  }
}

/**
 * Through a `fetch` the runtime handed over: in one process it reaches each service's app
 * in-process (buffering the request body, as inject does anyway). Redirects are passed on, not
 * followed, as over the network.
 */
export function createFetchTransport(fetchFn: typeof fetch): Transport {
  return {
    async request({ origin, path, method, headers, body, signal }) {
      const outgoing = new Headers()
      for (const [name, value] of Object.entries(headers)) {
        // fetch sets the length of the body it sends itself.
        if (name === 'content-length') continue
        for (const one of Array.isArray(value) ? value : [value]) outgoing.append(name, one)
      }
      const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : await readAll(body)
      const res = await fetchFn(`${origin}${path}`, {
        method,
        headers: outgoing,
        ...(payload !== undefined && { body: payload }),
        signal,
        redirect: 'manual',
      })
      const received: Record<string, string | string[]> = {}
      res.headers.forEach((value, name) => {
        if (name !== 'set-cookie') received[name] = value
      })
      const cookies = res.headers.getSetCookie()
      if (cookies.length > 0) received['set-cookie'] = cookies
      return {
        statusCode: res.status,
        headers: received,
        body: res.body
          ? Readable.fromWeb(res.body as import('node:stream/web').ReadableStream)
          : Readable.from([]),
      }
    },
    injectTraceContext(headers) {
      propagation.inject(context.active(), headers)
    },
    close: async () => {},
  }
}

/** A whole stream as one Buffer. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
  return Buffer.concat(chunks)
}
