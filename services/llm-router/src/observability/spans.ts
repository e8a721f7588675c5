import { type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'

const tracer = trace.getTracer('@switchyard/llm-router')

/** The request parameters a span records, when the request has them (chat does, embeddings not). */
export interface SpanRequest {
  max_tokens?: number | null
  max_completion_tokens?: number | null
  temperature?: number | null
  top_p?: number | null
}

/**
 * A GenAI client span (`chat <alias>`, `embeddings <alias>`) per request. Without a tracing SDK the
 * API hands out a non-recording span: nothing below allocates attributes then.
 */
export function startLlmSpan(operation: 'chat' | 'embeddings', alias: string, request: SpanRequest): Span {
  const span = tracer.startSpan(`${operation} ${alias}`, { kind: SpanKind.CLIENT })
  if (!span.isRecording()) return span
  span.setAttribute('gen_ai.operation.name', operation)
  span.setAttribute('gen_ai.request.model', alias)
  const maxTokens = request.max_completion_tokens ?? request.max_tokens
  if (maxTokens != null) span.setAttribute('gen_ai.request.max_tokens', maxTokens)
  if (request.temperature != null) span.setAttribute('gen_ai.request.temperature', request.temperature)
  if (request.top_p != null) span.setAttribute('gen_ai.request.top_p', request.top_p)
  return span
}

export interface SpanOutcome {
  provider: string | undefined
  deployment: string | undefined
  responseModel: string | undefined
  inputTokens: number
  outputTokens: number
  attempts: number
  errorCode: string | null
  status: 'ok' | 'error' | 'cancelled'
}

export function endLlmSpan(span: Span, outcome: SpanOutcome): void {
  if (span.isRecording()) {
    if (outcome.provider !== undefined) span.setAttribute('gen_ai.system', outcome.provider)
    if (outcome.responseModel !== undefined) span.setAttribute('gen_ai.response.model', outcome.responseModel)
    if (outcome.deployment !== undefined) span.setAttribute('switchyard.deployment', outcome.deployment)
    span.setAttribute('gen_ai.usage.input_tokens', outcome.inputTokens)
    span.setAttribute('gen_ai.usage.output_tokens', outcome.outputTokens)
    span.setAttribute('switchyard.attempts', outcome.attempts)
    if (outcome.errorCode !== null) {
      span.setAttribute('error.type', outcome.errorCode)
      span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.errorCode })
    }
  }
  span.end()
}
