// One LLM request as the caller made it. The lifecycle (lifecycle.ts) builds the record once and
// never changes it; what happens to the request (attempts, the answer, how it ended) lives in the
// lifecycle function's locals and ends up in one `RequestOutcome` for the report.
import type { Span } from '@opentelemetry/api'
import type { Identity } from '@switchyard/contracts'
import type { EventBus } from '@switchyard/events'
import type { LlmMetrics } from '@switchyard/telemetry'
import type { Logger } from 'pino'
import type { Reporter } from '../fast-path/reporter.ts'
import type { DeploymentState, ModelRouter } from '../routing/router.ts'
import type { Prompt, TokenSource } from '../usage/tokens.ts'
import type { Admission, AdmissionTicket } from './admission.ts'

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

export type LlmOperation = 'chat' | 'embeddings'

/** Response headers that name who answered and after how many upstream calls. */
export const deploymentHeader = 'x-switchyard-deployment'
export const attemptsHeader = 'x-switchyard-attempts'

export interface LlmRequest {
  readonly requestId: string
  readonly identity: Identity
  /** The alias the caller named. */
  readonly alias: string
  readonly operation: LlmOperation
  readonly stream: boolean
  /** Epoch ms. */
  readonly startedAt: number
  /** Counted when the upstream reports no usage. */
  readonly prompt: Prompt
}

export type RequestStatus = 'ok' | 'error' | 'cancelled'

/** How a request ended, once its response is over: what its report says. */
export interface RequestOutcome {
  readonly status: RequestStatus
  /** Null when `status` is ok. */
  readonly errorCode: string | null
  /** Upstream calls made (0: none reached an upstream, nothing was consumed). */
  readonly attempts: number
  /** The deployment of the latest attempt. */
  readonly deployment: DeploymentState | undefined
  /** From request received to first token sent, ms (streams). */
  readonly ttftMs: number | null
  /** Set once an upstream answered (in full or in part): its tokens are counted and billed. */
  readonly answer: TokenSource | undefined
  readonly ticket: AdmissionTicket | undefined
  readonly span: Span
  /** From request received to the response's end, ms. */
  readonly durationMs: number
}
