import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import cors from '@fastify/cors'
import { ConfigError } from '@switchyard/config'
import { createAdminClient, type ServiceName } from '@switchyard/contracts'
import { hasDotSegment, kitErrors, type ServicePlugin } from '@switchyard/kit'
import { createAdminKeyLookup, createAdminMemberLookup } from './auth/admin-lookup.ts'
import { createApiKeyCache } from './auth/api-keys.ts'
import { authorizationOf, createAuthenticator } from './auth/authenticate.ts'
import { createMemberCache } from './auth/members.ts'
import { createOidcVerifier } from './auth/oidc.ts'
import { subscribeKeyRevocations } from './auth/revocations.ts'
import type { GatewayConfig } from './config.ts'
import { clientAddress } from './edge/client-address.ts'
import { securityHeaders } from './edge/security-headers.ts'
import { gatewayErrors } from './errors.ts'
import { createAuthFailureLimit } from './limits/auth-failures.ts'
import { installRateLimits } from './limits/rate-limit.ts'
import { limitBody } from './proxy/body-limit.ts'
import { type ForwardDeps, forward } from './proxy/forward.ts'
import { createTokenMinter } from './proxy/tokens.ts'
import { routeTable } from './routing/route-table.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** On the gateway's table routes: the service that answers (null: not public, 404). */
    upstream?: ServiceName | null
    /** Largest body this route passes on, in bytes, when not GATEWAY_BODY_LIMIT_BYTES (uploads). */
    bodyLimit?: number
  }
}

const methods = ['DELETE', 'GET', 'PATCH', 'POST', 'PUT']
/** The one route whose body may exceed GATEWAY_BODY_LIMIT_BYTES: rag's `POST /v1/files`. */
const uploadPath = '/v1/files'
/** Bodies up to this size are read whole before they are passed on; larger ones stream. */
const wholeBodyMaxBytes = 64 * 1024
const exposedHeaders = [
  'x-request-id',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'retry-after',
  'x-switchyard-deployment',
  'x-switchyard-attempts',
]

/**
 * The public edge. Every route is public to the kit (which would want an internal token): the
 * gateway checks callers itself. Hook order per request: security headers and CORS, then who is
 * calling (before the body is read), then the rate limits, then the route passes the request on
 * with a fresh internal token in place of the caller's credentials.
 */
