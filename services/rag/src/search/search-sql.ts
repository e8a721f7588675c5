// The search statement: vector and full-text candidates for every query string, fused with
// reciprocal rank fusion, the unknown-filter-key check and the results' files, in one statement
// (one round trip). Only integers the code checked and fixed SQL go into the text; everything the
// caller sent is a bound parameter.
import { type CompiledFilter, compileFilter, type Filter } from './filters.ts'
import { embeddingExpression, vectorType } from './vector-index.ts'

export type SearchMode = 'vector' | 'fulltext' | 'hybrid'

/** Reciprocal rank fusion's constant: a result at rank r in a list adds 1 / (k + r). */
export const rrfK = 60

export interface SearchSqlInput {
  orgId: string
  vectorStoreId: string
  mode: SearchMode
  /** The query strings (full-text lists use them). */
  queries: string[]
  /** One embedding per query (vector lists); empty in full-text mode. */
  vectors: string[]
  /** Embedding dimension of the store's model; required unless mode is fulltext. */
  dims: number | null
  /** The store's full-text configuration, e.g. 'english'. */
  language: string
  filter?: Filter | undefined
  /** Candidates each list contributes before fusion. */
  candidates: number
  limit: number
  /** Results scoring below it are dropped. */
  scoreThreshold: number
}

export interface SearchSql {
  text: string
  values: unknown[]
}

/**
 * Scores, each in [0, 1] where 1 is best: vector, the best cosine similarity over the queries
 * (clamped at 0); fulltext, ts_rank normalised by rank / (rank + 1); hybrid, the RRF sum divided by
 * its maximum (first in every list), so one threshold means the same for any number of queries.
 */
export function searchSql(input: SearchSqlInput): SearchSql {
  // Each list gives at least as many candidates as results are asked for.
  const values: unknown[] = [input.orgId, input.vectorStoreId, Math.max(input.candidates, input.limit)]
  const bind = (value: unknown): string => {
    values.push(value)
    return `$${values.length}`
  }
  let filter: CompiledFilter = { sql: 'true', values: [], keys: [] }
  if (input.filter !== undefined) {
    filter = compileFilter(input.filter, 'c.attributes', values.length + 1)
    values.push(...filter.values)
  }
  const useVector = input.mode !== 'fulltext'
  const useText = input.mode !== 'vector'
  const ctes: string[] = []
  if (useVector) {
    if (input.dims === null) throw new TypeError('a vector search needs the store’s embedding dimension')
    const vectors = bind(input.vectors)
    const embedding = embeddingExpression('c.embedding', input.dims)
    // The vector is cast to the indexed type inside the lateral subquery so the partial HNSW
    // index's expression and predicate (dims = N) match; relaxed_order can return neighbours
    // slightly out of order, so the ranks are taken after a re-sort.
    ctes.push(`vec AS (
      SELECT q.ord, v.id, 1 - v.distance AS similarity,
             row_number() OVER (PARTITION BY q.ord ORDER BY v.distance, v.id) AS rank
      FROM unnest(${vectors}::text[]) WITH ORDINALITY AS q(embedding, ord)
      CROSS JOIN LATERAL (
        SELECT c.id, ${embedding} <=> q.embedding::${vectorType(input.dims)} AS distance
        FROM chunks c
        WHERE c.org_id = $1 AND c.vector_store_id = $2 AND c.dims = ${input.dims} AND ${filter.sql}
        ORDER BY distance
        LIMIT $3
      ) v
    )`)
  }
  if (useText) {
    const language = bind(input.language)
    const queries = bind(input.queries)
    // Matching any of the query's terms, ranked by how much of it a chunk holds (as BM25 does):
    // websearch_to_tsquery alone ANDs every word, which a question's chunks rarely all contain.
    // The terms are websearch_to_tsquery's own lexemes (stemmed, stop words dropped).
    ctes.push(`tq AS (
      SELECT q.ord, (SELECT string_agg(quote_literal(lexeme), ' | ')
                     FROM unnest(tsvector_to_array(to_tsvector(${language}::regconfig, q.query))) AS lexeme)::tsquery AS query
      FROM unnest(${queries}::text[]) WITH ORDINALITY AS q(query, ord)
    ), fts AS (
      SELECT tq.ord, t.id, t.rank_score, row_number() OVER (PARTITION BY tq.ord ORDER BY t.rank_score DESC, t.id) AS rank
      FROM tq CROSS JOIN LATERAL (
        SELECT c.id, ts_rank(c.tsv, tq.query, 32) AS rank_score
        FROM chunks c
        WHERE c.org_id = $1 AND c.vector_store_id = $2 AND c.tsv @@ tq.query AND ${filter.sql}
        ORDER BY rank_score DESC
        LIMIT $3
      ) t
      WHERE tq.query IS NOT NULL
    )`)
  }
  let scored: string
  if (input.mode === 'vector')
    scored = 'SELECT id, greatest(max(similarity), 0) AS score FROM vec GROUP BY id'
  else if (input.mode === 'fulltext') scored = 'SELECT id, max(rank_score) AS score FROM fts GROUP BY id'
  else {
    const lists = bind(2 * input.queries.length)
    scored = `SELECT id, sum(1.0 / (${rrfK} + rank)) / (${lists}::int / ${rrfK + 1}.0) AS score
      FROM (SELECT id, rank FROM vec UNION ALL SELECT id, rank FROM fts) AS ranked GROUP BY id`
  }
  const keys = bind(filter.keys)
  const threshold = bind(input.scoreThreshold)
  const limit = bind(input.limit)
  const text = `WITH ${ctes.join(', ')},
    scored AS (${scored}),
    top AS (SELECT id, score FROM scored WHERE score >= ${threshold} ORDER BY score DESC, id LIMIT ${limit})
  SELECT
    (SELECT coalesce(array_agg(k), '{}') FROM unnest(${keys}::text[]) AS k
      WHERE NOT EXISTS (SELECT 1 FROM vector_store_files f
                        WHERE f.org_id = $1 AND f.vector_store_id = $2 AND f.attributes ? k)) AS unknown_keys,
    (SELECT coalesce(json_agg(json_build_object(
        'chunk_id', c.id, 'file_id', c.file_id, 'filename', fl.filename, 'score', top.score,
        'attributes', vf.attributes, 'text', c.text, 'chunk_index', c.chunk_index,
        'char_start', c.char_start, 'char_end', c.char_end, 'heading_path', c.heading_path)
        ORDER BY top.score DESC, top.id), '[]')
      FROM top
      JOIN chunks c ON c.id = top.id
      JOIN vector_store_files vf ON vf.vector_store_id = c.vector_store_id AND vf.file_id = c.file_id
      JOIN files fl ON fl.id = c.file_id
      WHERE c.org_id = $1 AND vf.org_id = $1 AND fl.org_id = $1) AS results`
  return { text, values }
}
