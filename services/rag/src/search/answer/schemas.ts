import { type Static, Type } from 'typebox'

export const AnswerRequest = Type.Object(
  {
    question: Type.String({ minLength: 1, maxLength: 8000 }),
    /** A chat model as the llm-router names it; default the router's local model (`local`). */
    model: Type.Optional(Type.String({ minLength: 1 })),
    /** Chunks retrieved (hybrid search) and given to the model as numbered sources. */
    max_num_results: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
    /** true (default): server-sent events; false: one JSON answer. */
    stream: Type.Optional(Type.Boolean()),
    /** Longest answer, in tokens (the model's own limit when unset): a small local model rarely stops. */
    max_tokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 32_768 })),
  },
  { additionalProperties: false },
)
export type AnswerRequest = Static<typeof AnswerRequest>

export const AnswerSource = Type.Object({
  source: Type.Integer(),
  file_id: Type.String(),
  filename: Type.String(),
  chunk_id: Type.String(),
  chunk_index: Type.Integer(),
  char_start: Type.Integer(),
  char_end: Type.Integer(),
  score: Type.Number(),
})

export const AnswerCitation = Type.Object({
  source: Type.Integer(),
  file_id: Type.String(),
  filename: Type.String(),
  chunk_id: Type.String(),
  chunk_index: Type.Integer(),
  char_start: Type.Integer(),
  char_end: Type.Integer(),
  quote: Type.String(),
})

export const AnswerUsage = Type.Object({
  prompt_tokens: Type.Integer(),
  completion_tokens: Type.Integer(),
  total_tokens: Type.Integer(),
})

export const Answer = Type.Object({
  object: Type.Literal('vector_store.answer'),
  model: Type.String(),
  answer: Type.String(),
  citations: Type.Array(AnswerCitation),
  sources: Type.Array(AnswerSource),
  usage: Type.Union([AnswerUsage, Type.Null()]),
})
export type Answer = Static<typeof Answer>
