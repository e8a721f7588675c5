// One LLM request from admission to its usage event. The route handler fills it in; `end()` runs
// once, when the response is over (sent, failed or cut by the client), and everything after that
// (token counting, metrics, the usage event, the admission settle, the span) runs off the request
// path, batched a few milliseconds later (reporter.ts).

import type { Span } from '@opentelemetry/api'
import type { ChatMessage, Identity, Usage } from '@switchyard/contracts'
import { llmUsageV1 } from '@switchyard/contracts'
import type { EventBus } from '@switchyard/events'
import type { LlmMetrics } from '@switchyard/telemetry'
import type { Logger } from 'pino'
import { endLlmSpan } from '../observability/spans.ts'
import type { DeploymentState } from '../routing/deployment-state.ts'
import type { ModelRouter } from '../routing/router.ts'
import { promptText, tokenCounter } from '../usage/tokens.ts'
import type { Admission, AdmissionTicket } from './admission.ts'
import type { Attempt } from './attempt.ts'
import type { Reporter } from './reporter.ts'
import { ClientGone } from './timeouts.ts'

/** What the request pipeline needs from the plugin. */
export interface PipelineDeps {
  router: ModelRouter
  admission: Admission
  metrics: LlmMetrics
  bus: EventBus
  logger: Logger
  /** Runs each request's report after its response, batched. */
  reporter: Reporter
}

/** Where the tokens of an answer come from: the upstream's usage, else counted text. */
export interface TokenSource {
  /** Reported counts, or null. */
  usage(): Usage | null
  /** What was generated (counted when usage() is null). */
  completionText(): string
}

export type RequestStatus = 'ok' | 'error' | 'cancelled'

export class LlmRequest {
  readonly requestId: string
  readonly identity: Identity
  readonly alias: string
  readonly operation: 'chat' | 'embeddings'
  readonly stream: boolean
  /** Epoch ms. */
  readonly startedAt = Date.now()
  /** The attempt in progress: aborted directly when the client leaves. */
  attempt: Attempt | undefined
  #goneReason: ClientGone | undefined
  /** Made on first use (waits and backpressure only), aborted when the client leaves. */
  #controller: AbortController | undefined
  attempts = 0
  /** The deployment of the latest attempt. */
  deployment: DeploymentState | undefined
  /** From request received to first token sent, ms (streams). */
  ttftMs: number | null = null
  status: RequestStatus | undefined
  errorCode: string | null = null
  /** Set once an upstream answered (in full or in part): its tokens are counted and billed. */
  tokens: TokenSource | undefined
  /** Prompt messages, counted when the upstream reports no usage. */
  messages: readonly ChatMessage[] | undefined
  /** Prompt text of an embeddings request, and token ids given as such. */
  embeddingInput: { text: string; tokenIds: number } | undefined
  ticket: AdmissionTicket | undefined
  span: Span | undefined
  #ended = false

  constructor(init: {
    requestId: string
    identity: Identity
    alias: string
    operation: 'chat' | 'embeddings'
    stream: boolean
  }) {
    this.requestId = init.requestId
    this.identity = init.identity
    this.alias = init.alias
    this.operation = init.operation
    this.stream = init.stream
  }

