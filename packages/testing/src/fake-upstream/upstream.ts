// What both fakes share above the HTTP core: options, the handle tests hold, and per-request
// behavior resolution.
import {
  type BehaviorState,
  createBehaviorState,
  FAKE_BEHAVIOR_HEADER,
  type FakeBehavior,
} from './behavior.ts'
import type { ErrorWriter, Exchange, FakeRequestRecord, FakeServerCore, FakeServerOptions } from './server.ts'

export interface FakeUpstreamOptions extends FakeServerOptions {
  /** Server-wide behavior; `reset()` returns to it. Default: answer at once. */
  behavior?: FakeBehavior
  /** Models listed by `/v1/models` (and `/api/tags`). Default `['fake-chat', 'fake-embed']`. */
  models?: string[]
  /** Answer 404 for a model not in `models` (model_not_found / Ollama's "not found"). Default false. */
  strictModels?: boolean
  /** Embedding size when the request has no `dimensions`. Default 64. */
  embeddingDimensions?: number
}

export interface FakeUpstream {
  /** Base URL for the official client: `http://127.0.0.1:PORT/v1` (OpenAI) or `http://127.0.0.1:PORT` (Ollama). */
  url: string
  /** `http://127.0.0.1:PORT` */
  origin: string
  port: number
  /** Every request in arrival order, including ones still in flight (their fields update). */
  requests: FakeRequestRecord[]
  /** Replaces the server-wide behavior, or one model's (layered over it), and restarts its failure count. */
  setBehavior(behavior: FakeBehavior, model?: string): void
  /** Back to `options.behavior`, no model behaviors, failure counts and the request log cleared. */
  reset(): void
  /** Resolves when no request is in flight (answered, dropped or aborted, and recorded as such). */
  idle(): Promise<void>
  /** Stops listening and destroys open connections (hanging requests end as aborted). */
  close(): Promise<void>
}

export const DEFAULT_MODELS = ['fake-chat', 'fake-embed']

/** Per-server state the route handlers share. */
export interface ApiContext {
  behavior: BehaviorState
  /** Model names as listed. */
  models: string[]
  strictModels: boolean
  dimensions: number
  /** Next response number, for ids. */
  nextId(): number
}

export function apiContext(options: FakeUpstreamOptions, models: string[]): ApiContext {
  let seq = 0
  return {
    behavior: createBehaviorState(options.behavior),
    models,
    strictModels: options.strictModels ?? false,
    dimensions: options.embeddingDimensions ?? 64,
    nextId: () => ++seq,
  }
}

/** Whether a requested model is served (`name` matches `name:latest`, as in Ollama). */
export function knowsModel(ctx: ApiContext, model: string): boolean {
  return ctx.models.includes(model) || ctx.models.includes(`${model}:latest`)
}

/**
 * The behavior for this request, or undefined after answering 400 for a malformed
 * `x-fake-behavior` header.
 */
export function behaviorFor(
  ex: Exchange,
  ctx: ApiContext,
  model: string,
  writeError: ErrorWriter,
): FakeBehavior | undefined {
  const header = ex.record.headers[FAKE_BEHAVIOR_HEADER]
  try {
    return ctx.behavior.resolve(model, typeof header === 'string' ? header : undefined)
  } catch (err) {
    writeError(
      ex,
      400,
      `invalid ${FAKE_BEHAVIOR_HEADER} header: ${(err as Error).message}`,
      'invalid_fake_behavior',
      null,
    )
    return undefined
  }
}

export function upstreamHandle(core: FakeServerCore, ctx: ApiContext, url: string): FakeUpstream {
  return {
    url,
    origin: core.origin,
    port: core.port,
    requests: core.requests,
    setBehavior: (behavior, model) => ctx.behavior.set(behavior, model),
    reset: () => {
      ctx.behavior.reset()
      core.requests.length = 0
    },
    idle: core.idle,
    close: core.close,
  }
}

/** A plain-object request body, or undefined. */
export function asObject(body: unknown): Record<string, unknown> | undefined {
  return body !== null && typeof body === 'object' && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined
}
