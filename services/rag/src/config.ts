import { Duration } from '@switchyard/config'
import { type Static, Type } from 'typebox'

export const RagConfig = Type.Object({
  /** Largest file `POST /v1/files` accepts, in bytes (a larger one is a 413). */
  RAG_MAX_UPLOAD_BYTES: Type.Integer({ minimum: 1, default: 25 * 1_048_576 }),
  /** A vector store's embedding model when it names none: an llm-router alias (default: its local one). */
  RAG_DEFAULT_EMBEDDING_MODEL: Type.String({ minLength: 1, default: 'all-minilm-l6-v2' }),
  /** Results a search returns when the request names no `max_num_results`. */
  RAG_TOP_K: Type.Integer({ minimum: 1, maximum: 50, default: 10 }),
  /** How often unpublished rag.ingest.v1 events are retried (a failed publish, a crash). */
  RAG_OUTBOX_RELAY_INTERVAL_MS: Duration({ default: '5s', minimum: 100 }),
})
export type RagConfig = Static<typeof RagConfig>