  /** The client went away: abort the attempt in progress and every wait. */
  clientGone(): void {
    if (this.#goneReason !== undefined) return
    this.#goneReason = new ClientGone()
    this.#controller?.abort(this.#goneReason)
    this.attempt?.abort(this.#goneReason)
  }

  get gone(): boolean {
    return this.#goneReason !== undefined
  }

  get goneReason(): ClientGone | undefined {
    return this.#goneReason
  }

  /** Aborts when the client leaves; for waits that are not an upstream call. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController()
      if (this.#goneReason !== undefined) this.#controller.abort(this.#goneReason)
    }
    return this.#controller.signal
  }

  succeed(): void {
    this.status ??= 'ok'
  }

  fail(code: string): void {
    if (this.status !== undefined) return
    this.status = 'error'
    this.errorCode = code
  }

  /** The response is over after `durationMs`; reports it once, with the next batch. */
  end(deps: PipelineDeps, durationMs: number): void {
    if (this.#ended) return
    this.#ended = true
    if (this.status === undefined) {
      this.status = 'cancelled'
      this.errorCode = 'LLM_ROUTER_ERR_CLIENT_CLOSED'
    }
    deps.reporter.add(() => this.#report(deps, durationMs))
  }

  /**
   * Synchronous up to the publish when the upstream reported usage (the common case): the
   * reporter times its slices around that part. Counting with the tokenizer is the exception.
   */
  #report(deps: PipelineDeps, durationMs: number): Promise<void> {
    const reported = this.#reportedTokens()
    if (reported !== undefined) return this.#account(deps, durationMs, reported)
    return this.#countTokens().then((counted) => this.#account(deps, durationMs, counted))
  }

  #account(deps: PipelineDeps, durationMs: number, tokens: { input: number; output: number }): Promise<void> {
    const { input, output } = tokens
    const deployment = this.deployment?.deployment
    const pricing = deployment?.pricing
    const costUsd =
      pricing === undefined
        ? 0
        : (input * pricing.inputPerMillion + output * pricing.outputPerMillion) / 1_000_000
    if (this.ticket !== undefined) {
      if (this.tokens !== undefined) this.ticket.settle(costUsd, { input, output })
      else this.ticket.release()
    }
    deps.metrics.recordRequest(
      {
        model: this.alias,
        deployment: deployment?.id ?? 'none',
        provider: deployment?.provider ?? 'none',
        org: this.identity.orgId,
      },
      {
        durationSeconds: durationMs / 1000,
        ttftSeconds: this.ttftMs === null ? null : this.ttftMs / 1000,
        inputTokens: input,
        outputTokens: output,
        costUsd,
        errorCode: this.errorCode,
      },
    )
    if (this.span !== undefined) {
      endLlmSpan(this.span, {
        provider: deployment?.provider,
        deployment: deployment?.id,
        responseModel: deployment?.model,
        inputTokens: input,
        outputTokens: output,
        attempts: this.attempts,
        errorCode: this.errorCode,
        status: this.status ?? 'cancelled',
      })
    }
    // A request that never reached an upstream (unknown model, refused by admission, nothing
    // available) consumed nothing: it has no usage event (the event names a deployment).
    if (deployment === undefined || this.attempts === 0) return Promise.resolve()
    const published = deps.bus.publish(llmUsageV1, this.identity.orgId, {
      requestId: this.requestId,
      orgId: this.identity.orgId,
      userId: this.identity.userId,
      keyId: this.identity.keyId,
      alias: this.alias,
      deployment: deployment.id,
      provider: deployment.provider,
      inputTokens: input,
      outputTokens: output,
      costUsd,
      latencyMs: Math.max(0, durationMs),
      ttftMs: this.ttftMs,
      status: this.status ?? 'cancelled',
      errorCode: this.status === 'ok' ? null : this.errorCode,
      attempts: this.attempts,
      stream: this.stream,
      startedAt: new Date(this.startedAt).toISOString(),
    })
    return published.then(() => undefined)
  }

  /** The counts without the tokenizer: none consumed, or the upstream's usage; undefined otherwise. */
  #reportedTokens(): { input: number; output: number } | undefined {
    const source = this.tokens
    if (source === undefined) return { input: 0, output: 0 }
    const usage = source.usage()
    return usage === null ? undefined : { input: usage.prompt_tokens, output: usage.completion_tokens }
  }

  async #countTokens(): Promise<{ input: number; output: number }> {
    const source = this.tokens
    if (source === undefined) return { input: 0, output: 0 }
    const count = await tokenCounter()
    let input = 0
    if (this.messages !== undefined) input = count(promptText(this.messages))
    else if (this.embeddingInput !== undefined)
      input = this.embeddingInput.tokenIds + count(this.embeddingInput.text)
    return { input, output: count(source.completionText()) }
  }
}
