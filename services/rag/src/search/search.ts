// Runs a search over a vector store's chunks: the statement from search-sql.ts, in a transaction
// that turns on pgvector's iterative index scans, so a filter that keeps few chunks still fills
// max_num_results when enough chunks match (plain HNSW filters after a scan of ef_search rows).
import type { SqlPool } from '@switchyard/kit'
import { type SearchSqlInput, searchSql } from './search-sql.ts'

export interface SearchHit {
  chunk_id: string
  file_id: string
  filename: string
  score: number
  attributes: Record<string, string | number | boolean> | null
  text: string
  chunk_index: number
  char_start: number
  char_end: number
  heading_path: string[]
}

export interface SearchOutcome {
  /** Filter keys no file of the store has as an attribute (the route answers 400). */
  unknownKeys: string[]
  hits: SearchHit[]
}

/** HNSW's candidate list per scan: at least pgvector's default, and at least the candidates asked. */
function efSearch(candidates: number): number {
  return Math.min(Math.max(40, candidates), 1000)
}

export async function searchChunks(sql: SqlPool, input: SearchSqlInput): Promise<SearchOutcome> {
  const statement = searchSql(input)
  if (input.mode === 'fulltext') return read(await sql.query(statement.text, statement.values))
  const client = await sql.connect()
  try {
    // relaxed_order: the scan goes on past ef_search until LIMIT rows pass the filter (up to
    // hnsw.max_scan_tuples); results may come slightly out of order, and the statement re-sorts.
    await client.query(
      `BEGIN; SET LOCAL hnsw.iterative_scan = relaxed_order; SET LOCAL hnsw.ef_search = ${efSearch(input.candidates)}`,
    )
    const result = await client.query(statement.text, statement.values)
    await client.query('COMMIT')
    client.release()
    return read(result)
  } catch (error) {
    // A connection whose transaction state is unknown is not given back to the pool.
    client.release(true)
    throw error
  }
}

function read(result: { rows: Record<string, unknown>[] }): SearchOutcome {
  const row = result.rows[0] as { unknown_keys: string[]; results: SearchHit[] }
  return {
    unknownKeys: row.unknown_keys,
    hits: row.results.map((hit) => ({ ...hit, chunk_id: String(hit.chunk_id) })),
  }
}
