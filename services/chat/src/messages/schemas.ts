import { type Static, type TSchema, Type } from 'typebox'

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const MessageParams = Type.Object({ conversationId: Type.String(), messageId: Type.String() })

export const MessageView = Type.Object({
  id: Type.String(),
  object: Type.Literal('chat.message'),
  conversationId: Type.String(),
  /** The message it follows; siblings (same parent) are branches: edits and regenerations. */
  parentId: Nullable(Type.String()),
  role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
  content: Type.String(),
  /**
   * `streaming` while the answer is written; its content grows. `awaiting_approval`: the agent's
   * run paused on a tool call (approve it through `/v1/runs/{runId}/approvals/{callId}`).
   */
  status: Type.Union([
    Type.Literal('streaming'),
    Type.Literal('complete'),
    Type.Literal('stopped'),
    Type.Literal('failed'),
    Type.Literal('awaiting_approval'),
  ]),
  model: Nullable(Type.String()),
  inputTokens: Nullable(Type.Integer()),
  outputTokens: Nullable(Type.Integer()),
  finishReason: Nullable(Type.String()),
  /** Why a `failed` answer failed. */
  errorCode: Nullable(Type.String()),
  /** The agent run that wrote this answer (`GET /v1/runs/{runId}`); null when a model did. */
  runId: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
})
export type MessageView = Static<typeof MessageView>

export const MessageList = Type.Object({
  object: Type.Literal('list'),
  /** Newest first, every branch. */
  data: Type.Array(MessageView),
  nextCursor: Nullable(Type.String()),
})

export const NewMessage = Type.Object(
  {
    content: Type.String(),
    /** The message this one follows; default the conversation's active leaf. */
    parentId: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)
export type NewMessage = Static<typeof NewMessage>

export const EditedMessage = Type.Object({ content: Type.String() }, { additionalProperties: false })

export const StreamQuery = Type.Object(
  {
    /** `openai`: chat.completion.chunk events and `[DONE]`; default chat's typed events. */
    format: Type.Optional(Type.Union([Type.Literal('native'), Type.Literal('openai')])),
  },
  { additionalProperties: false },
)
export type StreamQuery = Static<typeof StreamQuery>

export const ResumeQuery = Type.Object(
  {
    format: Type.Optional(Type.Union([Type.Literal('native'), Type.Literal('openai')])),
    /** For clients that cannot set the Last-Event-ID header. */
    lastEventId: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
)
export type ResumeQuery = Static<typeof ResumeQuery>

export const StopResult = Type.Object({ message: MessageView })

export function toMessageView(
  m: Omit<MessageView, 'object' | 'createdAt'> & { createdAt: Date },
): MessageView {
  return {
    id: m.id,
    object: 'chat.message',
    conversationId: m.conversationId,
    parentId: m.parentId,
    role: m.role,
    content: m.content,
    status: m.status,
    model: m.model,
    inputTokens: m.inputTokens,
    outputTokens: m.outputTokens,
    finishReason: m.finishReason,
    errorCode: m.errorCode,
    runId: m.runId,
    createdAt: m.createdAt.toISOString(),
  }
}
