import type { ServiceName } from '@switchyard/contracts'
import { Agent, type Dispatcher } from 'undici'

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
