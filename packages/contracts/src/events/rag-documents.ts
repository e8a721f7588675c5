import { type Static, Type } from 'typebox'
import { defineTopic } from '../topic.ts'
import { Id, OrgId, Timestamp } from './common.ts'

export const RagDocumentStatus = Type.Enum(['processing', 'ready', 'failed'])
export type RagDocumentStatus = Static<typeof RagDocumentStatus>

/** A document's ingestion status changed. Producer: rag worker. Consumer: rag API (and UIs through it). */
export const RagDocumentsV1 = Type.Object({
  orgId: OrgId,
  collectionId: Id,
  documentId: Id,
  status: RagDocumentStatus,
  /** Chunks stored; set when status is ready. */
  chunkCount: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /** Set when status is failed, e.g. RAG_ERR_UNSUPPORTED_TYPE. */
  errorCode: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
  occurredAt: Timestamp,
})
export type RagDocumentsV1 = Static<typeof RagDocumentsV1>

/** Keyed by documentId, like rag.ingest.v1. */
export const ragDocumentsV1 = defineTopic('rag.documents.v1', RagDocumentsV1)
