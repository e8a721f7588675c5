// The service chassis: everything a service needs from its HTTP server.
export { type ErrorResponse, toErrorResponse } from './errors/error-handler.ts'
export {
  createServiceError,
  errorTypeForStatus,
  isServiceError,
  kitErrors,
  type OpenAIErrorType,
  type ServiceError,
  type ServiceErrorConstructor,
} from './errors/errors.ts'
export { grantsScope } from './identity/authenticate.ts'
export {
  createInternalTokenSigner,
  createInternalTokenVerifier,
  generateInternalKeyPair,
  type InternalKeyPair,
  type InternalTokenSigner,
  type InternalTokenSignerOptions,
  type InternalTokenVerifier,
  type InternalTokenVerifierOptions,
  workerTokenIssuer,
  workerTokenScopes,
} from './identity/internal-token.ts'
export type { CheckResult, ReadinessCheck, ReadinessReport } from './observability/health.ts'
export { type MetricsAccess, serveMetrics } from './observability/metrics.ts'
export { registerService } from './register-service.ts'
export { type CreateServerOptions, createServer, type KitServer } from './server/create-server.ts'
export { hasDotSegment } from './server/dot-segments.ts'
export { requestIdHeader } from './server/request-id.ts'
export {
  type Backend,
  defineService,
  type ServiceContext,
  type ServiceDefinition,
  type ServicePlugin,
  type SqlClient,
  type SqlPool,
  type SqlQueryable,
} from './service-definition.ts'
export { type GracefulShutdownOptions, installGracefulShutdown } from './shutdown/graceful-shutdown.ts'
export { transaction } from './sql/transaction.ts'
export {
  type EventStream,
  type EventStreamOptions,
  openEventStream,
  type ServerSentEvent,
  type StreamStopReason,
} from './streaming/event-stream.ts'
