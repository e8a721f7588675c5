import type { Static, TSchema } from 'typebox'
import { Value } from 'typebox/value'
import type { Dispatcher } from 'undici'
import { ErrorBody } from './error-body.ts'

/**
 * Where a service's client sends its calls: the runtime's dispatcher (`ctx.dispatcher`, in-process
 * in one process, HTTP otherwise) and the service's origin (`ctx.serviceUrl(name)`).
 */
export interface ServiceEndpoint {
  dispatcher: Dispatcher
  origin: string
}

export interface CallOptions {
  /** The internal token the call carries: the caller's own, forwarded, or one the caller minted. */
  token: string
  signal?: AbortSignal
}

/**
 * A service's answer: the body its route declares, or the error it answered with (null when the
 * body was not the OpenAI error shape, or a 2xx body not the declared one). A call that got no
 * answer at all (refused, aborted, a service not in `calls`) throws instead.
 */
export type ServiceAnswer<T> =
  | { ok: true; status: number; body: T }
  | { ok: false; status: number; error: ErrorBody['error'] | null }

/** One JSON call to a route of another service, its answer checked against the route's schema. */
export async function callService<S extends TSchema>(
  endpoint: ServiceEndpoint,
  request: { method: 'GET' | 'POST'; path: string; body?: unknown },
  answer: S,
  options: CallOptions,
): Promise<ServiceAnswer<Static<S>>> {
  const res = await endpoint.dispatcher.request({
    origin: endpoint.origin,
    path: request.path,
    method: request.method,
    headers: {
      authorization: `Bearer ${options.token}`,
      ...(request.body !== undefined && { 'content-type': 'application/json' }),
    },
    body: request.body === undefined ? null : JSON.stringify(request.body),
    signal: options.signal ?? null,
  })
  const body = parse(await res.body.text())
  if (res.statusCode >= 200 && res.statusCode < 300 && Value.Check(answer, body)) {
    return { ok: true, status: res.statusCode, body: body as Static<S> }
  }
  return { ok: false, status: res.statusCode, error: Value.Check(ErrorBody, body) ? body.error : null }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