export const gatewayPlugin: ServicePlugin<GatewayConfig> = async (app, options) => {
  const { config, logger, signer } = options
  if (signer === undefined)
    throw new Error('the gateway needs ctx.signer: its definition sets signsInternalTokens')
  if (config.GATEWAY_OIDC_ISSUER !== undefined && config.GATEWAY_OIDC_AUDIENCE.length === 0) {
    throw new ConfigError([
      { key: 'GATEWAY_OIDC_AUDIENCE', message: 'missing; required because GATEWAY_OIDC_ISSUER is set' },
    ])
  }
  const admin = createAdminClient({ dispatcher: options.dispatcher, origin: options.serviceUrl('admin') })
  // Settled once the revocations below are read as far as they stood at start (see cacheFrom).
  const revocationsRead = Promise.withResolvers<void>()
  const keys = createApiKeyCache({
    lookup: createAdminKeyLookup({ admin, signer, logger }),
    ttlMs: config.GATEWAY_KEY_CACHE_TTL_MS,
    negativeTtlMs: config.GATEWAY_KEY_NEGATIVE_TTL_MS,
    maxEntries: config.GATEWAY_KEY_CACHE_MAX_ENTRIES,
    maxInFlight: config.GATEWAY_KEY_LOOKUPS_IN_FLIGHT,
    now: options.now,
    cacheFrom: revocationsRead.promise,
  })
  const members = createMemberCache({
    lookup: createAdminMemberLookup({ admin, signer, logger }),
    ttlMs: config.GATEWAY_MEMBER_CACHE_TTL_MS,
    negativeTtlMs: config.GATEWAY_MEMBER_NEGATIVE_TTL_MS,
    maxEntries: config.GATEWAY_KEY_CACHE_MAX_ENTRIES,
    maxInFlight: config.GATEWAY_KEY_LOOKUPS_IN_FLIGHT,
    now: options.now,
    cacheFrom: revocationsRead.promise,
  })
  const verifier =
    config.GATEWAY_OIDC_ISSUER === undefined
      ? null
      : createOidcVerifier({
          issuer: config.GATEWAY_OIDC_ISSUER,
          audience: config.GATEWAY_OIDC_AUDIENCE,
          algorithms: config.GATEWAY_OIDC_ALGORITHMS,
          claims: {
            user: config.GATEWAY_OIDC_USER_CLAIM,
            org: config.GATEWAY_OIDC_ORG_CLAIM,
            roles: config.GATEWAY_OIDC_ROLES_CLAIM,
          },
          clockToleranceSeconds: config.GATEWAY_OIDC_CLOCK_TOLERANCE_MS / 1000,
          jwksCooldownMs: config.GATEWAY_OIDC_JWKS_COOLDOWN_MS,
          jwksMaxAgeMs: config.GATEWAY_OIDC_JWKS_MAX_AGE_MS,
          discoveryRetryMs: config.GATEWAY_OIDC_DISCOVERY_RETRY_MS,
        })
  const failures = createAuthFailureLimit({
    windows: options.state.fixedWindows,
    limit: config.GATEWAY_AUTH_FAILURES_PER_IP,
    windowMs: config.GATEWAY_AUTH_FAILURE_WINDOW_MS,
    logger,
  })
  const authenticate = createAuthenticator(keys, verifier && { verifier, members }, failures)
  // Subscribed before the first request: a revocation must never find the gateway not listening.
  const revocations = await subscribeKeyRevocations(
    options.bus,
    { keys, members },
    config.GATEWAY_INSTANCE_ID ?? randomUUID(),
    logger,
  )
  void revocations.caughtUp.then(() => revocationsRead.resolve())
  app.addHook('onClose', () => revocations.close())

  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, public: true }
  })
  const security = securityHeaders({
    // An API answers data, never a page: nothing may load from or frame it.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
  })
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(security)
    // Before credentials are checked or the request passed on: see kit's hasDotSegment.
    if (hasDotSegment(request.url)) throw new gatewayErrors.InvalidPath()
  })
  if (config.GATEWAY_CORS_ORIGINS.length > 0) {
    await app.register(cors, {
      origin: config.GATEWAY_CORS_ORIGINS.includes('*') ? '*' : config.GATEWAY_CORS_ORIGINS,
      methods,
      exposedHeaders,
      maxAge: 600,
    })
  }
  const enforceRateLimits = await installRateLimits(
    app,
    options.state,
    {
      perKey: config.GATEWAY_RATE_LIMIT_PER_KEY,
      perOrg: config.GATEWAY_RATE_LIMIT_PER_ORG,
      windowMs: config.GATEWAY_RATE_LIMIT_WINDOW_MS,
    },
    logger,
  )

  // Bodies are never parsed. A declared length over the limit is refused before anything is read;
  // a small body (most JSON requests) is read whole, so that it leaves in one write with the
  // request head; a larger one streams on as it arrives; a chunked one is cut off past the limit.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (request, payload, done) => {
    const bodyLimit = request.routeOptions.config.bodyLimit ?? config.GATEWAY_BODY_LIMIT_BYTES
    const declared = request.headers['content-length']
    if (declared === undefined) return done(null, limitBody(payload as Readable, bodyLimit))
    const length = Number(declared)
    if (length > bodyLimit) return done(new kitErrors.BodyTooLarge(bodyLimit))
    if (length > wholeBodyMaxBytes) return done(null, payload)
    const chunks: Buffer[] = []
    payload.on('data', (chunk: Buffer) => chunks.push(chunk))
    payload.on('error', (error) => done(error))
    payload.on('end', () => done(null, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)))
  })

  app.addHook('onRequest', async (request, reply) => {
    const upstream = request.routeOptions.config.upstream
    if (upstream === undefined || upstream === null) return
    request.identity = await authenticate(authorizationOf(request.headers), () =>
      clientAddress(request, config.GATEWAY_TRUSTED_PROXY_HOPS),
    )
    await enforceRateLimits(request, reply)
  })

  const deps: ForwardDeps = {
    dispatcher: options.dispatcher,
    mint: createTokenMinter(signer, { reuseMs: config.GATEWAY_TOKEN_REUSE_MS, now: options.now }),
    originOf: options.serviceUrl,
    timeoutMs: config.GATEWAY_UPSTREAM_TIMEOUT_MS,
    operatorOrgs: new Set(config.GATEWAY_OPERATOR_ORGS),
  }
  for (const entry of routeTable) {
    const service = entry.service
    for (const url of entry.subtree ? [entry.path, `${entry.path}/*`] : [entry.path]) {
      app.route({
        method: methods,
        url,
        // Only the upload itself gets the upload limit; everything under /v1/files is JSON.
        config: {
          upstream: service,
          ...(url === uploadPath && { bodyLimit: config.GATEWAY_UPLOAD_LIMIT_BYTES }),
        },
        handler: async (request, reply) => {
          if (service === null) throw new kitErrors.NotFound(request.method, request.url.split('?')[0] ?? '')
          return forward(deps, service, request, reply)
        },
      })
    }
  }
}
