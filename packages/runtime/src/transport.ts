// The one transport services call each other over: `ctx.dispatcher`, an undici Dispatcher limited
// to the services the caller's definition lists in `calls`, on top of the process's transport, in
// process (InProcessDispatcher: a service's app.inject, no socket) or over HTTP (an undici Agent).
import type { IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { context, propagation } from '@opentelemetry/api'
import type { ServiceName } from '@switchyard/contracts'
import { hasDotSegment } from '@switchyard/kit'
import type { FastifyInstance } from 'fastify'
import { Agent, Dispatcher, errors } from 'undici'

/** A call to a service the caller's definition does not list in `calls`, or to no service at all. */
export class UndeclaredCallError extends Error {
  override name = 'UndeclaredCallError'
  readonly code = 'SWITCHYARD_ERR_UNDECLARED_CALL'
  constructor(caller: ServiceName, origin: string, callee: ServiceName | undefined) {
    super(
      callee === undefined
        ? `${caller} called ${origin}, which is no service: ctx.dispatcher reaches only the services in its calls`
        : `${caller} called ${callee}, which its definition does not list in calls: add '${callee}' to calls`,
    )
  }
}

/**
 * The dispatcher a service gets as `ctx.dispatcher`: the process's transport, limited to the
 * services its definition lists in `calls`, so the call graph Helm and Istio are derived from is
 * the one the code can follow. A call elsewhere fails before anything is sent.
 */
export function createPeerDispatcher(options: {
  transport: Dispatcher
  caller: ServiceName
  calls: readonly ServiceName[]
  /** Every service's origin, as the plan names them. */
  urls: Record<ServiceName, string>
}): Dispatcher {
  const callees = new Map<string, ServiceName>()
  for (const [name, url] of Object.entries(options.urls))
    callees.set(new URL(url).origin, name as ServiceName)
  const allowed = new Set(options.calls.map((name) => new URL(options.urls[name]).origin))
  return options.transport.compose((dispatch) => (request, handler) => {
    // Clients pass the origin as serviceUrl() gave it: a set lookup, no URL parsed per call.
    if (typeof request.origin === 'string' && allowed.has(request.origin)) return dispatch(request, handler)
    const origin = request.origin === undefined ? '' : new URL(String(request.origin)).origin
    if (allowed.has(origin)) return dispatch(request, handler)
    handler.onResponseError?.(
      refused,
      new UndeclaredCallError(options.caller, origin || '(no origin)', callees.get(origin)),
    )
    return true
  })
}

/** The controller of a call refused before it started. */
const refused: Dispatcher.DispatchController = {
  aborted: true,
  paused: false,
  reason: null,
  abort() {},
  pause() {},
  resume() {},
}

/**
 * The transport of a single target: one undici Agent, a keep-alive pool per peer origin, bodies
 * streamed both ways. undici's own header and body timeouts are off: a caller's deadline (its
 * signal) is the only one, so a stream may run as long as its caller lets it.
 */
export function createHttpTransport(options: { connectionsPerPeer: number }): Dispatcher {
  return new Agent({
    connections: options.connectionsPerPeer,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { timeout: 5_000 },
  })
}

/** What the in-process dispatcher needs of a service's app. */
export type InProcessApp = Pick<FastifyInstance, 'inject'>

/**
 * The undici Dispatcher of the one-process shape. Each service has an internal origin
 * (`http://chat.internal`); a request to one goes through that service's `app.inject` and never
 * touches a socket, so it works before `listen` and in tests. A request to the origin of a
 * service that does not run in this process fails as a refused connection would, so callers
 * treat it like a peer that is down. Responses stream (`payloadAsStream`), so server-sent events
 * arrive as they are written. Anything built on a Dispatcher runs over it unchanged:
 * `dispatcher.request`, undici's `fetch` (and so the openai client).
 */
export class InProcessDispatcher extends Dispatcher {
  readonly #appFor: (host: string) => InProcessApp | undefined

  /** `appFor` answers the app serving a host (`chat.internal`), undefined for one that is not here. */
  constructor(appFor: (host: string) => InProcessApp | undefined) {
    super()
    this.#appFor = appFor
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const exchange = new InProcessExchange(handler)
    handler.onRequestStart?.(exchange, {})
    if (!exchange.aborted) void this.#inject(options, exchange)
    return true
  }

  async #inject(options: Dispatcher.DispatchOptions, exchange: InProcessExchange): Promise<void> {
    try {
      const origin = new URL(String(options.origin))
      const app = this.#appFor(origin.host)
      if (app === undefined) throw notRunning(origin.host)
      if (hasDotSegment(options.path))
        throw new errors.InvalidArgumentError(
          `invalid request path: dot segments in ${JSON.stringify(options.path)}`,
        )
      const headers = headersOf(options.headers)
      // Over HTTP undici's instrumentation carries the trace on; here nothing else would.
      propagation.inject(context.active(), headers)
      const payload = payloadOf(options.body)
      const response = await app.inject({
        method: options.method as 'GET',
        url: options.path,
        authority: origin.host,
        headers,
        ...(payload !== undefined && { payload }),
        signal: exchange.signal,
        payloadAsStream: true,
      })
      exchange.respond(response.statusCode, response.statusMessage, response.headers, response.stream(), () =>
        response.raw.res.destroy(),
      )
    } catch (error) {
      exchange.fail(error as Error)
    }
  }

  // Nothing to close: the apps belong to the runtime, and a request in flight ends with its app.
  override close(): Promise<void>
  override close(callback: () => void): void
  override close(callback?: () => void): Promise<void> | undefined {
    if (callback === undefined) return Promise.resolve()
    queueMicrotask(callback)
    return undefined
  }

  override destroy(): Promise<void>
  override destroy(err: Error | null): Promise<void>
  override destroy(callback: () => void): void
  override destroy(err: Error | null, callback: () => void): void
  override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | undefined {
    const callback = typeof first === 'function' ? first : second
    if (callback === undefined) return Promise.resolve()
    queueMicrotask(callback)
    return undefined
  }
}

