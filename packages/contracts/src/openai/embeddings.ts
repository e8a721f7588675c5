import { type Static, Type } from 'typebox'

/** A token id array; OpenAI accepts pre-tokenized input. */
const Tokens = Type.Array(Type.Integer({ minimum: 0 }), { minItems: 1 })

/** The body of `POST /v1/embeddings`. */
export const EmbeddingsRequest = Type.Object({
  /** Text or token ids to embed; one embedding per string (or per token array). */
  input: Type.Union([
    Type.String({ minLength: 1 }),
    Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 2048 }),
    Tokens,
    Type.Array(Tokens, { minItems: 1, maxItems: 2048 }),
  ]),
  model: Type.String({ minLength: 1 }),
  encoding_format: Type.Optional(Type.Union([Type.Literal('float'), Type.Literal('base64')])),
  /** Truncate embeddings to this many dimensions (models that support it). */
  dimensions: Type.Optional(Type.Integer({ minimum: 1 })),
  user: Type.Optional(Type.String()),
})
export type EmbeddingsRequest = Static<typeof EmbeddingsRequest>

export const Embedding = Type.Object({
  object: Type.Literal('embedding'),
  /** Position of the input this embeds. */
  index: Type.Integer({ minimum: 0 }),
  /** Floats, or base64 of little-endian float32 when `encoding_format` is base64. */
  embedding: Type.Union([Type.Array(Type.Number()), Type.String()]),
})
export type Embedding = Static<typeof Embedding>

export const EmbeddingsResponse = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(Embedding),
  model: Type.String(),
  usage: Type.Object({
    prompt_tokens: Type.Integer({ minimum: 0 }),
    total_tokens: Type.Integer({ minimum: 0 }),
  }),
})
export type EmbeddingsResponse = Static<typeof EmbeddingsResponse>
