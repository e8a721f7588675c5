import type { IncomingMessage, ServerResponse } from 'node:http'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { ServiceName } from '@switchyard/contracts'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import { installErrorHandling } from '../errors/error-handler.ts'
import { installAuthentication } from '../identity/authenticate.ts'
import type { InternalTokenVerifier } from '../identity/internal-token.ts'
import { installDocs } from '../observability/docs.ts'
import { type ReadinessCheck, registerHealthRoutes } from '../observability/health.ts'
import { installMetrics, type MetricsAccess } from '../observability/metrics.ts'
import { installShutdownDrain } from '../shutdown/graceful-shutdown.ts'
import { installStreamTracker } from '../streaming/event-stream.ts'
import { installRequestIdEcho, requestIdFrom } from './request-id.ts'
import { lazyRequestLogger } from './request-logger.ts'
import { createValidatorCompiler } from './validator-compiler.ts'

/** The Fastify instance every service plugin is registered on: TypeBox schemas type its routes. */
export type KitServer = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

export interface CreateServerOptions {
  /** A service name, or 'switchyard' for the one-process shape; titles the docs, tags the logs. */
  name: ServiceName | 'switchyard'
  logger: Logger
  /** Served at GET /metrics; the kit adds `http_request_duration_seconds` to it. */
  metrics: Registry
  /** Who may read GET /metrics. Default 'public'; the runtime passes what its config says. */
  metricsAccess?: MetricsAccess
  /** Serve the OpenAPI document and UI at /docs. Default true. */
  docs?: boolean
  /** Checks the internal token on every non-public route. */
  identity: InternalTokenVerifier
  /**
   * Run in parallel by GET /readyz, e.g. `{ postgres: () => pool.query('select 1').then(() => true) }`.
   * Read at each run: a check added to this object later (a service's own) runs from then on.
   */
  readiness?: Record<string, ReadinessCheck>
  /** Per readiness check, in milliseconds. Default 2 000. */
  readinessTimeoutMs?: number
  /** How long one readiness report answers every caller, in milliseconds. Default 1 000. */
  readinessCacheMs?: number
  /** The clock of the readiness cache, for tests. Default Date.now. */
  now?: () => number
  /** Largest accepted request body, in bytes. Default 1 MiB. */
  bodyLimit?: number
  /** Deepest nesting of arrays and objects in a JSON body (the body is level 1). Default 64. */
  maxJsonDepth?: number
  /** How long `app.close()` lets open streams and requests finish before destroying them, in ms. Default 10 000. */
  shutdownGraceMs?: number
  /** OpenAPI document version. Default '0.1.0'. */
  version?: string
}

/**
 * A Fastify server with what every service needs; service plugins are added with registerService.
 * The hooks are installed on the root before any route, so every route and every encapsulated
 * service plugin inherits them; their order is the order requests meet them.
 */
export async function createServer(options: CreateServerOptions): Promise<KitServer> {
  const bodyLimit = options.bodyLimit ?? 1_048_576
  const logger =
    options.logger.bindings().service === undefined
      ? options.logger.child({ service: options.name })
      : options.logger
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit,
    genReqId: requestIdFrom,
    childLoggerFactory: lazyRequestLogger,
    requestIdHeader: false,
    // Requests arriving while closing get the kit's 503 in the error shape, not Fastify's own body.
    return503OnClosing: false,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as KitServer
  app.setValidatorCompiler(createValidatorCompiler(options.maxJsonDepth ?? 64))

  installRequestIdEcho(app)
  installErrorHandling(app, bodyLimit)
  const streams = installStreamTracker(app)
  installShutdownDrain(app, streams, options.shutdownGraceMs ?? 10_000)
  installAuthentication(app, options.identity)
  installMetrics(app, options.metrics, options.metricsAccess)
  if (options.docs ?? true) await installDocs(app, `Switchyard ${options.name}`, options.version ?? '0.1.0')
  registerHealthRoutes(app, options.readiness ?? {}, {
    timeoutMs: options.readinessTimeoutMs ?? 2_000,
    cacheMs: options.readinessCacheMs ?? 1_000,
    ...(options.now !== undefined && { now: options.now }),
  })
  return app
}
