import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { FastifyInstance } from 'fastify'

export const requestIdHeader = 'x-request-id'

/** What an incoming id may look like; anything else (too long, odd characters) is replaced. */
const acceptable = /^[A-Za-z0-9._:-]{1,128}$/

/** Honours the caller's `x-request-id` (the gateway's, a proxy's) when it is sane, else makes one. */
export function requestIdFrom(request: IncomingMessage): string {
  const incoming = request.headers[requestIdHeader]
  return typeof incoming === 'string' && acceptable.test(incoming) ? incoming : randomUUID()
}

/** Echoes the id on every response, errors and 404s included. */
export function installRequestIdEcho(app: FastifyInstance): void {
  // Callback hooks, here and in the kit's other per-request hooks: an async one costs a promise
  // and a microtask per request for work that is synchronous.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(requestIdHeader, request.id)
    done()
  })
}
