import type { ErrorBody } from '@switchyard/contracts'
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaValidationError,
} from 'fastify'
import { failOpenStream } from '../streaming/event-stream.ts'
import { errorTypeForStatus, isServiceError, kitErrors } from './errors.ts'

/** A response in the OpenAI error shape, ready to send. */
export interface ErrorResponse {
  statusCode: number
  body: ErrorBody
  headers: Record<string, string>
}

/** Messages for 5xx: the real cause goes to the log, never to the caller. */
const genericServerMessage = 'The server had an error while processing your request.'
const genericUnavailableMessage = 'The server is temporarily unavailable; retry later.'
const internalCode = new kitErrors.Internal().code

/**
 * Maps any thrown value to the status, body and headers the caller sees. 5xx answers keep the
 * code only when it is a declared service error (a system error's `code`, e.g. ECONNREFUSED,
 * says something about our internals) and never carry the error's own message.
 */
export function toErrorResponse(error: unknown, bodyLimit: number): ErrorResponse {
  const known = normalize(error, bodyLimit)
  const statusCode = known.statusCode
  if (statusCode >= 500) {
    return {
      statusCode,
      headers: known.headers ?? {},
      body: {
        error: {
          type: 'server_error',
          message: statusCode === 503 ? genericUnavailableMessage : genericServerMessage,
          code: isServiceError(known) ? known.code : internalCode,
        },
      },
    }
  }
  const body: ErrorBody = {
    error: {
      type: isServiceError(known) ? known.type : errorTypeForStatus(statusCode),
      message: known.message,
      code: typeof known.code === 'string' ? known.code : null,
    },
  }
  if (known.param !== undefined) body.error.param = known.param
  return { statusCode, body, headers: known.headers ?? {} }
}

interface Normalized {
  statusCode: number
  message: string
  code?: unknown
  param?: string | null
  headers?: Record<string, string>
}

/** Fastify's own 4xx errors become kit errors with stable codes; anything without a status is a 500. */
function normalize(error: unknown, bodyLimit: number): Normalized {
  if (isServiceError(error)) return error
  if (typeof error !== 'object' || error === null) return { statusCode: 500, message: String(error) }
  const err = error as Partial<FastifyError> & { headers?: Record<string, string>; param?: string | null }
  if (Array.isArray(err.validation))
    return validationError(err.validation, err.validationContext ?? 'request')
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new kitErrors.InvalidJson()
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new kitErrors.BodyTooLarge(bodyLimit)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new kitErrors.UnsupportedMediaType(
        err.message?.replace(/^Unsupported Media Type:?\s*/i, '') ?? '',
      )
  }
  // `statusCode` or `status` (http-errors style); a 4xx from anywhere keeps its message.
  const status = Number(err.statusCode ?? (err as { status?: unknown }).status)
  const statusCode = Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500
  return {
    statusCode,
    message: err.message ?? '',
    code: err.code,
    param: err.param,
    headers: err.headers,
  }
}

/** Turns schema errors into one message that names the field, and the field as OpenAI's `param`. */
function validationError(errors: FastifySchemaValidationError[], context: string) {
  const first = errors[0]
  if (first === undefined) return new kitErrors.Validation(`Invalid request ${context}`)
  let path = jsonPointerToPath(first.instancePath)
  let problem = first.message ?? 'is invalid'
  const params = first.params as Record<string, unknown>
  if (first.keyword === 'required') {
    // ajv names one missing property, TypeBox lists them.
    const missing = params.missingProperty ?? (params.requiredProperties as unknown[] | undefined)?.[0]
    if (typeof missing === 'string') path = path ? `${path}.${missing}` : missing
    problem = 'is required'
  } else if (first.keyword === 'const' || first.keyword === 'enum' || first.keyword === 'anyOf') {
    // A union of literals reports each branch; one "must be one of" reads better.
    const allowed = errors
      .filter((e) => e.instancePath === first.instancePath)
      .flatMap((e) => {
        const p = e.params as Record<string, unknown>
        return e.keyword === 'const'
          ? [p.allowedValue]
          : e.keyword === 'enum'
            ? ((p.allowedValues as unknown[]) ?? [])
            : []
      })
    if (allowed.length > 0) problem = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`
  }
  const subject = path ? `'${path}'` : `the ${context}`
  const error = new kitErrors.Validation(`Invalid ${context}: ${subject} ${problem}`)
  error.param = path || null
  return error
}

/** `/messages/0/role` -> `messages[0].role` */
function jsonPointerToPath(pointer: string): string {
  let path = ''
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    path += /^\d+$/.test(segment) ? `[${segment}]` : path ? `.${segment}` : segment
  }
  return path
}

/**
 * The one error handler and the 404 handler, set on the root so every encapsulated service plugin
 * inherits them (unless it sets its own).
 */
export function installErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler(function kitErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply) {
    const response = toErrorResponse(error, bodyLimit)
    logError(request, error, response)
    // A stream already answered 200: its client learns of the error in-band, as a last event.
    if (failOpenStream(request, response.body)) return
    if (reply.raw.headersSent) {
      reply.raw.destroy()
      return
    }
    reply
      .code(response.statusCode)
      .headers(response.headers)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(response.body))
  })

  app.setNotFoundHandler(function kitNotFound(request) {
    throw new kitErrors.NotFound(request.method, request.url.split('?')[0] ?? request.url)
  })
}

function logError(request: FastifyRequest, error: unknown, response: ErrorResponse): void {
  if (response.statusCode >= 500) {
    request.log.error({ err: error, code: response.body.error.code }, 'request failed')
  } else {
    request.log.info(
      {
        code: response.body.error.code,
        statusCode: response.statusCode,
        message: response.body.error.message,
      },
      'request rejected',
    )
  }
}
