import { type Static, type TSchema, Type } from 'typebox'

// Objects allow additional properties throughout (TypeBox's default): provider-specific fields
// (vLLM's guided_json, Ollama's options, ...) validate; the router forwards those a deployment
// lists (llm-router README, "How a request goes"). What OpenAI rejects
// (missing model, empty messages, unknown roles, out-of-range sampling values) is rejected here too.

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const TextContentPart = Type.Object({ type: Type.Literal('text'), text: Type.String() })
export type TextContentPart = Static<typeof TextContentPart>

export const ImageContentPart = Type.Object({
  type: Type.Literal('image_url'),
  image_url: Type.Object({
    /**
     * An https URL or a `data:` URL with base64 image bytes. Nothing else: an upstream (vLLM)
     * fetches the URL from inside the cluster, so `http:`, `file:` or `gopher:` would reach hosts
     * the caller cannot.
     */
    url: Type.String({ pattern: '^(?:[Hh][Tt][Tt][Pp][Ss]://|data:image/[A-Za-z0-9.+-]+;base64,)' }),
    detail: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('low'), Type.Literal('high')])),
  }),
})
export type ImageContentPart = Static<typeof ImageContentPart>

export const AudioContentPart = Type.Object({
  type: Type.Literal('input_audio'),
  input_audio: Type.Object({
    /** Base64 audio bytes. */
    data: Type.String(),
    format: Type.Union([Type.Literal('wav'), Type.Literal('mp3')]),
  }),
})
export type AudioContentPart = Static<typeof AudioContentPart>

export const FileContentPart = Type.Object({
  type: Type.Literal('file'),
  file: Type.Object({
    file_data: Type.Optional(Type.String()),
    file_id: Type.Optional(Type.String()),
    filename: Type.Optional(Type.String()),
  }),
})
export type FileContentPart = Static<typeof FileContentPart>

export const RefusalContentPart = Type.Object({ type: Type.Literal('refusal'), refusal: Type.String() })
export type RefusalContentPart = Static<typeof RefusalContentPart>

/** A part of a user message's content. */
export const UserContentPart = Type.Union([
  TextContentPart,
  ImageContentPart,
  AudioContentPart,
  FileContentPart,
])
export type UserContentPart = Static<typeof UserContentPart>

/** System, developer and tool messages carry text only. */
const TextContent = Type.Union([Type.String(), Type.Array(TextContentPart)])

/** A call the model asks for; `arguments` is JSON text, as the model wrote it (it may not parse). */
export const ToolCall = Type.Object({
  id: Type.String(),
  type: Type.Literal('function'),
  function: Type.Object({ name: Type.String(), arguments: Type.String() }),
})
export type ToolCall = Static<typeof ToolCall>

export const SystemMessage = Type.Object({
  role: Type.Literal('system'),
  content: TextContent,
  name: Type.Optional(Type.String()),
})
export type SystemMessage = Static<typeof SystemMessage>

/** OpenAI's successor to `system` for reasoning models; routers may map it to `system` upstream. */
export const DeveloperMessage = Type.Object({
  role: Type.Literal('developer'),
  content: TextContent,
  name: Type.Optional(Type.String()),
})
export type DeveloperMessage = Static<typeof DeveloperMessage>

export const UserMessage = Type.Object({
  role: Type.Literal('user'),
  content: Type.Union([Type.String(), Type.Array(UserContentPart)]),
  name: Type.Optional(Type.String()),
})
export type UserMessage = Static<typeof UserMessage>

export const AssistantMessage = Type.Object({
  role: Type.Literal('assistant'),
  /** Null (or absent) when the turn is only tool calls. */
  content: Type.Optional(
    Nullable(Type.Union([Type.String(), Type.Array(Type.Union([TextContentPart, RefusalContentPart]))])),
  ),
  name: Type.Optional(Type.String()),
  refusal: Type.Optional(Nullable(Type.String())),
  tool_calls: Type.Optional(Type.Array(ToolCall)),
})
export type AssistantMessage = Static<typeof AssistantMessage>

