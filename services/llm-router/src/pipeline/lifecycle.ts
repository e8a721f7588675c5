// One LLM request from its route to its report, in one function. The route says what kind of
// request it is (an `LlmKind`: how to read the body and call an upstream); `handleLlmRequest`
// does the rest in this order: the alias (404), admission, the retry loop (execute.ts), the
// answer (whole, or the stream writer in stream.ts), the failure if any, and, once the response is
// over, the report: token counts, cost, metrics, the span, the admission settle and the usage
// event, batched off the request path (fast-path/reporter.ts).
import { llmUsageV1 } from '@switchyard/contracts'
import { isServiceError } from '@switchyard/kit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { llmRouterErrors } from '../errors.ts'
import { endLlmSpan, type SpanRequest, startLlmSpan } from '../observability/spans.ts'
import type { DeploymentState } from '../routing/router.ts'
import { estimateTokens, type Prompt, type TokenSource, usageOf } from '../usage/tokens.ts'
import type { AdmissionTicket } from './admission.ts'
import { type Attempt, Caller } from './attempt.ts'
import { execute } from './execute.ts'
import {
  attemptsHeader,
  deploymentHeader,
  type LlmOperation,
  type LlmRequest,
  type PipelineDeps,
  type RequestOutcome,
  type RequestStatus,
} from './request.ts'
import { type OpenedStream, writeStream } from './stream.ts'
import { ClientGone } from './timeouts.ts'

/** A non-streamed answer: the body as sent to the caller, and where its tokens come from. */
export interface WholeAnswer extends TokenSource {
  readonly body: string
}

/** What every request body has: the alias, and the parameters the span records if it has them. */
export type LlmBody = { model: string } & SpanRequest

/** What one route's requests are: how to read their body and how to call an upstream for them. */
export interface LlmKind<Body extends LlmBody> {
  readonly operation: LlmOperation
  /** Whether the caller asked for a stream (SSE). */
  stream(body: Body): boolean
  prompt(body: Body): Prompt
  /** Completion tokens the caller allows per choice, null if unbounded (for admission). */
  maxTokens(body: Body): number | null
  /** Completions asked for (`n`); absent: one. */
  choices?(body: Body): number
  /**
   * One upstream call on the attempt's deployment (through `attempt.guard`): a whole answer, or a
   * stream opened up to its first event. Throws an UpstreamError when the deployment cannot serve.
   */
  call(attempt: Attempt, body: Body, alias: string): Promise<WholeAnswer | OpenedStream>
}

/**
 * Answers one request of `kind`. The response's `close` (once the last byte is out, or when the
 * client cut the connection first: then the upstream call is aborted) and the end of this function
 * both have to happen before the request is reported: the report reads the outcome they settle.
 */
export async function handleLlmRequest<Body extends LlmBody>(
  deps: PipelineDeps,
  kind: LlmKind<Body>,
  request: FastifyRequest & { body: Body },
  reply: FastifyReply,
): Promise<FastifyReply> {
  const body = request.body
  const aliasState = deps.router.alias(body.model)
  if (aliasState === undefined) {
    const error = new llmRouterErrors.ModelNotFound(body.model)
    error.param = 'model'
    throw error
  }
  const llm: LlmRequest = {
    requestId: request.id,
    identity: request.identity,
    alias: body.model,
    operation: kind.operation,
    stream: kind.stream(body),
    startedAt: Date.now(),
    prompt: kind.prompt(body),
  }
  const span = startLlmSpan(kind.operation, llm.alias, body)
  const caller = new Caller()
  // The outcome, written only here; read by the report once the response is over.
  let status: RequestStatus | undefined
  let errorCode: string | null = null
  let attempts = 0
  let deployment: DeploymentState | undefined
  let ttftMs: number | null = null
  let answer: TokenSource | undefined
  let ticket: AdmissionTicket | undefined
  let durationMs: number | undefined
  let handled = false
  const report = () => {
    const outcome: RequestOutcome = {
      status: status ?? 'cancelled',
      errorCode: status === undefined ? 'LLM_ROUTER_ERR_CLIENT_CLOSED' : errorCode,
      attempts,
      deployment,
      ttftMs,
      answer,
      ticket,
      span,
      durationMs: durationMs ?? 0,
    }
    deps.reporter.add(() => reportRequest(deps, llm, outcome))
  }
  const raw = reply.raw
  // 'close' fires once per response: `on` spares the wrapper `once` makes. A response this side
  // ended is not a caller that left: writableFinished would also wait for the socket to flush,
  // which an in-process call (inject's socket is never flushed) never does.
  raw.on('close', () => {
    if (!raw.writableEnded) caller.leave()
    durationMs = reply.elapsedTime
    if (handled) report()
  })
  try {
    const admitted = deps.admission.admit({
      identity: llm.identity,
      alias: llm.alias,
      operation: llm.operation,
      promptTokens: estimateTokens(llm.prompt),
      maxTokens: kind.maxTokens(body),
      choices: kind.choices?.(body) ?? 1,
      pricing: aliasState.alias.maxPricing,
    })
    // Awaited only when admission has to wait (a Redis round trip).
    ticket = admitted instanceof Promise ? await admitted : admitted
    const executed = await execute(deps, llm, caller, aliasState, (attempt) =>
      kind.call(attempt, body, llm.alias),
    )
    attempts = executed.attempts
    if (!executed.ok) {
      deployment = executed.deployment
      throw executed.error
    }
    const { value, attempt } = executed
    deployment = attempt.state
    if ('iterator' in value) {
      answer = value.upstream
      const streamed = await writeStream(deps, llm, caller, reply, attempt, value, attempts)
      ttftMs = streamed.ttftMs
      status = streamed.status
      errorCode = streamed.errorCode
      return reply
    }
    attempt.answered()
    attempt.end()
    answer = value
    status = 'ok'
    return reply
      .header(deploymentHeader, attempt.state.deployment.id)
      .header(attemptsHeader, String(attempts))
      .type('application/json; charset=utf-8')
      .send(value.body)
  } catch (error) {
    if (error instanceof ClientGone) {
      // The client left: it gets nothing (hijacked, so Fastify writes no error to a closed socket).
      status = 'cancelled'
      errorCode = 'LLM_ROUTER_ERR_CLIENT_CLOSED'
      reply.hijack()
      return reply
    }
    status = 'error'
    errorCode = isServiceError(error) ? error.code : 'LLM_ROUTER_ERR_INTERNAL'
    if (isServiceError(error) && attempts > 0) {
      error.headers = { ...error.headers, [attemptsHeader]: String(attempts) }
      if (deployment !== undefined) error.headers[deploymentHeader] = deployment.deployment.id
    }
    throw error
  } finally {
    handled = true
    if (durationMs !== undefined) report()
  }
}

