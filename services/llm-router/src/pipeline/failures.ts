import type { ServiceError } from '@switchyard/kit'
import type { ErrorClass } from '../catalog/schema.ts'
import { llmRouterErrors } from '../errors.ts'
import type { DeploymentHealth } from '../routing/health.ts'
import { UpstreamError } from '../upstreams/provider.ts'
import { AttemptTimeout } from './timeouts.ts'

/** One failed attempt, as the retry loop sees it. */
export interface Failure {
  /** The fallback class; null for a failure that is the caller's (answered as is, never retried). */
  errorClass: ErrorClass | null
  /** Worth another attempt on this alias (another deployment, or the same after a backoff). */
  retryable: boolean
  /** Do not try this deployment again within this request (it timed out: trying again waits as long). */
  exclude: boolean
  /** Counts against the deployment's health. */
  unhealthy: boolean
  retryAfterMs: number | undefined
  error: unknown
}

export function classify(error: unknown): Failure {
  const base = { retryAfterMs: undefined, error }
  if (error instanceof AttemptTimeout)
    return { ...base, errorClass: 'timeout', retryable: true, exclude: true, unhealthy: true }
  if (error instanceof UpstreamError) {
    switch (error.kind) {
      case 'rate_limited':
        return {
          ...base,
          errorClass: 'rate_limited',
          retryable: true,
          exclude: false,
          unhealthy: true,
          retryAfterMs: error.retryAfterMs,
        }
      case 'server':
      case 'protocol':
        return {
          ...base,
          errorClass: 'server_error',
          retryable: true,
          exclude: false,
          unhealthy: true,
          retryAfterMs: error.retryAfterMs,
        }
      case 'connect':
        return { ...base, errorClass: 'unavailable', retryable: true, exclude: false, unhealthy: true }
      case 'refused':
        // Its key or model name is wrong: asking it again in this request gets the same answer.
        return { ...base, errorClass: 'server_error', retryable: true, exclude: true, unhealthy: true }
      case 'context_length':
        return {
          ...base,
          errorClass: 'context_length_exceeded',
          retryable: false,
          exclude: false,
          unhealthy: false,
        }
      case 'bad_request':
        return { ...base, errorClass: null, retryable: false, exclude: false, unhealthy: false }
    }
  }
  // Not the upstream's: providers turn every upstream failure into an UpstreamError, so this was
  // raised by the router's own code (a body it could not write, a bug), often before any call.
  // It says nothing of the deployment's health; another deployment (another provider) may serve.
  return { ...base, errorClass: 'server_error', retryable: true, exclude: true, unhealthy: false }
}

/**
 * Classifies the failure of an attempt on deployment `id` and, when it is the upstream's, counts it
 * against the deployment's health: before the first byte (the retry loop) or after (a stream).
 */
export function recordFailure(health: DeploymentHealth, id: string, error: unknown): Failure {
  const failure = classify(error)
  if (failure.unhealthy) {
    health.recordFailure(id, {
      rateLimited: failure.errorClass === 'rate_limited',
      retryAfterMs: failure.retryAfterMs,
    })
  }
  return failure
}

/** The error the caller gets once every attempt and fallback has failed with `last`. */
export function finalError(last: Failure | undefined, retryAfterMs: number | undefined): ServiceError {
  const error = last?.error
  if (last === undefined) return withRetryAfter(new llmRouterErrors.Unavailable(), 1_000)
  if (error instanceof UpstreamError && error.kind === 'bad_request') {
    const e = new llmRouterErrors.UpstreamBadRequest(error.message)
    return e
  }
  // The upstream's message goes to the log (as the cause), never to the caller: it may quote the key.
  if (error instanceof UpstreamError && error.kind === 'refused')
    return new llmRouterErrors.UpstreamRefused({ cause: error })
  switch (last.errorClass) {
    case 'context_length_exceeded': {
      const e = new llmRouterErrors.ContextLengthExceeded((error as Error).message)
      e.param = 'messages'
      return e
    }
    case 'rate_limited':
      return withRetryAfter(new llmRouterErrors.RateLimited(), retryAfterMs ?? last.retryAfterMs ?? 1_000)
    case 'timeout':
      return new llmRouterErrors.UpstreamTimeout()
    case 'unavailable':
      return withRetryAfter(new llmRouterErrors.Unavailable(), 1_000)
    default:
      return new llmRouterErrors.UpstreamError()
  }
}

function withRetryAfter(error: ServiceError, ms: number): ServiceError {
  error.headers = { ...error.headers, 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) }
  return error
}
