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
    /**
     * Scopes the caller's identity must hold, all of them (`x:*` covers `x:anything`), checked
     * right after the token: a 403 `KIT_ERR_MISSING_SCOPE` otherwise. Declared beside the route's
     * schema; the vocabulary is `scopes` from @switchyard/contracts.
     */
    scopes?: readonly string[]
  }
}

const bearer = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)[ ]*$/i

/** Whether `held` grants `needed`: the scope itself, or `x:*` for any `x:` scope. */
export function grantsScope(held: readonly string[], needed: string): boolean {
  return held.some((h) => h === needed || (h.endsWith(':*') && needed.startsWith(h.slice(0, -1))))
}

/** The first scope of `needed` the identity lacks, as the 403 to answer; undefined when it has all. */
function missingScope(identity: Identity, needed: readonly string[] | undefined) {
  if (needed === undefined) return undefined
  const missing = needed.find((scope) => !grantsScope(identity.scopes, scope))
  return missing === undefined ? undefined : new kitErrors.MissingScope(missing)
}

/**
 * Every route requires a valid internal token in `Authorization: Bearer <token>` (the form the
 * `openai` client sends its apiKey in) unless its config says `public: true`, and the scopes its
 * config lists. Unknown routes answer 404 without one: hiding which paths exist is not worth a
 * confusing 401. The scope check is here, not in a hook of its own: it needs the identity, and
 * it runs before the body is read, so a caller without the scope learns nothing of the schema.
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
    const needed = request.routeOptions.config.scopes
    const known = verifier.known?.(token)
    if (known !== undefined) {
      request.identity = known
      request.internalToken = token
      return done(missingScope(known, needed))
    }
    verifier.verify(token).then(
      (identity) => {
        request.identity = identity
        request.internalToken = token
        done(missingScope(identity, needed))
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
