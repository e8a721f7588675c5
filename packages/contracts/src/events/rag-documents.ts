import { type Static, Type } from 'typebox'
import { defineTopic } from '../topic.ts'
import { Id, OrgId, Timestamp } from './common.ts'

/** A vector store file's status, as OpenAI names it. */
export const RagFileStatus = Type.Enum(['in_progress', 'completed', 'failed', 'cancelled'])
export type RagFileStatus = Static<typeof RagFileStatus>

/**
 * A vector store file's ingestion status changed (progress included). Producer: rag worker, after
 * it wrote the same state to the file's row. Consumers: whoever follows ingestion (UIs, audit).
 */
export const RagDocumentsV1 = Type.Object({
  orgId: OrgId,
  vectorStoreId: Id,
  fileId: Id,
  /** The generation of rag.ingest.v1 this status belongs to. */
  generation: Type.Integer({ minimum: 1 }),
  status: RagFileStatus,
  /** Set when status is failed, e.g. `{ code: 'RAG_ERR_UNSUPPORTED_TYPE', message: '...' }`. */
  lastError: Type.Union([
    Type.Object({ code: Type.String({ minLength: 1 }), message: Type.String() }),
    Type.Null(),
  ]),
  /** Chunks embedded and stored so far. */
  chunksDone: Type.Integer({ minimum: 0 }),
  /** Chunks the file makes, once it is parsed and chunked; null before. */
  chunksTotal: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  occurredAt: Timestamp,
})
export type RagDocumentsV1 = Static<typeof RagDocumentsV1>

/** Keyed by `<vectorStoreId>/<fileId>`, like rag.ingest.v1. */
export const ragDocumentsV1 = defineTopic('rag.documents.v1', RagDocumentsV1)
