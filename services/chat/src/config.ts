import { Duration } from '@switchyard/config'
import { type Static, Type } from 'typebox'

/** What chat knows about one model alias (the llm-router owns the catalog; this sizes the history). */
export const ChatModel = Type.Object({
  /** Tokens the model accepts, prompt and answer together. */
  contextWindow: Type.Integer({ minimum: 256 }),
  /** Tokens kept free for the answer. Default: a quarter of the window, at most 4096. */
  maxOutputTokens: Type.Optional(Type.Integer({ minimum: 1 })),
})
export type ChatModel = Static<typeof ChatModel>

export const ChatConfig = Type.Object({
  /**
   * Aliases chat may use, with their context windows: JSON in env, a mapping in the YAML file. An
   * alias not listed here is accepted when the llm-router lists it, with the default window.
   */
  CHAT_MODELS: Type.Record(Type.String({ minLength: 1 }), ChatModel, { default: {} }),
  /** Model of a conversation created without one; unset: `model` is required. */
  CHAT_DEFAULT_MODEL: Type.Optional(Type.String({ minLength: 1 })),
  /** Context window, in tokens, of an alias that CHAT_MODELS does not describe. */
  CHAT_DEFAULT_CONTEXT_WINDOW: Type.Integer({ minimum: 256, default: 8192 }),
  /** Longest message a user may send (and longest system prompt), in characters. */
  CHAT_MAX_MESSAGE_CHARS: Type.Integer({ minimum: 1, default: 32_000 }),
  /**
   * Where a chat on its own keeps the history: `cassandra` (the default, as before this key existed)
   * or `postgres` (DATABASE_URL; `switchyard migrate --target=chat` creates its tables). One process
   * always uses its embedded PostgreSQL.
   */
  CHAT_STORE: Type.Union([Type.Literal('cassandra'), Type.Literal('postgres')], { default: 'cassandra' }),
  /** Keyspace of the Cassandra store (single-target shape); created with its tables at start when missing. */
  CHAT_CASSANDRA_KEYSPACE: Type.String({ pattern: '^[a-z][a-z0-9_]{0,47}$', default: 'switchyard_chat' }),
  /** Replication factor of the keyspace when chat creates it (NetworkTopologyStrategy in the local DC). */
  CHAT_CASSANDRA_REPLICATION_FACTOR: Type.Integer({ minimum: 1, default: 3 }),
  /**
   * Time span of one message partition (Cassandra), e.g. `7d`. Stored with each conversation when it
   * is created, so changing it only affects new conversations.
   */
  CHAT_MESSAGE_BUCKET_MS: Duration({ default: '7d', minimum: 1 }),
  /** How long a message's event log stays readable for reconnects after its last event. */
  CHAT_STREAM_TTL_MS: Duration({ default: '15m', minimum: 1_000 }),
  /** Events kept per message log (a reconnect further behind than this gets 410). */
  CHAT_STREAM_MAX_EVENTS: Type.Integer({ minimum: 16, default: 20_000 }),
  /** The partial answer is saved after this many new chunks... */
  CHAT_SAVE_EVERY_CHUNKS: Type.Integer({ minimum: 1, default: 16 }),
  /** ...or when this long passed since the last save, whichever comes first. */
  CHAT_SAVE_INTERVAL_MS: Duration({ default: '250ms', minimum: 1 }),
  /** Longest a generation may run before it is cut off. */
  CHAT_GENERATION_TIMEOUT_MS: Duration({ default: '10m', minimum: 1_000 }),
  /**
   * Answers one user may have being generated at once, on every replica together; one more is a
   * 429 CHAT_ERR_TOO_MANY_GENERATIONS. A slot is held until its answer ends, whether or not the
   * client stays.
   */
  CHAT_MAX_CONCURRENT_GENERATIONS: Type.Integer({ minimum: 1, default: 4 }),
  /**
   * Longest wait for the llm-router: a model check's answer, or the response to a generation's
   * request (the answer then streams for up to CHAT_GENERATION_TIMEOUT_MS).
   */
  CHAT_ROUTER_TIMEOUT_MS: Duration({ default: '60s', minimum: 1 }),
  /**
   * Longest wait for agent's answer: an agent lookup, a run's start, a cancel. A run's events then
   * stream for up to CHAT_GENERATION_TIMEOUT_MS.
   */
  CHAT_AGENT_TIMEOUT_MS: Duration({ default: '10s', minimum: 1 }),
  /** Longest wait for admin's answer to a prompt reference lookup. */
  CHAT_ADMIN_TIMEOUT_MS: Duration({ default: '5s', minimum: 1 }),
  /** How long the recent turns of a branch stay cached in the shared state. */
  CHAT_CONTEXT_CACHE_TTL_MS: Duration({ default: '30m', minimum: 1_000 }),
  /** Most messages of a branch kept in that cache. */
  CHAT_CONTEXT_CACHE_MESSAGES: Type.Integer({ minimum: 2, default: 64 }),
  /** How long a resolved prompt reference (`name@label`) and a model check are cached. */
  CHAT_LOOKUP_CACHE_TTL_MS: Duration({ default: '60s', minimum: 1_000 }),
})
export type ChatConfig = Static<typeof ChatConfig>
