import type { Identity } from '@switchyard/contracts'
import type { FastifyInstance } from 'fastify'
import { isServiceError, kitErrors } from '../errors/errors.ts'
import type { InternalTokenVerifier } from './internal-token.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, from the gateway's internal token. Unset on `public` routes: do not read it there. */
    identity: Identity
    /**
     * The verified token itself, to forward when this request calls another service (e.g. as the
     * `openai` client's apiKey towards the llm-router). Unset on `public` routes.
     */
    internalToken: string
  }
  interface FastifyContextConfig {
    /** The route answers without an internal token (health, metrics, docs, the gateway's own edge). */
    public?: boolean
  }
}

const bearer = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)[ ]*$/i

/**
 * Every route requires a valid internal token in `Authorization: Bearer <token>` (the form the
 * `openai` client sends its apiKey in) unless its config says `public: true`. Unknown routes
 * answer 404 without one: hiding which paths exist is not worth a confusing 401.
 */
export function installAuthentication(app: FastifyInstance, verifier: InternalTokenVerifier): void {
  app.decorateRequest('identity', null as unknown as Identity)
  app.decorateRequest('internalToken', null as unknown as string)
  // A callback hook: a token seen before (nearly every request) is answered without a promise.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.routeOptions.config.public === true || request.is404) return done()
    const header = request.headers.authorization
    const token = header === undefined ? undefined : bearer.exec(header)?.[1]
    if (token === undefined) {
      return done(
        new kitErrors.Unauthenticated(
          header === undefined
            ? 'Missing bearer token'
            : 'Malformed Authorization header; expected Bearer <token>',
        ),
      )
    }
    const known = verifier.known?.(token)
    if (known !== undefined) {
      request.identity = known
      request.internalToken = token
      return done()
    }
    verifier.verify(token).then(
      (identity) => {
        request.identity = identity
        request.internalToken = token
        done()
      },
      (error: unknown) =>
        done(
          isServiceError(error) && error.statusCode === 401
            ? error
            : new kitErrors.Unauthenticated('Invalid internal token', { cause: error }),
        ),
    )
  })
}