/**
 * One request's controller, as undici hands its handlers: abort, pause and resume act on the
 * service's response stream. The handler hears exactly one ending (onResponseEnd or onResponseError).
 */
class InProcessExchange implements Dispatcher.DispatchController {
  readonly #handler: Dispatcher.DispatchHandler
  readonly #abort = new AbortController()
  #stream: Readable | undefined
  #closeResponse: (() => void) | undefined
  #paused = false
  #settled = false
  #reason: Error | null = null
  /** The response headers as undici's parser hands them (name, value, ...): its fetch reads these. */
  rawHeaders: Buffer[] | undefined

  constructor(handler: Dispatcher.DispatchHandler) {
    this.#handler = handler
  }

  get aborted(): boolean {
    return this.#reason !== null
  }
  get paused(): boolean {
    return this.#paused
  }
  get reason(): Error | null {
    return this.#reason
  }
  get signal(): AbortSignal {
    return this.#abort.signal
  }

  /** A caller that stops reading (a body destroyed, a signal) reaches the service as a closed connection. */
  abort(reason?: Error): void {
    if (this.#settled) return
    this.#reason = reason ?? new Error('the request was aborted')
    this.#abort.abort(this.#reason)
    this.#closeResponse?.()
    this.#stream?.destroy()
    this.fail(this.#reason)
  }

  pause(): void {
    this.#paused = true
    this.#stream?.pause()
  }

  resume(): void {
    this.#paused = false
    this.#stream?.resume()
  }

  respond(
    statusCode: number,
    statusMessage: string,
    headers: Record<string, string | string[] | number | undefined>,
    stream: Readable,
    closeResponse: () => void,
  ): void {
    if (this.#settled) {
      closeResponse()
      stream.destroy()
      return
    }
    this.#stream = stream
    this.#closeResponse = closeResponse
    const parsed = responseHeaders(headers)
    this.rawHeaders = Object.entries(parsed).flatMap(([name, value]) =>
      (Array.isArray(value) ? value : [value as string]).flatMap((one) => [
        Buffer.from(name, 'latin1'),
        Buffer.from(one, 'latin1'),
      ]),
    )
    this.#handler.onResponseStart?.(this, statusCode, parsed, statusMessage)
    if (this.#settled) return
    stream.on('data', (chunk: Buffer) => {
      if (!this.#settled) this.#handler.onResponseData?.(this, chunk)
    })
    stream.once('end', () => {
      if (this.#settled) return
      this.#settled = true
      this.#handler.onResponseEnd?.(this, {})
    })
    stream.once('error', (error) => this.fail(error))
    if (this.#paused) stream.pause()
  }

  fail(error: Error): void {
    if (this.#settled) return
    this.#settled = true
    this.#handler.onResponseError?.(this, error)
  }
}

/** Request headers in the shape inject takes, whichever of undici's forms they came in. */
function headersOf(headers: Dispatcher.DispatchOptions['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  const add = (name: string, value: unknown) => {
    if (value === undefined || value === null) return
    const key = name.toLowerCase()
    const values = Array.isArray(value) ? value.map(String) : [String(value)]
    const held = out[key]
    out[key] =
      held === undefined ? (values.length === 1 ? (values[0] as string) : values) : [held, values].flat()
  }
  if (headers === undefined || headers === null) return out
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i] as string, headers[i + 1])
  } else if (Symbol.iterator in headers) {
    for (const [name, value] of headers as Iterable<[string, string | string[] | undefined]>) add(name, value)
  } else {
    for (const [name, value] of Object.entries(headers)) add(name, value)
  }
  return out
}

/** A request body as inject takes it: bytes as they are, anything iterable (a stream) as a stream. */
function payloadOf(body: Dispatcher.DispatchOptions['body']): string | Buffer | Readable | undefined {
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string' || Buffer.isBuffer(body) || body instanceof Readable) return body
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  return Readable.from(body as unknown as AsyncIterable<Uint8Array>)
}

function responseHeaders(
  headers: Record<string, string | string[] | number | undefined>,
): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = typeof value === 'number' ? String(value) : value
  }
  return out
}

/** The error undici fails with when nothing listens: code ECONNREFUSED. */
function notRunning(host: string): Error {
  return Object.assign(new Error(`connect ECONNREFUSED ${host}: the service does not run in this process`), {
    code: 'ECONNREFUSED',
  })
}
