import { type Static, Type } from 'typebox'
import { defineTopic } from '../topic.ts'
import { Id, OrgId, Timestamp } from './common.ts'

/**
 * A file of a vector store to (re)ingest. Producer: rag API (through its outbox, in the
 * transaction that attached the file). Consumer: rag worker, which reads the file's row and
 * original, chunks and embeds them, and writes chunks and status.
 */
export const RagIngestV1 = Type.Object({
  orgId: OrgId,
  /** `vs_…` */
  vectorStoreId: Id,
  /** `file-…` */
  fileId: Id,
  /**
   * The vector_store_files row's generation this request is for: a worker writes only while the
   * row still has it, so a request overtaken (attached again, rechunked, cancelled) changes nothing.
   */
  generation: Type.Integer({ minimum: 1 }),
  /** Who asked: embeddings are made for them (their usage and budgets). */
  requestedBy: Type.Object({
    userId: Id,
    /** The API key they used, null for a session. */
    keyId: Type.Union([Id, Type.Null()]),
  }),
  /** attached: the file was attached (first time or again); rechunk: the store's chunking changed. */
  reason: Type.Union([Type.Literal('attached'), Type.Literal('rechunk')]),
  requestedAt: Timestamp,
})
export type RagIngestV1 = Static<typeof RagIngestV1>

/** Keyed by `<vectorStoreId>/<fileId>`: requests for one file are handled in order. */
export const ragIngestV1 = defineTopic('rag.ingest.v1', RagIngestV1)