export const ToolMessage = Type.Object({
  role: Type.Literal('tool'),
  content: TextContent,
  /** The id of the assistant's tool call this answers. */
  tool_call_id: Type.String({ minLength: 1 }),
})
export type ToolMessage = Static<typeof ToolMessage>

export const ChatMessage = Type.Union([
  SystemMessage,
  DeveloperMessage,
  UserMessage,
  AssistantMessage,
  ToolMessage,
])
export type ChatMessage = Static<typeof ChatMessage>

export type ChatRole = ChatMessage['role']

/** A JSON Schema object, kept as data: the router forwards it, it does not interpret it. */
export const JsonSchemaObject = Type.Record(Type.String(), Type.Unknown())
export type JsonSchemaObject = Static<typeof JsonSchemaObject>

export const FunctionTool = Type.Object({
  type: Type.Literal('function'),
  function: Type.Object({
    name: Type.String({ pattern: '^[a-zA-Z0-9_-]{1,64}$' }),
    description: Type.Optional(Type.String()),
    /** The arguments, as a JSON Schema object; absent means no arguments. */
    parameters: Type.Optional(JsonSchemaObject),
    strict: Type.Optional(Nullable(Type.Boolean())),
  }),
})
export type FunctionTool = Static<typeof FunctionTool>

export const ToolChoice = Type.Union([
  Type.Literal('none'),
  Type.Literal('auto'),
  Type.Literal('required'),
  Type.Object({ type: Type.Literal('function'), function: Type.Object({ name: Type.String() }) }),
])
export type ToolChoice = Static<typeof ToolChoice>

export const ResponseFormat = Type.Union([
  Type.Object({ type: Type.Literal('text') }),
  Type.Object({ type: Type.Literal('json_object') }),
  Type.Object({
    type: Type.Literal('json_schema'),
    json_schema: Type.Object({
      name: Type.String({ pattern: '^[a-zA-Z0-9_-]{1,64}$' }),
      description: Type.Optional(Type.String()),
      schema: Type.Optional(JsonSchemaObject),
      strict: Type.Optional(Nullable(Type.Boolean())),
    }),
  }),
])
export type ResponseFormat = Static<typeof ResponseFormat>

export const StreamOptions = Type.Object({
  /** Send one more chunk before `[DONE]` with empty `choices` and the request's `usage`. */
  include_usage: Type.Optional(Type.Boolean()),
})
export type StreamOptions = Static<typeof StreamOptions>

const Penalty = Nullable(Type.Number({ minimum: -2, maximum: 2 }))

/** The body of `POST /v1/chat/completions`. */
export const ChatCompletionRequest = Type.Object({
  /** The model alias, as the router's routes name it. */
  model: Type.String({ minLength: 1 }),
  messages: Type.Array(ChatMessage, { minItems: 1 }),
  temperature: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 2 }))),
  top_p: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 1 }))),
  /** Deprecated by OpenAI in favour of max_completion_tokens; both are accepted. */
  max_tokens: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  max_completion_tokens: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  n: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 128 }))),
  stop: Type.Optional(Nullable(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 4 })]))),
  stream: Type.Optional(Nullable(Type.Boolean())),
  stream_options: Type.Optional(Nullable(StreamOptions)),
  tools: Type.Optional(Type.Array(FunctionTool)),
  tool_choice: Type.Optional(ToolChoice),
  parallel_tool_calls: Type.Optional(Type.Boolean()),
  response_format: Type.Optional(ResponseFormat),
  seed: Type.Optional(Nullable(Type.Integer())),
  /** The end user, for the provider's abuse monitoring. */
  user: Type.Optional(Type.String()),
  presence_penalty: Type.Optional(Penalty),
  frequency_penalty: Type.Optional(Penalty),
  /** Token id (as a string) to bias, -100 to 100. */
  logit_bias: Type.Optional(
    Nullable(Type.Record(Type.String(), Type.Number({ minimum: -100, maximum: 100 }))),
  ),
  logprobs: Type.Optional(Nullable(Type.Boolean())),
  top_logprobs: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 20 }))),
})
export type ChatCompletionRequest = Static<typeof ChatCompletionRequest>
