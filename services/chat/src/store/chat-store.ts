/**
 * The ChatStore port: conversations and their messages. Two implementations pass one contract
 * suite (chat-store.contract.ts): Cassandra (cassandra.ts) for a chat service on its own, and
 * PostgreSQL (postgres.ts) for the one-process shape and small installs. Routes and services never
 * know which one they have.
 *
 * Tenancy lives here too: a conversation is read, changed or deleted only through its owner (org
 * and user); for anyone else it does not exist. Messages are reached through a conversation the
 * caller has already loaded.
 */

export type MessageRole = 'user' | 'assistant'
/**
 * `streaming`: an answer being generated (its content grows); the others are final.
 * `awaiting_approval`: an agent's run paused on a tool call a person must approve (through agent).
 */
export type MessageStatus = 'streaming' | 'complete' | 'stopped' | 'failed' | 'awaiting_approval'

export interface Owner {
  orgId: string
  userId: string
}

export interface Conversation extends Owner {
  /** A random UUID. */
  id: string
  /** '' until set or derived from the first message. */
  title: string
  /** The model alias its answers use; null when an agent answers instead. */
  model: string | null
  /** The agent that answers (its id), or `auto` for agent's supervisor; null when a model answers. */
  agent: string | null
  /** Literal system prompt; null when none or when `promptRef` is used. */
  systemPrompt: string | null
  /** A prompt reference `name@label`, resolved through admin at each answer; null when none. */
  promptRef: string | null
  /** The leaf of the branch the conversation continues from; null before the first message. */
  activeLeafId: string | null
  /** Span of one message partition in ms (Cassandra), fixed at creation. */
  bucketMs: number
  createdAt: Date
  lastActivityAt: Date
}

export interface Message {
  /** A time UUID (ids.ts): messages sort by it. */
  id: string
  conversationId: string
  /** The message this one answers or follows; null for the first one. Siblings form branches. */
  parentId: string | null
  role: MessageRole
  content: string
  status: MessageStatus
  /** The alias that wrote an assistant message; null for user messages. */
  model: string | null
  inputTokens: number | null
  outputTokens: number | null
  /** The upstream's finish reason (`stop`, `length`...), or null. */
  finishReason: string | null
  /** Why a `failed` message failed (a stable code), or null. */
  errorCode: string | null
  /** The agent run that wrote an assistant message, or null (a model wrote it). */
  runId: string | null
  /** The time in its id. */
  createdAt: Date
}

export type NewConversation = Omit<Conversation, 'activeLeafId'> & { activeLeafId?: null }
export type NewMessage = Omit<Message, 'createdAt'>

/** A message written whole, not generated (a user's question, an imported one): no model, usage or error. */
export function writtenMessage(
  fields: Pick<NewMessage, 'id' | 'conversationId' | 'parentId' | 'role' | 'content'>,
): NewMessage {
  return {
    ...fields,
    status: 'complete',
    model: null,
    inputTokens: null,
    outputTokens: null,
    finishReason: null,
    errorCode: null,
    runId: null,
  }
}

export interface ConversationPatch {
  title?: string
  model?: string
  systemPrompt?: string | null
  promptRef?: string | null
  activeLeafId?: string
  lastActivityAt?: Date
}

export type MessagePatch = Partial<
  Pick<Message, 'content' | 'status' | 'inputTokens' | 'outputTokens' | 'finishReason' | 'errorCode'>
>

/** Where a conversation list continues: after this (lastActivityAt, id), newest first. */
export interface ConversationPosition {
  lastActivityAt: Date
  id: string
}

export interface Page<T> {
  items: T[]
  /** True when more items follow the last one. */
  more: boolean
}

export interface ChatStore {
  createConversation(conversation: NewConversation): Promise<Conversation>
  /** Null when it does not exist or belongs to someone else. */
  getConversation(owner: Owner, id: string): Promise<Conversation | null>
  /** The owner's conversations by last activity, newest first, after `after`. */
  listConversations(
    owner: Owner,
    options: { limit: number; after?: ConversationPosition },
  ): Promise<Page<Conversation>>
  /** Null when it does not exist or belongs to someone else. */
  updateConversation(owner: Owner, id: string, patch: ConversationPatch): Promise<Conversation | null>
  /** Deletes it and its messages; false when it does not exist or belongs to someone else. */
  deleteConversation(owner: Owner, id: string): Promise<boolean>

  /** Stores a message of a conversation that exists (the caller checked ownership). */
  addMessage(message: NewMessage): Promise<Message>
  updateMessage(conversationId: string, id: string, patch: MessagePatch): Promise<void>
  getMessage(conversationId: string, id: string): Promise<Message | null>
  /** Every branch's messages, newest first, older than `before` (a message id) when given. */
  listMessages(conversationId: string, options: { limit: number; before?: string }): Promise<Page<Message>>

  /** True when the backing store answers (readiness). */
  ping(): Promise<boolean>
}
