import { type Static, Type } from 'typebox'

// rag serves these (POST /v1/vector_stores/{id}/search) and other services call it with them.

const FilterValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()])

/** OpenAI's comparison and compound filters, nested to any depth. */
export const SearchFilter = Type.Cyclic(
  {
    Comparison: Type.Object(
      {
        type: Type.Enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin']),
        key: Type.String({ minLength: 1, maxLength: 64 }),
        value: Type.Union([FilterValue, Type.Array(Type.Union([Type.String(), Type.Number()]))]),
      },
      { additionalProperties: false },
    ),
    Compound: Type.Object(
      {
        type: Type.Union([Type.Literal('and'), Type.Literal('or')]),
        filters: Type.Array(Type.Union([Type.Ref('Comparison'), Type.Ref('Compound')]), { minItems: 1 }),
      },
      { additionalProperties: false },
    ),
    Filter: Type.Union([Type.Ref('Comparison'), Type.Ref('Compound')]),
  },
  'Filter',
)

export const SearchParams = Type.Object({ vector_store_id: Type.String({ minLength: 1 }) })

export const SearchRequest = Type.Object(
  {
    query: Type.Union([
      Type.String({ minLength: 1 }),
      Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 10 }),
    ]),
    max_num_results: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    filters: Type.Optional(SearchFilter),
    ranking_options: Type.Optional(
      Type.Object({
        /** Accepted for compatibility; there is no reranker (results are ranked by `mode`). */
        ranker: Type.Optional(
          Type.Union([Type.Literal('none'), Type.Literal('auto'), Type.Literal('default-2024-11-15')]),
        ),
        score_threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
      }),
    ),
    /** Accepted; the query is searched as written (no rewriting model is involved). */
    rewrite_query: Type.Optional(Type.Boolean()),
    /** Switchyard's extension: which lists rank the results (default hybrid, fused with RRF, k = 60). */
    mode: Type.Optional(
      Type.Union([Type.Literal('vector'), Type.Literal('fulltext'), Type.Literal('hybrid')]),
    ),
  },
  { additionalProperties: false },
)
export type SearchRequest = Static<typeof SearchRequest>

export const SearchResult = Type.Object({
  file_id: Type.String(),
  filename: Type.String(),
  score: Type.Number(),
  attributes: Type.Union([Type.Record(Type.String(), FilterValue), Type.Null()]),
  content: Type.Array(Type.Object({ type: Type.Literal('text'), text: Type.String() })),
})

export const SearchResultsPage = Type.Object({
  object: Type.Literal('vector_store.search_results.page'),
  search_query: Type.Array(Type.String()),
  data: Type.Array(SearchResult),
  has_more: Type.Boolean(),
  next_page: Type.Union([Type.String(), Type.Null()]),
})
export type SearchResultsPage = Static<typeof SearchResultsPage>
