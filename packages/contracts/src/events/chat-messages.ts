import { type Static, Type } from 'typebox'
import { defineTopic } from '../topic.ts'
import { Id, OrgId, Timestamp } from './common.ts'

/**
 * A message was stored in a conversation. Producer: chat. Consumers: analytics, audit. It carries no
 * content: a consumer that needs the text reads it from chat, which checks access.
 */
export const ChatMessagesV1 = Type.Object({
  orgId: OrgId,
  userId: Id,
  conversationId: Id,
  messageId: Id,
  role: Type.Union([
    Type.Literal('system'),
    Type.Literal('user'),
    Type.Literal('assistant'),
    Type.Literal('tool'),
  ]),
  /** The model alias that wrote an assistant message; null for other roles. */
  model: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  /** Tokens of an assistant message (output) or of the prompt that produced it (input); null if unknown. */
  inputTokens: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  outputTokens: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  createdAt: Timestamp,
})
export type ChatMessagesV1 = Static<typeof ChatMessagesV1>

/** Keyed by conversationId: a conversation's messages arrive in order. */
export const chatMessagesV1 = defineTopic('chat.messages.v1', ChatMessagesV1)
