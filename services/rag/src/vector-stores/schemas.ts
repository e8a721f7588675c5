import { type Static, type TSchema, Type } from 'typebox'
import { idPattern } from '../ids.ts'
import { ListOf, listQueryProperties } from '../pagination.ts'

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const VectorStoreParams = Type.Object({ vector_store_id: Type.String() })

/** OpenAI's metadata: up to 16 string pairs. */
export const Metadata = Type.Record(Type.String({ maxLength: 64 }), Type.String({ maxLength: 512 }), {
  maxProperties: 16,
})
export type Metadata = Static<typeof Metadata>

/** How a file is cut into chunks, as a request names it: `auto` is static 800/400, as OpenAI's. */
export const ChunkingStrategyParam = Type.Union([
  Type.Object({ type: Type.Literal('auto') }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('static'),
      static: Type.Object(
        {
          /** Tokens per chunk, 100 to 4096. */
          max_chunk_size_tokens: Type.Integer({ minimum: 100, maximum: 4096 }),
          /** Tokens shared by neighbouring chunks; at most half of max_chunk_size_tokens. */
          chunk_overlap_tokens: Type.Integer({ minimum: 0 }),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
])
export type ChunkingStrategyParam = Static<typeof ChunkingStrategyParam>

/** The strategy as stored and shown: always static, with its sizes. */
export const ChunkingStrategy = Type.Object({
  type: Type.Literal('static'),
  static: Type.Object({
    max_chunk_size_tokens: Type.Integer(),
    chunk_overlap_tokens: Type.Integer(),
  }),
})
export type ChunkingStrategy = Static<typeof ChunkingStrategy>

export const ExpiresAfter = Type.Object(
  {
    anchor: Type.Literal('last_active_at'),
    /** Days after the store was last used. */
    days: Type.Integer({ minimum: 1, maximum: 365 }),
  },
  { additionalProperties: false },
)
export type ExpiresAfter = Static<typeof ExpiresAfter>

/** Switchyard's extension: who may use a store. null, or absent at creation: the whole org. */
export const Access = Type.Object(
  {
    /** Users of the org who may use the store; its creator always may. */
    user_ids: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 1000 }),
  },
  { additionalProperties: false },
)
export type Access = Static<typeof Access>

export const FileCounts = Type.Object({
  in_progress: Type.Integer(),
  completed: Type.Integer(),
  failed: Type.Integer(),
  cancelled: Type.Integer(),
  total: Type.Integer(),
})
export type FileCounts = Static<typeof FileCounts>

/** OpenAI's vector store object, plus `embedding_model` and `access` (Switchyard's). */
export const VectorStoreView = Type.Object({
  id: Type.String(),
  object: Type.Literal('vector_store'),
  created_at: Type.Integer(),
  name: Nullable(Type.String()),
  /** Bytes the store's chunks take. */
  usage_bytes: Type.Integer(),
  file_counts: FileCounts,
  /** expired once past expires_at; in_progress while a file is; else completed. */
  status: Type.Union([Type.Literal('expired'), Type.Literal('in_progress'), Type.Literal('completed')]),
  expires_after: Nullable(ExpiresAfter),
  expires_at: Nullable(Type.Integer()),
  last_active_at: Nullable(Type.Integer()),
  metadata: Metadata,
  /** The llm-router alias its vectors come from; fixed once it holds files. */
  embedding_model: Type.String(),
  /** The chunking of files attached without their own. */
  chunking_strategy: ChunkingStrategy,
  access: Nullable(Access),
})
export type VectorStoreView = Static<typeof VectorStoreView>

export const NewVectorStore = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 256 })),
    /** Files to attach at once, as POST .../files would. */
    file_ids: Type.Optional(Type.Array(Type.String(), { minItems: 1, maxItems: 500 })),
    expires_after: Type.Optional(ExpiresAfter),
    chunking_strategy: Type.Optional(ChunkingStrategyParam),
    metadata: Type.Optional(Nullable(Metadata)),
    embedding_model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    access: Type.Optional(Nullable(Access)),
  },
  { additionalProperties: false },
)
export type NewVectorStore = Static<typeof NewVectorStore>

export const VectorStoreChanges = Type.Object(
  {
    name: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
    expires_after: Type.Optional(Nullable(ExpiresAfter)),
    metadata: Type.Optional(Nullable(Metadata)),
    /** Only while the store holds no file. */
    embedding_model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /** Re-chunks every file of the store with the new strategy (Switchyard's extension). */
    chunking_strategy: Type.Optional(ChunkingStrategyParam),
    access: Type.Optional(Nullable(Access)),
  },
  { additionalProperties: false },
)
export type VectorStoreChanges = Static<typeof VectorStoreChanges>

export const VectorStoreListQuery = Type.Object(listQueryProperties(idPattern('vectorStore')))
export type VectorStoreListQuery = Static<typeof VectorStoreListQuery>

export const VectorStoreList = ListOf(VectorStoreView)

export const VectorStoreDeleted = Type.Object({
  id: Type.String(),
  object: Type.Literal('vector_store.deleted'),
  deleted: Type.Boolean(),
})
