import type { Identity } from '@switchyard/contracts'
import type { SqlPool } from '@switchyard/kit'
import { toSql } from 'pgvector'
import type { Embedder } from '../ingestion/embed.ts'
import { searchErrors } from './errors.ts'
import { compileFilter, type Filter, InvalidFilter } from './filters.ts'
import type { SearchRequest, SearchResultsPage } from './schemas.ts'
import { type SearchHit, searchChunks } from './search.ts'
import type { SearchMode } from './search-sql.ts'

export interface SearchDeps {
  sql: SqlPool
  embedder: Embedder
  /** Results when the request names no max_num_results. */
  defaultTopK: number
}

/** The caller: who they are (tenancy, access) and their token (the router bills the query's embedding to it). */
export interface Caller {
  identity: Identity
  token: string
}

/** A vector store as search needs it. */
export interface SearchableStore {
  id: string
  embeddingModel: string
  language: string
}

/**
 * The store if the caller may search it: their org's, and open to the whole org or listing them.
 * Anything else is the same 404 as a store that does not exist.
 */
export async function findSearchableStore(
  sql: SqlPool,
  identity: Identity,
  id: string,
): Promise<SearchableStore | null> {
  const { rows } = await sql.query<{ id: string; embedding_model: string; language: string }>(
    `SELECT id, embedding_model, text_search_language::text AS language FROM vector_stores
     WHERE id = $1 AND org_id = $2 AND (access_user_ids IS NULL OR $3 = ANY(access_user_ids))`,
    [id, identity.orgId, identity.userId],
  )
  const row = rows[0]
  return row === undefined
    ? null
    : { id: row.id, embeddingModel: row.embedding_model, language: row.language }
}

/** Each vector list brings this many candidates (at least) to the fusion. */
const minCandidates = 40

export interface Retrieval {
  queries: string[]
  mode: SearchMode
  limit: number
  filter?: Filter | undefined
  scoreThreshold: number
}

/** The best chunks of a store for the queries: embedded for the caller, searched in one statement. */
export async function retrieve(
  deps: SearchDeps,
  caller: Caller,
  store: SearchableStore,
  retrieval: Retrieval,
): Promise<SearchHit[]> {
  const { queries, mode, limit, filter } = retrieval
  if (filter !== undefined) {
    try {
      compileFilter(filter, 'attributes', 1)
    } catch (error) {
      if (error instanceof InvalidFilter)
        throw Object.assign(new searchErrors.InvalidFilter(error.message), { param: error.param })
      throw error
    }
  }
  let vectors: string[] = []
  let dims: number | null = null
  if (mode !== 'fulltext') {
    let embedded: number[][]
    try {
      embedded = await deps.embedder.embed(store.embeddingModel, queries, caller.token)
    } catch (error) {
      throw new searchErrors.EmbeddingFailed(
        store.embeddingModel,
        error instanceof Error ? error.message : String(error),
      )
    }
    dims = embedded[0]?.length ?? null
    vectors = embedded.map((v) => toSql(v) as string)
  }
  const outcome = await searchChunks(deps.sql, {
    orgId: caller.identity.orgId,
    vectorStoreId: store.id,
    mode,
    queries,
    vectors,
    dims,
    language: store.language,
    filter,
    candidates: Math.max(minCandidates, 2 * limit),
    limit,
    scoreThreshold: retrieval.scoreThreshold,
  })
  const unknown = outcome.unknownKeys[0]
  if (unknown !== undefined)
    throw Object.assign(new searchErrors.UnknownFilterKey(unknown, store.id), { param: 'filters' })
  return outcome.hits
}

/** `POST /v1/vector_stores/{id}/search` once the store was found: OpenAI's page of results. */
export async function searchVectorStore(
  deps: SearchDeps,
  caller: Caller,
  store: SearchableStore,
  body: SearchRequest,
): Promise<SearchResultsPage> {
  const queries = typeof body.query === 'string' ? [body.query] : body.query
  const hits = await retrieve(deps, caller, store, {
    queries,
    mode: body.mode ?? 'hybrid',
    limit: body.max_num_results ?? deps.defaultTopK,
    filter: body.filters as Filter | undefined,
    scoreThreshold: body.ranking_options?.score_threshold ?? 0,
  })
  return {
    object: 'vector_store.search_results.page',
    search_query: queries,
    data: hits.map((hit) => ({
      file_id: hit.file_id,
      filename: hit.filename,
      score: hit.score,
      attributes: hit.attributes,
      content: [{ type: 'text' as const, text: hit.text }],
    })),
    // One page: max_num_results is at most 50, and OpenAI pages search results the same way.
    has_more: false,
    next_page: null,
  }
}
