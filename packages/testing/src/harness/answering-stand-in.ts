import type { ServiceName } from '@switchyard/contracts'
import { echo, type ReceivedRequest, type StandInHandler } from './http-stand-in.ts'
import { type StandIn, type StandInOptions, standIn } from './stand-in.ts'

const methods = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']

export interface AnsweringStandIn extends StandIn {
  /** Every request it got, in arrival order. */
  received: ReceivedRequest[]
  /** Answers the next requests with `handler` (until set again; null: echo). */
  answer(handler: StandInHandler | null): void
}

/**
 * A service that is not under test but is called, in the test app's registry: on its own server
 * (so behind the runtime's transport, as the real one would be), every path answers. Like the real
 * service, its server checks the internal token first; each request is recorded with the identity
 * the token carried and its body as sent, then echoed or answered by the handler the test set, on
 * the raw response (write, wait, end as a real service would).
 */
export function answeringStandIn(
  name: ServiceName,
  options: Omit<StandInOptions, 'register'> = {},
): AnsweringStandIn {
  const received: ReceivedRequest[] = []
  let handler: StandInHandler | null = null
  const base = standIn(name, {
    ...options,
    register: async (app) => {
      // Bodies as bytes arrived, whatever their type: the test compares them with what was sent.
      app.removeAllContentTypeParsers()
      app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body))
      app.route({
        method: methods,
        url: '/*',
        handler: async (request, reply) => {
          const got: ReceivedRequest = {
            service: name,
            method: request.method,
            url: request.url,
            headers: request.headers,
            body: typeof request.body === 'string' ? request.body : '',
            identity: request.identity,
          }
          received.push(got)
          reply.hijack()
          await (handler ?? echo)(got, reply.raw)
        },
      })
    },
  })
  return {
    ...base,
    received,
    answer: (next) => {
      handler = next
    },
  }
}
