import type { FakeChatInput } from './text.ts'

/** A tool call the fake should make, as the model would: a function name and its arguments. */
export interface FakeToolCall {
  name: string
  /** An object, or a string sent verbatim as the OpenAI `arguments` (Ollama needs an object). */
  arguments: Record<string, unknown> | string
}

/**
 * How a fake answers inference requests (chat, generate, embeddings). Set per server
 * (`options.behavior`, `setBehavior`), per model (`setBehavior(b, model)`) and per request (the
 * `x-fake-behavior` header, JSON); later layers override earlier ones field by field.
 */
export interface FakeBehavior {
  /** Milliseconds before the response headers (applies to every inference request). */
  latencyMs?: number
  /** Milliseconds between the headers and the first token; a non-streaming answer waits it too. */
  ttftMs?: number
  /**
   * Generation speed: after the first token, chunks are spaced so that tokens leave at this rate
   * (tool-call argument fragments count one token each). A non-streaming answer waits as long as
   * its stream would have taken. Unset or 0: no spacing.
   */
  tokensPerSecond?: number
  /** Reply text instead of the default `echo: <last user message>`; a function only in code. */
  reply?: string | ((input: FakeChatInput) => string)
  /** Reply length in tokens: the reply's words are repeated or cut to exactly this many. */
  replyTokens?: number
  /** Number of content chunks a streamed reply is split into (tokens spread evenly); default one per token. */
  chunks?: number
  /**
   * When the request carries tools: `true` calls the `tool_choice` function or the first tool with
   * arguments sampled from its JSON schema; a list makes exactly these calls. A named `tool_choice`
   * or `'required'` calls a tool even without this; `tool_choice: 'none'` never does. A function
   * (only in code) decides per request, e.g. calls until the conversation holds a tool result.
   */
  toolCalls?: boolean | FakeToolCall[] | ((input: FakeChatInput) => boolean | FakeToolCall[])
  /** `false` omits usage (OpenAI `usage`, Ollama `prompt_eval_count`/`eval_count`) like some servers. */
  reportUsage?: boolean
  /** Prompt tokens above this answer with a context-length error (400). */
  contextWindow?: number

  // Failures. Each makes a request fail; `failTimes` bounds how many.
  /** Answer with this HTTP status (e.g. 500, 503, 429) and the API's error body. */
  status?: number
  /** Error message for `status`. */
  message?: string
  /** `Retry-After` header in seconds on a failure status; a 429 sends 1 unless set. */
  retryAfterSeconds?: number
  /** Never answer: no headers, no body, until the client goes away (recorded as `aborted`). */
  hang?: boolean
  /** Stream this many chunks (SSE events / NDJSON lines), then stall until the client goes away. */
  hangAfterChunks?: number
  /** Stream this many chunks, then destroy the socket (non-streaming: half the body, then destroy). */
  dropMidStream?: number
  /** Answer 400 with OpenAI's `context_length_exceeded` error (Ollama: `{ error }` with that text). */
  contextLengthExceeded?: boolean
  /**
   * The failure above happens this many times, then requests succeed. The count belongs to the layer
   * that sets `failTimes` (server, model, or the exact header value) and restarts on `setBehavior`.
   * Unset: every request fails.
   */
  failTimes?: number
}

/** Request header carrying a per-request `FakeBehavior` as JSON. */
export const FAKE_BEHAVIOR_HEADER = 'x-fake-behavior'

/** Headers that make one request behave as `behavior`, e.g. `openai.chat.completions.create(body, { headers: fakeBehaviorHeader({ status: 500 }) })`. */
export function fakeBehaviorHeader(behavior: Omit<FakeBehavior, 'reply'> & { reply?: string }): {
  [FAKE_BEHAVIOR_HEADER]: string
} {
  return { [FAKE_BEHAVIOR_HEADER]: JSON.stringify(behavior) }
}

/** Whether a resolved behavior makes this request fail. */
export function isFailure(b: FakeBehavior): boolean {
  return (
    (b.status !== undefined && b.status >= 400) ||
    b.hang === true ||
    b.hangAfterChunks !== undefined ||
    b.dropMidStream !== undefined ||
    b.contextLengthExceeded === true
  )
}

function withoutFailure(b: FakeBehavior): FakeBehavior {
  const {
    status: _status,
    hang: _hang,
    hangAfterChunks: _hangAfter,
    dropMidStream: _drop,
    contextLengthExceeded: _ctx,
    ...rest
  } = b
  return rest
}

function parseBehaviorHeader(header: string): FakeBehavior {
  const parsed: unknown = JSON.parse(header)
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SyntaxError(`${FAKE_BEHAVIOR_HEADER} must be a JSON object`)
  }
  return parsed as FakeBehavior
}

/** The layered behaviors of one fake server and their failure counters. */
export interface BehaviorState {
  set(behavior: FakeBehavior, model?: string): void
  reset(): void
  /** The behavior for one request; throws a SyntaxError when the header is not valid JSON. */
  resolve(model: string, header: string | undefined): FakeBehavior
}

export function createBehaviorState(initial: FakeBehavior = {}): BehaviorState {
  let server = initial
  const byModel = new Map<string, FakeBehavior>()
  // Failures served per layer key: 'server', 'model:<name>', 'header:<raw json>'.
  const failures = new Map<string, number>()

  return {
    set(behavior, model) {
      if (model === undefined) {
        server = behavior
        failures.delete('server')
      } else {
        byModel.set(model, behavior)
        failures.delete(`model:${model}`)
      }
    },
    reset() {
      server = initial
      byModel.clear()
      failures.clear()
    },
    resolve(model, header) {
      const forModel = byModel.size > 0 ? byModel.get(model) : undefined
      // The hot path of a benchmark: one layer, nothing to merge or count.
      if (forModel === undefined && header === undefined && server.failTimes === undefined) return server
      const layers: [string, FakeBehavior][] = [['server', server]]
      if (forModel) layers.push([`model:${model}`, forModel])
      if (header !== undefined) layers.push([`header:${header}`, parseBehaviorHeader(header)])
      const merged: FakeBehavior = Object.assign({}, ...layers.map(([, b]) => b))
      if (!isFailure(merged) || merged.failTimes === undefined) return merged
      let key = 'server'
      for (const [k, b] of layers) if (b.failTimes !== undefined) key = k
      const served = failures.get(key) ?? 0
      if (served >= merged.failTimes) return withoutFailure(merged)
      failures.set(key, served + 1)
      return merged
    },
  }
}
