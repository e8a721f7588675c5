import createError from '@fastify/error'
import { kitErrorCodes } from '@switchyard/contracts'

/** The OpenAI error types a response may carry in `error.type`. */
export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'

/** What every kit and service error carries besides `code`, `message` and `statusCode`. */
export interface ServiceError extends Error {
  code: string
  statusCode: number
  /** OpenAI error type; derived from the status when the error was declared without one. */
  type: OpenAIErrorType
  /** The request field at fault (OpenAI `param`), e.g. `messages[0].role`. */
  param?: string | null
  /** Extra response headers, e.g. `{ 'retry-after': '3' }` on a 429. */
  headers?: Record<string, string>
}

export interface ServiceErrorConstructor<
  C extends string = string,
  Args extends unknown[] = [unknown?, unknown?, unknown?],
> {
  new (...args: Args): ServiceError & { code: C }
  (...args: Args): ServiceError & { code: C }
  readonly prototype: ServiceError & { code: C }
}

const kServiceError = Symbol.for('switchyard.kit.service-error')

/** The OpenAI type a status answers with when an error does not name one. */
export function errorTypeForStatus(statusCode: number): OpenAIErrorType {
  if (statusCode >= 500) return 'server_error'
  if (statusCode === 401) return 'authentication_error'
  if (statusCode === 403) return 'permission_error'
  if (statusCode === 429) return 'rate_limit_error'
  return 'invalid_request_error'
}

/**
 * Declares an error with a stable code and status, as `@fastify/error` does (`%s` placeholders are
 * filled from the constructor's arguments; a trailing `{ cause }` becomes the cause). Services name
 * theirs `<SERVICE>_ERR_<WHAT>`:
 *
 *     export const ConversationNotFound = createServiceError('CHAT_ERR_CONVERSATION_NOT_FOUND', 'Conversation %s not found', 404)
 *     throw new ConversationNotFound(id)
 *     throw Object.assign(new BudgetExceeded(), { headers: { 'retry-after': '60' } })
 */
export function createServiceError<C extends string, Args extends unknown[] = [unknown?, unknown?, unknown?]>(
  code: C,
  message: string,
  statusCode: number,
  options: { type?: OpenAIErrorType } = {},
): ServiceErrorConstructor<C, Args> {
  if (!/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*_ERR_[A-Z0-9_]+$/.test(code)) {
    throw new TypeError(`error code ${code} does not follow <SERVICE>_ERR_<WHAT>`)
  }
  if (!Number.isInteger(statusCode) || statusCode < 400 || statusCode > 599) {
    throw new RangeError(`error ${code} needs a 4xx or 5xx status, got ${statusCode}`)
  }
  const Ctor = createError(code, message, statusCode)
  // Shared by every instance through the prototype, so `new Ctor()` stays @fastify/error's own.
  Object.defineProperties(Ctor.prototype, {
    type: { value: options.type ?? errorTypeForStatus(statusCode), writable: true, enumerable: false },
    [kServiceError]: { value: true, enumerable: false },
  })
  return Ctor as unknown as ServiceErrorConstructor<C, Args>
}

/** True for errors declared with createServiceError (their code is safe to show even on a 5xx). */
export function isServiceError(error: unknown): error is ServiceError {
  return (
    typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[kServiceError] === true
  )
}

/** The kit's own errors; services declare theirs with createServiceError. */
export const kitErrors = {
  Validation: createServiceError<typeof kitErrorCodes.Validation, [string]>(
    kitErrorCodes.Validation,
    '%s',
    400,
  ),
  InvalidJson: createServiceError(kitErrorCodes.InvalidJson, 'The request body is not valid JSON', 400),
  /** The body nests arrays and objects deeper than the server's maxJsonDepth; `param` is the top-level field. */
  NestingTooDeep: createServiceError<typeof kitErrorCodes.NestingTooDeep, [number, string]>(
    kitErrorCodes.NestingTooDeep,
    'The request body nests arrays and objects deeper than %s levels (in `%s`).',
    400,
  ),
  Unauthenticated: createServiceError<typeof kitErrorCodes.Unauthenticated, [string, { cause: unknown }?]>(
    kitErrorCodes.Unauthenticated,
    '%s',
    401,
  ),
  MissingScope: createServiceError<typeof kitErrorCodes.MissingScope, [string]>(
    kitErrorCodes.MissingScope,
    'This needs the scope %s, which these credentials lack',
    403,
  ),
  NotFound: createServiceError<typeof kitErrorCodes.NotFound, [string, string]>(
    kitErrorCodes.NotFound,
    'Invalid URL (%s %s)',
    404,
  ),
  BodyTooLarge: createServiceError<typeof kitErrorCodes.BodyTooLarge, [number]>(
    kitErrorCodes.BodyTooLarge,
    'The request body is larger than the limit of %d bytes',
    413,
  ),
  UnsupportedMediaType: createServiceError<typeof kitErrorCodes.UnsupportedMediaType, [string]>(
    kitErrorCodes.UnsupportedMediaType,
    'Unsupported content type: %s',
    415,
  ),
  Internal: createServiceError(kitErrorCodes.Internal, 'Internal error', 500),
  ShuttingDown: createServiceError(kitErrorCodes.ShuttingDown, 'The server is shutting down', 503),
}
