import { type Static, Type } from 'typebox'
import { defineTopic } from '../topic.ts'
import { Id, OrgId, Timestamp } from './common.ts'

/**
 * A document to (re)ingest. Producer: rag API. Consumer: rag worker, which reads the stored document
 * by id, chunks and embeds it, and answers on rag.documents.v1.
 */
export const RagIngestV1 = Type.Object({
  orgId: OrgId,
  collectionId: Id,
  documentId: Id,
  /** Who asked, for audit. */
  requestedBy: Id,
  /** created: first ingestion; reindex: the collection's embedding model or chunking changed. */
  reason: Type.Union([Type.Literal('created'), Type.Literal('reindex')]),
  requestedAt: Timestamp,
})
export type RagIngestV1 = Static<typeof RagIngestV1>

/** Keyed by documentId: requests for one document are handled in order. */
export const ragIngestV1 = defineTopic('rag.ingest.v1', RagIngestV1)