/**
 * Synchronous up to the publish when the upstream reported usage (the common case): the reporter
 * times its slices around that part. Counting with the tokenizer is the exception.
 */
function reportRequest(deps: PipelineDeps, llm: LlmRequest, outcome: RequestOutcome): Promise<void> {
  if (outcome.answer === undefined) return account(deps, llm, outcome, 0, 0)
  const usage = usageOf(llm.prompt, outcome.answer)
  if (!(usage instanceof Promise))
    return account(deps, llm, outcome, usage.prompt_tokens, usage.completion_tokens)
  return usage.then((counted) =>
    account(deps, llm, outcome, counted.prompt_tokens, counted.completion_tokens),
  )
}

function account(
  deps: PipelineDeps,
  llm: LlmRequest,
  outcome: RequestOutcome,
  input: number,
  output: number,
): Promise<void> {
  const { status, errorCode, attempts, ttftMs, durationMs } = outcome
  const deployment = outcome.deployment?.deployment
  const pricing = deployment?.pricing
  const costUsd =
    pricing === undefined
      ? 0
      : (input * pricing.inputPerMillion + output * pricing.outputPerMillion) / 1_000_000
  if (outcome.ticket !== undefined) {
    if (outcome.answer !== undefined) outcome.ticket.settle(costUsd, { input, output })
    else outcome.ticket.release()
  }
  deps.metrics.recordRequest(
    {
      model: llm.alias,
      deployment: deployment?.id ?? 'none',
      provider: deployment?.provider ?? 'none',
      org: llm.identity.orgId,
    },
    {
      durationSeconds: durationMs / 1000,
      ttftSeconds: ttftMs === null ? null : ttftMs / 1000,
      inputTokens: input,
      outputTokens: output,
      costUsd,
      errorCode,
    },
  )
  endLlmSpan(outcome.span, {
    provider: deployment?.provider,
    deployment: deployment?.id,
    responseModel: deployment?.model,
    inputTokens: input,
    outputTokens: output,
    attempts,
    errorCode,
    status,
  })
  // A request that never reached an upstream (unknown model, refused by admission, nothing
  // available) consumed nothing: it has no usage event (the event names a deployment).
  if (deployment === undefined || attempts === 0) return Promise.resolve()
  const published = deps.bus.publish(llmUsageV1, llm.identity.orgId, {
    requestId: llm.requestId,
    orgId: llm.identity.orgId,
    userId: llm.identity.userId,
    keyId: llm.identity.keyId,
    alias: llm.alias,
    deployment: deployment.id,
    provider: deployment.provider,
    inputTokens: input,
    outputTokens: output,
    costUsd,
    latencyMs: Math.max(0, durationMs),
    ttftMs,
    status,
    errorCode: status === 'ok' ? null : errorCode,
    attempts,
    stream: llm.stream,
    startedAt: new Date(llm.startedAt).toISOString(),
  })
  return published.then(() => undefined)
}
