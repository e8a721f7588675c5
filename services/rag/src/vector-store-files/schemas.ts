import { type Static, type TSchema, Type } from 'typebox'
import { idPattern } from '../ids.ts'
import { ListOf, listQueryProperties } from '../pagination.ts'
import { ChunkingStrategy, ChunkingStrategyParam } from '../vector-stores/schemas.ts'

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

export const VectorStoreFileParams = Type.Object({ vector_store_id: Type.String(), file_id: Type.String() })

/** Up to 16 keys with string, number or boolean values; search filters compare them. */
export const Attributes = Type.Record(
  Type.String({ minLength: 1, maxLength: 64 }),
  Type.Union([Type.String({ maxLength: 512 }), Type.Number(), Type.Boolean()]),
  { maxProperties: 16 },
)
export type Attributes = Static<typeof Attributes>

export const FileStatus = Type.Union([
  Type.Literal('in_progress'),
  Type.Literal('completed'),
  Type.Literal('failed'),
  Type.Literal('cancelled'),
])
export type FileStatus = Static<typeof FileStatus>

/** OpenAI's vector_store.file; its id is the file's. `chunks_done`/`chunks_total` are Switchyard's. */
export const VectorStoreFileView = Type.Object({
  id: Type.String(),
  object: Type.Literal('vector_store.file'),
  usage_bytes: Type.Integer(),
  created_at: Type.Integer(),
  vector_store_id: Type.String(),
  status: FileStatus,
  last_error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  chunking_strategy: ChunkingStrategy,
  attributes: Attributes,
  /** Chunks embedded and stored so far (ingestion progress). */
  chunks_done: Type.Integer(),
  /** Chunks the file makes, once chunked; null before. */
  chunks_total: Nullable(Type.Integer()),
})
export type VectorStoreFileView = Static<typeof VectorStoreFileView>

/** One file to attach, with what is its own. */
export const FileToAttach = Type.Object(
  {
    file_id: Type.String({ minLength: 1, maxLength: 200 }),
    attributes: Type.Optional(Nullable(Attributes)),
    chunking_strategy: Type.Optional(ChunkingStrategyParam),
  },
  { additionalProperties: false },
)
export type FileToAttach = Static<typeof FileToAttach>

export const AttributesChange = Type.Object(
  { attributes: Nullable(Attributes) },
  { additionalProperties: false },
)

export const VectorStoreFileListQuery = Type.Object({
  ...listQueryProperties(idPattern('file')),
  /** Only files in this status. */
  filter: Type.Optional(FileStatus),
})
export type VectorStoreFileListQuery = Static<typeof VectorStoreFileListQuery>

export const VectorStoreFileList = ListOf(VectorStoreFileView)

export const VectorStoreFileDeleted = Type.Object({
  id: Type.String(),
  object: Type.Literal('vector_store.file.deleted'),
  deleted: Type.Boolean(),
})
