import type { SqlQueryable } from '@switchyard/kit'

/** HNSW indexes `vector` up to 2,000 dimensions; above, the index (and the query) casts to halfvec. */
export const maxVectorIndexDims = 2000
/** pgvector's limit for halfvec indexes. */
export const maxHalfvecIndexDims = 4000

/**
 * The expression a query orders by for a store of `dims` dimensions: the same expression as that
 * dimension's partial index (002-chunks.sql), so the planner can use it. `dims` is a checked
 * integer, never caller text.
 */
export function embeddingExpression(column: string, dims: number): string {
  return `(${column}::${vectorType(dims)})`
}

/** The type a query vector is cast to for `dims`. */
export function vectorType(dims: number): string {
  if (!Number.isInteger(dims) || dims < 1) throw new TypeError(`bad embedding dimension ${dims}`)
  return dims > maxVectorIndexDims ? `halfvec(${dims})` : `vector(${dims})`
}

function operatorClass(dims: number): string {
  return dims > maxVectorIndexDims ? 'halfvec_cosine_ops' : 'vector_cosine_ops'
}

const ensured = new Set<number>()

/**
 * Creates the HNSW index of a dimension the migration did not (a model with an unusual size), the
 * first time a store writes vectors of it. It is built while no chunk has that dimension yet, so it
 * costs a scan of the table's rows, not a graph build. Above 4,000 dimensions there is no index:
 * search scans exactly.
 */
export async function ensureVectorIndex(sql: SqlQueryable, dims: number): Promise<void> {
  if (ensured.has(dims) || dims > maxHalfvecIndexDims) return
  await sql.query(
    `CREATE INDEX IF NOT EXISTS chunks_embedding_${dims} ON chunks USING hnsw (${embeddingExpression('embedding', dims)} ${operatorClass(dims)})
       WITH (m = 16, ef_construction = 64) WHERE dims = ${dims}`,
  )
  ensured.add(dims)
}
