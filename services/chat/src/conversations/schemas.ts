import { type Static, type TSchema, Type } from 'typebox'
import type { Conversation } from '../store/chat-store.ts'

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const ConversationParams = Type.Object({ conversationId: Type.String() })

export const ConversationView = Type.Object({
  id: Type.String(),
  object: Type.Literal('conversation'),
  /** '' until set, or derived from the first message. */
  title: Type.String(),
  /** The model alias its answers use; null when an agent answers. */
  model: Nullable(Type.String()),
  /** The agent that answers (its id), or `auto` for agent's supervisor; null when a model answers. */
  agent: Nullable(Type.String()),
  systemPrompt: Nullable(Type.String()),
  /** A prompt reference `name@label`, resolved through admin at each answer. */
  prompt: Nullable(Type.String()),
  /** The leaf of the branch the conversation continues from. */
  activeLeafId: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  lastActivityAt: Type.String({ format: 'date-time' }),
})
export type ConversationView = Static<typeof ConversationView>

export const NewConversation = Type.Object(
  {
    title: Type.Optional(Type.String({ maxLength: 200 })),
    /** Model alias; the configured default when omitted (and no agent is named). */
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /**
     * An agent (id or name) answers instead of a model: each message is a run of it. `auto`: agent's
     * supervisor chooses the agent, and follow-ups stay with it. Not with `model` or a system prompt.
     */
    agent: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    systemPrompt: Type.Optional(Type.String({ minLength: 1 })),
    /** `name@label` of a prompt kept in admin (instead of `systemPrompt`). */
    prompt: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
)
export type NewConversation = Static<typeof NewConversation>

export const ConversationChanges = Type.Object(
  {
    title: Type.Optional(Type.String({ maxLength: 200 })),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /** null removes it. */
    systemPrompt: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
    /** null removes it. */
    prompt: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200 }))),
    /** Switches to another branch: any message of the conversation. */
    activeLeafId: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)
export type ConversationChanges = Static<typeof ConversationChanges>

export const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    /** `nextCursor` of the previous page. */
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  },
  { additionalProperties: false },
)
export type ListQuery = Static<typeof ListQuery>

export const ConversationList = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(ConversationView),
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: Nullable(Type.String()),
})

export function toConversationView(c: Conversation): ConversationView {
  return {
    id: c.id,
    object: 'conversation',
    title: c.title,
    model: c.model,
    agent: c.agent,
    systemPrompt: c.systemPrompt,
    prompt: c.promptRef,
    activeLeafId: c.activeLeafId,
    createdAt: c.createdAt.toISOString(),
    lastActivityAt: c.lastActivityAt.toISOString(),
  }
}
