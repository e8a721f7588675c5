import { type Static, type TSchema, Type } from 'typebox'
import { ToolCall } from './chat-request.ts'
import { Usage } from './usage.ts'

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const FinishReason = Type.Union([
  Type.Literal('stop'),
  Type.Literal('length'),
  Type.Literal('tool_calls'),
  Type.Literal('content_filter'),
  Type.Literal('function_call'),
])
export type FinishReason = Static<typeof FinishReason>

/** Per-token log probabilities; kept as data, the router passes them through. */
const Logprobs = Type.Optional(Nullable(Type.Record(Type.String(), Type.Unknown())))

/** The assistant's answer in a non-streaming response. */
export const ChatCompletionMessage = Type.Object({
  role: Type.Literal('assistant'),
  content: Nullable(Type.String()),
  refusal: Type.Optional(Nullable(Type.String())),
  tool_calls: Type.Optional(Type.Array(ToolCall)),
})
export type ChatCompletionMessage = Static<typeof ChatCompletionMessage>

export const ChatCompletionChoice = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  message: ChatCompletionMessage,
  finish_reason: FinishReason,
  logprobs: Logprobs,
})
export type ChatCompletionChoice = Static<typeof ChatCompletionChoice>

/** The body of a non-streaming `POST /v1/chat/completions` answer. */
export const ChatCompletionResponse = Type.Object({
  id: Type.String(),
  object: Type.Literal('chat.completion'),
  /** Unix time, seconds. */
  created: Type.Integer({ minimum: 0 }),
  /** The model that answered (the router reports the alias the caller asked for). */
  model: Type.String(),
  choices: Type.Array(ChatCompletionChoice),
  usage: Type.Optional(Usage),
  system_fingerprint: Type.Optional(Nullable(Type.String())),
  service_tier: Type.Optional(Nullable(Type.String())),
})
export type ChatCompletionResponse = Static<typeof ChatCompletionResponse>

/** A fragment of a tool call: the first carries id, type and name; later ones append to `arguments`. */
export const ToolCallDelta = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  id: Type.Optional(Type.String()),
  type: Type.Optional(Type.Literal('function')),
  function: Type.Optional(
    Type.Object({ name: Type.Optional(Type.String()), arguments: Type.Optional(Type.String()) }),
  ),
})
export type ToolCallDelta = Static<typeof ToolCallDelta>

export const ChatCompletionDelta = Type.Object({
  role: Type.Optional(Type.Literal('assistant')),
  content: Type.Optional(Nullable(Type.String())),
  refusal: Type.Optional(Nullable(Type.String())),
  tool_calls: Type.Optional(Type.Array(ToolCallDelta)),
})
export type ChatCompletionDelta = Static<typeof ChatCompletionDelta>

export const ChatCompletionChunkChoice = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  delta: ChatCompletionDelta,
  /** Null until the choice's last chunk. */
  finish_reason: Nullable(FinishReason),
  logprobs: Logprobs,
})
export type ChatCompletionChunkChoice = Static<typeof ChatCompletionChunkChoice>

/**
 * One `data:` event of a streaming answer. With `stream_options.include_usage`, every chunk carries
 * `usage: null` and one last chunk before `[DONE]` has empty `choices` and the usage.
 */
export const ChatCompletionChunk = Type.Object({
  id: Type.String(),
  object: Type.Literal('chat.completion.chunk'),
  /** Unix time, seconds; the same on every chunk of a stream. */
  created: Type.Integer({ minimum: 0 }),
  model: Type.String(),
  choices: Type.Array(ChatCompletionChunkChoice),
  usage: Type.Optional(Nullable(Usage)),
  system_fingerprint: Type.Optional(Nullable(Type.String())),
  service_tier: Type.Optional(Nullable(Type.String())),
})
export type ChatCompletionChunk = Static<typeof ChatCompletionChunk>
