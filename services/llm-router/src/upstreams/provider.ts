// The contract between the router's pipeline and one kind of upstream (src/upstreams/<provider>/).
// The pipeline owns routing, retries, timeouts, usage and metrics; a provider only speaks its
// upstream's protocol, in the OpenAI wire format on the router's side.
import type { ChatCompletionRequest, EmbeddingsRequest, Usage } from '@switchyard/contracts'
import type { Logger } from 'pino'
import type { Deployment } from '../catalog/schema.ts'

/** One call to one deployment. */
export interface UpstreamCall {
  /** The alias the caller named: what `model` must say in everything the caller receives. */
  alias: string
  /**
   * Aborts the call: the client left, a timeout fired, the server shuts down. Pass it to every I/O
   * and stop at once; the reason is set by the pipeline, a provider need not interpret it.
   */
  signal: AbortSignal
}

/** A non-streamed chat completion. */
export interface ChatCompletionResult {
  /** The `chat.completion` JSON as sent to the caller, `model` already set to the alias. */
  body: string
  /**
   * Token counts the upstream reported, or null (then the router counts with a tokenizer). Called
   * after the response has been sent, so a provider may parse lazily here.
   */
  usage(): Usage | null
  /** Generated text (content, tool names and arguments), for counting when usage() is null. */
  completionText(): string
}

/**
 * A streamed chat completion. Iterating yields bytes of whole SSE events in OpenAI's
 * `chat.completion.chunk` format (`data: {...}\n\n`), `model` set to the alias, ready to write to
 * the caller. It never yields `data: [DONE]` nor the usage-only chunk: the router adds those.
 * Iteration ends after the upstream's last chunk and throws (an UpstreamError, or the abort
 * reason) when the stream fails or ends early. The fields below are read after it ended.
 */
export interface ChatStream extends AsyncIterable<Uint8Array> {
  /** Usage the upstream reported (ask for it: `stream_options.include_usage`), or null. */
  usage(): Usage | null
  /** The completion's `id` and `created`, as its chunks carry them (for the usage chunk). */
  id(): string
  created(): number
  /** Generated text so far, for counting when usage() is null (also after a failure). */
  completionText(): string
}

/** An embeddings answer. */
export interface EmbeddingsResult {
  /** The `list` JSON as sent to the caller, `model` set to the alias. */
  body: string
  /** Prompt tokens the upstream reported, or null. Called after the response was sent. */
  promptTokens(): number | null
}

/**
 * A provider bound to one deployment: owns its connection pool. Methods a provider lacks make the
 * router answer 400 LLM_ROUTER_ERR_UNSUPPORTED for that deployment's aliases.
 */
export interface UpstreamClient {
  /** Resolves with the whole answer; `request.stream` is false or absent. */
  chat?(request: ChatCompletionRequest, call: UpstreamCall): Promise<ChatCompletionResult>
  /**
   * Resolves once the upstream accepted the request (a 200 and its headers), before the first
   * event; the router times the first event itself (TTFT) and the gaps between events (idle).
   */
  chatStream?(request: ChatCompletionRequest, call: UpstreamCall): Promise<ChatStream>
  embeddings?(request: EmbeddingsRequest, call: UpstreamCall): Promise<EmbeddingsResult>
  /** Model names the upstream serves: the active health probe. */
  listModels?(signal: AbortSignal): Promise<string[]>
  /** Releases connections once in-flight calls finish (the deployment left the catalog). */
  close(): Promise<void>
}

export interface ProviderContext {
  logger: Logger
}

/** One kind of upstream; the registry (registry.ts) maps a catalog's `provider` to it. */
export interface Provider {
  /** The registry key, also the `provider` metric label and the `gen_ai.system` span attribute. */
  readonly name: string
  /** Whether a deployment must name a `baseUrl` (checked when a catalog is loaded). */
  readonly needsBaseUrl: boolean
  /**
   * Problems with a deployment's `options` the catalog's policy forbids (src/catalog/policy.ts),
   * listed when the catalog is loaded: e.g. a download location in a catalog from admin.
   */
  optionIssues?(
    options: Record<string, unknown>,
    model: string,
    policy: { localDownloads: boolean },
  ): string[]
  /** Called when a catalog brings the deployment in (at start and on every applyCatalog). */
  createClient(deployment: Deployment, context: ProviderContext): UpstreamClient
}

/**
 * How an upstream call failed, for retry and fallback decisions:
 * - `connect`: no connection, or it broke before a response: retried, may go to another deployment;
 * - `rate_limited`: 429; `retryAfterMs` keeps the deployment out that long;
 * - `server`: a 5xx; retried;
 * - `context_length`: the prompt is too long for the model: not retried, may fall back to a larger alias;
 * - `refused`: 401, 403 or 404: the upstream refuses the deployment's key or does not know its model;
 *   the deployment's fault (its settings), not the caller's: it cools down and another one is tried,
 *   and the upstream's message (which may quote the key) never reaches the caller;
 * - `bad_request`: any other 4xx: the caller's fault, answered as is;
 * - `protocol`: a malformed answer, an in-band error event, or a stream that ended early: retried
 *   before the first byte reached the caller.
 */
export type UpstreamFailure =
  | 'connect'
  | 'rate_limited'
  | 'server'
  | 'context_length'
  | 'refused'
  | 'bad_request'
  | 'protocol'

/** What providers throw for a failed upstream call. */
export class UpstreamError extends Error {
  override name = 'UpstreamError'
  readonly kind: UpstreamFailure
  /** HTTP status the upstream answered, when it answered. */
  readonly status: number | undefined
  /** From the upstream's Retry-After, ms. */
  readonly retryAfterMs: number | undefined
  /** The upstream's own error code (e.g. `context_length_exceeded`), when it sent one. */
  readonly upstreamCode: string | undefined

  constructor(
    kind: UpstreamFailure,
    message: string,
    details: { status?: number; retryAfterMs?: number; upstreamCode?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.kind = kind
    this.status = details.status
    this.retryAfterMs = details.retryAfterMs
    this.upstreamCode = details.upstreamCode
  }
}
