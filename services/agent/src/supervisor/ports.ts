// What the supervisor needs from the outside: embeddings and one JSON-schema completion. The
// router-backed versions are in router-ports.ts; unit tests pass fakes.

/** Who the call is for (the router bills and limits them) and when to stop. */
export interface CallContext {
  /** An internal token of the caller, forwarded to the router. */
  token: string
  signal?: AbortSignal
}

/** One vector per input, in order. */
export type Embed = (inputs: readonly string[], ctx: CallContext) => Promise<number[][]>

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

export interface JsonCompletionRequest {
  messages: ChatMessage[]
  /** The `response_format.json_schema.name`. */
  schemaName: string
  schema: Record<string, unknown>
  maxTokens: number
}

/** The model's raw answer text to a request with `response_format: json_schema`. */
export type CompleteJson = (request: JsonCompletionRequest, ctx: CallContext) => Promise<string>

/** An agent as the supervisor sees it. */
export interface RoutableAgent {
  id: string
  name: string
  description: string
  /** Utterances this agent should receive (stage 1 compares the message with them). */
  examples?: readonly string[]
}
