import type { Readable } from 'node:stream'
import { trace } from '@opentelemetry/api'
import type { ServiceName } from '@switchyard/contracts'
import { kitErrors, requestIdHeader } from '@switchyard/kit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Dispatcher } from 'undici'
import { gatewayErrors } from '../errors.ts'
import { BodyLimitExceeded } from './body-limit.ts'
import type { TokenMinter } from './tokens.ts'

/** Headers that belong to one connection, not to the request or response they came with. */
const hopByHop = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]
/** Not passed on: the caller's credentials (replaced), the gateway's own host, expect (undici refuses it). */
const droppedRequestHeaders = new Set([
  ...hopByHop,
  'host',
  'authorization',
  // An API key sent as x-api-key (auth/authenticate.ts): the services get the internal token only.
  'x-api-key',
  'expect',
  requestIdHeader,
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
])
const traceHeaders = new Set(['traceparent', 'tracestate'])
/**
 * Response headers only the operator's callers get: which upstream deployment answered is the
 * platform's layout, as admin shows deployments to the operator org only. Not a scope: a member
 * may give their own key any scope outside `internal:`.
 */
const operatorResponseHeaders = new Set(['x-switchyard-deployment'])
/** The request id is already on the reply (the kit echoes it; the service got the same one). */
const droppedResponseHeaders = new Set([...hopByHop, requestIdHeader])

export interface ForwardDeps {
  /** The runtime's dispatcher (`ctx.dispatcher`): in-process in one process, HTTP otherwise. */
  dispatcher: Dispatcher
  mint: TokenMinter
  originOf(service: ServiceName): string
  /** Deadline of a whole answer (a stream: of its headers), in milliseconds. */
  timeoutMs: number
  /** Orgs whose callers see the operator-only response headers. */
  operatorOrgs: ReadonlySet<string>
}

/**
 * Passes the request to `service` with the caller's identity in an internal token, and its
 * answer back as it arrives: bodies stream both ways and are never parsed, so a stream of
 * server-sent events reaches the caller event by event. A caller that leaves aborts the call.
 */
export async function forward(
  deps: ForwardDeps,
  service: ServiceName,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const headers = upstreamHeaders(request, `Bearer ${await deps.mint(request.identity)}`)
  if (trace.getActiveSpan() !== undefined) {
    // Tracing is on: the span now active was made from the caller's headers, and the context
    // leaves as a child of it (the dispatcher adds it: undici's instrumentation over HTTP).
    for (const name of traceHeaders) delete headers[name]
  }
  const controller = new AbortController()
  let timedOut = false
  const deadline = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, deps.timeoutMs)
  // 'close' after a complete response is normal; before it, the caller went away.
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort()
  })

  let upstream: Dispatcher.ResponseData
  try {
    upstream = await deps.dispatcher.request({
      origin: deps.originOf(service),
      path: request.url,
      method: request.method as Dispatcher.HttpMethod,
      headers,
      body: (request.body as Readable | Buffer | undefined) ?? null,
      signal: controller.signal,
    })
  } catch (error) {
    clearTimeout(deadline)
    throw failure(error, service, timedOut)
  }
  if (isEventStream(upstream.headers['content-type'])) clearTimeout(deadline)
  else upstream.body.once('close', () => clearTimeout(deadline))

  reply.code(upstream.statusCode)
  const operator = deps.operatorOrgs.has(request.identity.orgId)
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value === undefined || droppedResponseHeaders.has(name)) continue
    if (operator || !operatorResponseHeaders.has(name)) reply.header(name, value)
  }
  return reply.send(upstream.body)
}

function upstreamHeaders(request: FastifyRequest, authorization: string): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !droppedRequestHeaders.has(name)) headers[name] = value
  }
  headers.authorization = authorization
  headers[requestIdHeader] = request.id
  const forwardedFor = request.headers['x-forwarded-for']
  headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${request.ip}` : request.ip
  headers['x-forwarded-proto'] = request.protocol
  if (request.headers.host !== undefined) headers['x-forwarded-host'] = request.headers.host
  // A body-less method never carries a body on to the service, whatever the caller sent.
  if (request.body === undefined || request.body === null) {
    delete headers['content-length']
    delete headers['content-type']
  }
  return headers
}

function isEventStream(contentType: string | string[] | undefined): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType
  return value?.toLowerCase().startsWith('text/event-stream') === true
}

/** Connection failures that mean nothing answers there: the service does not run, or not yet. */
const unreachable = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
])

/** What a failed call to a service means for the caller. */
function failure(error: unknown, service: ServiceName, timedOut: boolean): Error {
  if (timedOut) return new gatewayErrors.UpstreamTimeout(service)
  const cause = (error as { cause?: unknown }).cause
  if (error instanceof BodyLimitExceeded || cause instanceof BodyLimitExceeded) {
    return new kitErrors.BodyTooLarge(
      (error instanceof BodyLimitExceeded ? error : (cause as BodyLimitExceeded)).limit,
    )
  }
  const code = (error as { code?: unknown }).code ?? (cause as { code?: unknown } | undefined)?.code
  if (typeof code === 'string' && unreachable.has(code))
    return new gatewayErrors.ServiceUnavailable(service, { cause: error })
  return new gatewayErrors.Upstream(service, { cause: error })
}
