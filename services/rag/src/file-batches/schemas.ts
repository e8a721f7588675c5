import { type Static, Type } from 'typebox'
import { Attributes, FileToAttach } from '../vector-store-files/schemas.ts'
import { ChunkingStrategyParam, FileCounts } from '../vector-stores/schemas.ts'

export const FileBatchParams = Type.Object({ vector_store_id: Type.String(), batch_id: Type.String() })

/** OpenAI's vector_store.files_batch. */
export const FileBatchView = Type.Object({
  id: Type.String(),
  object: Type.Literal('vector_store.files_batch'),
  created_at: Type.Integer(),
  vector_store_id: Type.String(),
  /** cancelled once cancelled; in_progress while a file is; failed when every file failed; else completed. */
  status: Type.Union([
    Type.Literal('in_progress'),
    Type.Literal('completed'),
    Type.Literal('cancelled'),
    Type.Literal('failed'),
  ]),
  file_counts: FileCounts,
})
export type FileBatchView = Static<typeof FileBatchView>

/** `file_ids` with shared attributes and chunking, or `files` each with their own; not both. */
export const NewFileBatch = Type.Object(
  {
    file_ids: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 500 }),
    ),
    files: Type.Optional(Type.Array(FileToAttach, { minItems: 1, maxItems: 500 })),
    attributes: Type.Optional(Type.Union([Attributes, Type.Null()])),
    chunking_strategy: Type.Optional(ChunkingStrategyParam),
  },
  { additionalProperties: false },
)
export type NewFileBatch = Static<typeof NewFileBatch>
