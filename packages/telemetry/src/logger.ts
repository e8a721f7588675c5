import { hostname } from 'node:os'
import { isSpanContextValid, trace } from '@opentelemetry/api'
import { type DestinationStream, type LevelWithSilentOrString, type Logger, pino } from 'pino'
import pretty from 'pino-pretty'

/** Fields never written to a log line: credentials in headers and any `apiKey` one or two levels deep. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'apiKey',
  '*.apiKey',
]

export interface LoggerOptions {
  /** The service (or `switchyard` for the whole process); every line carries it as `service`. */
  name: string
  /** Default `info`. */
  level?: LevelWithSilentOrString
  /** Human-readable colored lines (pino-pretty) instead of JSON, for a terminal. */
  pretty?: boolean
  /** Where lines go; default stdout. */
  destination?: DestinationStream
}

/** The ids of the active span, so a log line can be found from its trace and the other way round. */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan()
  if (!span) return {}
  const ctx = span.spanContext()
  if (!isSpanContextValid(ctx)) return {}
  return { trace_id: ctx.traceId, span_id: ctx.spanId }
}

/**
 * A pino logger: JSON lines with `level` as a label, an ISO `time`, `service`, and `trace_id`/`span_id`
 * when an OpenTelemetry span is active. Pass it to Fastify as `loggerInstance`.
 */
export function createLogger(options: LoggerOptions): Logger {
  const { name, level = 'info', destination } = options
  const logger = pino(
    {
      level,
      base: { service: name, pid: process.pid, hostname: hostname() },
      mixin: traceFields,
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.pretty
      ? pretty({ destination: destination ?? 1, sync: true })
      : (destination ?? pino.destination(1)),
  )
  return logger
}
